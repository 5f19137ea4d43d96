// The lawful basis a purpose rests on (PIPL 13) and what each asks of the purpose and its
// notice (REQ C2, AN4): consent, or another basis with a written justification that the notice
// states. Face processing for identity rests on consent unless a law requires it (PIPL 29;
// SPC 2, 4), so verification and identification accept only consent, a statutory duty or
// another law.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <string>
#include <vector>

namespace facegate::policy {

// The bases of PIPL 13 (1)-(7), as stored: "consent", "contract", "statutory_duty",
// "public_health", "news_reporting", "disclosed_information", "other_law".
const std::vector<std::string>& LegalBases();

// The shortest written justification accepted for a basis other than consent, in characters.
constexpr size_t kMinJustification = 20;
// Whether `text` is a written justification: at least kMinJustification characters (a UTF-8
// sequence counts as one, runs of white space as one). Also asked of a sensitive inference's.
bool IsWrittenJustification(const std::string& text);

// Checks a declared basis for a purpose of `scenario`: a basis of LegalBases(); any other
// basis than consent with a written justification of at least kMinJustification characters
// naming why it applies (kRefused "C2", or "AN4" for analysis); for verification and
// identification, consent, statutory_duty or other_law only (kRefused "C2").
Status CheckLegalBasis(Scenario scenario, const std::string& basis, const std::string& justification);

// REQ C2, AN4: a notice for a purpose resting on another basis than consent states the basis
// and its justification in a "Legal basis:" field (or 法律依据：). kRefused naming what to write.
// Always Ok for consent.
Status CheckNoticeStatesBasis(const std::string& notice_text, Scenario scenario, const std::string& basis,
                              const std::string& justification);

// The basis a purpose rests on: its recorded basis, or "consent" for a verification or
// identification purpose declared before bases were recorded ("" stays "" for analysis: the
// Gate asks for it, REQ AN4).
std::string EffectiveBasis(const PurposeRecord& p);

}  // namespace facegate::policy
