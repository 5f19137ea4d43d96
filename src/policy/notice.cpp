#include "policy/notice.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace facegate::policy {

const std::vector<NoticeField>& RequiredNoticeFields() {
  static const std::vector<NoticeField> kFields = {
      {"processor", {"Processor", "处理者", "个人信息处理者"}},
      {"contact", {"Contact", "联系方式"}},
      {"purpose", {"Purpose", "处理目的", "目的"}},
      {"method", {"Method", "处理方式", "方式"}},
      {"data kinds", {"Data kinds", "Data", "数据种类", "个人信息种类"}},
      {"storage period", {"Storage period", "Retention", "保存期限"}},
      {"why face and impact", {"Why face", "Necessity", "Impact", "必要性", "影响"}},
      {"rights", {"Rights", "权利", "行使权利"}},
  };
  return kFields;
}

// Fields a notice carries when the purpose calls for them: the legal basis when the purpose
// rests on another basis than consent (REQ C2, AN4); the sensitive inferences the purpose
// switched on, each named with its use (REQ AN3, policy/inference.h).
static const std::vector<NoticeField>& OptionalNoticeFields() {
  static const std::vector<NoticeField> kFields = {
      {"legal basis", {"Legal basis", "Lawful basis", "法律依据", "处理依据", "合法性基础"}},
      {"inferences", {"Sensitive inferences", "Inferences", "敏感推断", "推断内容"}},
  };
  return kFields;
}

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// True if `line` (trimmed, without markdown list/heading marks) starts with
// `label` followed by ':' / '：' and some text, or is a heading naming it.
bool LineHasField(const std::string& raw, const std::string& label, bool* heading) {
  std::string line = Trim(raw);
  *heading = false;
  while (!line.empty() && (line[0] == '#' || line[0] == '-' || line[0] == '*')) {
    if (line[0] == '#') *heading = true;
    line = Trim(line.substr(1));
  }
  std::string l = Lower(line), lab = Lower(label);
  if (l.compare(0, lab.size(), lab) != 0) return false;
  std::string rest = Trim(line.substr(lab.size()));
  if (*heading) return rest.empty() || rest[0] == ':' || rest.rfind("：", 0) == 0;
  if (rest.rfind(":", 0) == 0) return !Trim(rest.substr(1)).empty();
  if (rest.rfind("：", 0) == 0) return !Trim(rest.substr(3)).empty();
  return false;
}

}  // namespace

Status ValidateNotice(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<std::string> missing;
  for (const NoticeField& f : RequiredNoticeFields()) {
    bool found = false;
    for (size_t i = 0; i < lines.size() && !found; ++i) {
      for (const std::string& label : f.labels) {
        bool heading = false;
        if (!LineHasField(lines[i], label, &heading)) continue;
        if (!heading) { found = true; break; }
        // a heading counts when some text follows before the next heading
        for (size_t j = i + 1; j < lines.size(); ++j) {
          std::string t = Trim(lines[j]);
          if (!t.empty() && t[0] == '#') break;
          if (!t.empty()) { found = true; break; }
        }
        if (found) break;
      }
    }
    if (!found) missing.push_back(f.key);
  }
  if (missing.empty()) return Status::Ok();
  std::string m = "the notice lacks required field(s): ";
  for (size_t i = 0; i < missing.size(); ++i) m += (i ? ", " : "") + missing[i];
  m += ". Add a line \"<Field>: <text>\" for each (e.g. \"Storage period: 365 days, then deleted\")"
       " and publish again";
  return Status::Refused("N1", m);
}

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Drops markdown marks at the start of a line ("#", "-", "*") and emphasis stars.
std::string Plain(const std::string& raw) {
  std::string line = Trim(raw);
  while (!line.empty() && (line[0] == '#' || line[0] == '-' || line[0] == '*' || line[0] == '>'))
    line = Trim(line.substr(1));
  std::string out;
  for (char c : line)
    if (c != '*' && c != '`' && c != '_') out += c;
  return out;
}

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

}  // namespace

std::string NoticeFieldValue(const std::string& text, const std::string& key) {
  const std::vector<std::string> lines = Lines(text);
  std::vector<NoticeField> fields = RequiredNoticeFields();
  for (const NoticeField& f : OptionalNoticeFields()) fields.push_back(f);
  for (const NoticeField& f : fields) {
    if (f.key != key) continue;
    for (size_t i = 0; i < lines.size(); ++i) {
      for (const std::string& label : f.labels) {
        bool heading = false;
        if (!LineHasField(lines[i], label, &heading)) continue;
        if (!heading) {
          std::string rest = Plain(lines[i]).substr(label.size());
          rest = Trim(rest);
          if (rest.rfind(":", 0) == 0) rest = rest.substr(1);
          else if (rest.rfind("：", 0) == 0) rest = rest.substr(3);
          return Trim(rest);
        }
        std::string para;
        for (size_t j = i + 1; j < lines.size(); ++j) {
          std::string t = Trim(lines[j]);
          if (!t.empty() && t[0] == '#') break;
          if (t.empty() && !para.empty()) break;  // the paragraph under the heading ends
          if (!t.empty()) para += (para.empty() ? "" : " ") + Plain(t);
        }
        if (!para.empty()) return para;
      }
    }
  }
  return "";
}

