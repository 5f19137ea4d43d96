// Notice content rules (REQ N1): a notice must name the processor and contact,
// purpose, method, data kinds, storage period (and what happens at its end),
// why face data is needed and its impact, and how to exercise rights.
#pragma once

#include <facegate/status.h>

#include <string>
#include <vector>

namespace facegate::policy {

// One required field: its key and the labels accepted for it (English and Chinese).
struct NoticeField {
  std::string key;                  // "processor"
  std::vector<std::string> labels;  // "Processor", "处理者"
};

const std::vector<NoticeField>& RequiredNoticeFields();

// Checks that every required field appears as a "Label:" line (or "## Label"
// heading) with text. Returns kRefused (REQ N1) listing every missing field.
Status ValidateNotice(const std::string& text);

// The text of a field (key as in RequiredNoticeFields, e.g. "processor", or "legal basis"):
// the rest of its "Label: text" line, or the paragraph under its heading. Empty when absent.
std::string NoticeFieldValue(const std::string& text, const std::string& key);

// REQ N1: the storage period a notice states must be the purpose's retention. Reads the first
// "<number> <unit>" of its storage period field (days, weeks, months, years; 天/日, 周, 个月/月, 年)
// and refuses ("N1") a period that is not `retention_days` (a month counts 28-31 days, a year
// 365-366) or that states no number, saying what to write.
Status CheckStoragePeriod(const std::string& text, int64_t retention_days);

// Accessible forms of a notice (REQ N2). Voice: plain sentences without
// markup, one per line, for a text-to-speech engine. Large print: a
// self-contained HTML page, high contrast, large type, one field per block.
// Both carry the purpose's alternatives right after the method field, in the same form as
// every field (REQ A3: as visible as face), see AlternativesStatement.
std::string NoticeForVoice(const std::string& text, const std::vector<std::string>& alternatives);
std::string NoticeLargePrintHtml(const std::string& text, const std::string& title,
                                 const std::vector<std::string>& alternatives);
// The statement every served form of a notice carries (REQ A3), in English and Chinese: the
// non-face ways, same service, no extra fee, no extra wait, no face image taken when chosen.
// "" when the purpose has none (face-only under a recorded legal mandate, REQ A1).
std::string AlternativesStatement(const std::vector<std::string>& alternatives);

// Lower-case hex SHA-256 of the notice text (consents bind to it; REQ C2, N3).
std::string NoticeDigest(const std::string& text);

}  // namespace facegate::policy