Status CheckStoragePeriod(const std::string& text, int64_t retention_days) {
  const std::string value = NoticeFieldValue(text, "storage period");
  const std::string want = std::to_string(retention_days) + " days";
  // The first number and the word right after it.
  size_t i = 0;
  while (i < value.size() && !std::isdigit(static_cast<unsigned char>(value[i]))) ++i;
  size_t j = i;
  while (j < value.size() && std::isdigit(static_cast<unsigned char>(value[j]))) ++j;
  if (i == value.size() || j - i > 6)
    return Status::Refused("N1", "the notice's storage period \"" + value + "\" states no period; write the "
                                 "purpose's retention, e.g. \"Storage period: " + want + ", then deleted\"");
  const int64_t n = std::stoll(value.substr(i, j - i));
  std::string unit = Lower(Trim(value.substr(j)));
  auto starts = [&](const char* w) { return unit.rfind(w, 0) == 0; };
  int64_t lo = 0, hi = 0;
  if (starts("day") || starts("天") || starts("日")) {
    lo = hi = n;
  } else if (starts("week") || starts("周")) {
    lo = hi = 7 * n;
  } else if (starts("month") || starts("个月") || starts("月")) {
    lo = 28 * n, hi = 31 * n;
  } else if (starts("year") || starts("年")) {
    lo = 365 * n, hi = 366 * n;
  } else {
    return Status::Refused("N1", "the notice's storage period \"" + value + "\" gives " + std::to_string(n) +
                                     " without a unit (days, weeks, months, years); write \"Storage period: " +
                                     want + ", then deleted\"");
  }
  if (retention_days < lo || retention_days > hi)
    return Status::Refused("N1", "the notice says the data is kept " + value.substr(i) + " but the purpose keeps it " +
                                     std::to_string(retention_days) +
                                     " days; people must be told the real storage period: write \"Storage period: " +
                                     want + ", then deleted\"");
  return Status::Ok();
}

std::string AlternativesStatement(const std::vector<std::string>& alternatives) {
  if (alternatives.empty()) return "";
  std::string en, zh;
  for (const std::string& a : alternatives) {
    en += (en.empty() ? "" : ", ") + a;
    zh += (zh.empty() ? "" : "、") + a;
  }
  return "Other ways: " + en +
         ". Without your face, for the same service, at no extra fee and no extra wait; choosing one means no "
         "image of your face is taken. 其他方式：" +
         zh + "。不使用人脸，服务相同，不额外收费，无需额外等待；选择后不采集您的人脸图像。";
}

namespace {

// Whether a plain line is the method field ("Method: ..." / "方式：..."), after which the
// alternatives are placed (REQ A3).
bool IsMethodLine(const std::string& l) {
  for (const NoticeField& f : RequiredNoticeFields()) {
    if (f.key != "method") continue;
    for (const std::string& label : f.labels)
      if (l.compare(0, label.size(), label) == 0) {
        std::string rest = Trim(l.substr(label.size()));
        if (rest.rfind(":", 0) == 0 || rest.rfind("：", 0) == 0) return true;
      }
  }
  return false;
}

// The notice's plain lines with the alternatives statement after the method field (or first
// when there is none as a "Label:" line).
std::vector<std::string> LinesWithAlternatives(const std::string& text, const std::vector<std::string>& alts) {
  std::vector<std::string> out;
  const std::string statement = AlternativesStatement(alts);
  bool placed = statement.empty();
  for (const std::string& raw : Lines(text)) {
    std::string l = Plain(raw);
    if (l.empty()) continue;
    out.push_back(l);
    if (!placed && IsMethodLine(l)) {
      out.push_back(statement);
      placed = true;
    }
  }
  if (!placed) out.insert(out.begin(), statement);
  return out;
}

}  // namespace

std::string NoticeForVoice(const std::string& text, const std::vector<std::string>& alternatives) {
  std::string out;
  for (std::string l : LinesWithAlternatives(text, alternatives)) {
    char last = l.back();
    if (last != '.' && last != '!' && last != '?' && last != ':' && static_cast<unsigned char>(last) < 0x80)
      l += '.';
    out += l + "\n";
  }
  return out;
}

std::string NoticeLargePrintHtml(const std::string& text, const std::string& title,
                                 const std::vector<std::string>& alternatives) {
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" + Escape(title) + "</title><style>"
      "body{font-family:sans-serif;font-size:28px;line-height:1.5;color:#000;background:#fff;"
      "max-width:40em;margin:1em auto;padding:0 1em}h1{font-size:40px}p{margin:0 0 1em}"
      "strong{display:block}</style></head><body>\n<h1>" + Escape(title) + "</h1>\n";
  for (const std::string& l : LinesWithAlternatives(text, alternatives)) {
    size_t colon = l.find(':');
    size_t wide = l.find("：");
    if (wide != std::string::npos && (colon == std::string::npos || wide < colon)) colon = wide;
    if (colon != std::string::npos && colon > 0 && colon < 40) {
      size_t skip = l.compare(colon, 3, "：") == 0 ? 3 : 1;
      html += "<p><strong>" + Escape(l.substr(0, colon)) + "</strong>" + Escape(Trim(l.substr(colon + skip))) +
              "</p>\n";
    } else {
      html += "<p>" + Escape(l) + "</p>\n";
    }
  }
  return html + "</body></html>\n";
}

std::string NoticeDigest(const std::string& text) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : h) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace facegate::policy
