#include "policy/legal_basis.h"

#include <algorithm>

#include "policy/notice.h"

namespace facegate::policy {

const std::vector<std::string>& LegalBases() {
  static const std::vector<std::string> kBases = {"consent",        "contract",       "statutory_duty",
                                                  "public_health",  "news_reporting", "disclosed_information",
                                                  "other_law"};
  return kBases;
}

namespace {

std::string BasisList() {
  std::string out;
  for (const std::string& b : LegalBases()) out += (out.empty() ? "" : ", ") + b;
  return out;
}

bool IsIdentity(Scenario s) {
  return s == Scenario::kVerification || s == Scenario::kIdentification;
}

// The requirement a basis rule of this scenario cites.
const char* Req(Scenario s) {
  return s == Scenario::kAnalysis ? "AN4" : "C2";
}

// Characters, counting a UTF-8 sequence as one.
size_t Chars(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Collapse(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

bool IsWrittenJustification(const std::string& text) {
  return Chars(Collapse(text)) >= kMinJustification;
}

Status CheckLegalBasis(Scenario scenario, const std::string& basis, const std::string& justification) {
  if (std::find(LegalBases().begin(), LegalBases().end(), basis) == LegalBases().end())
    return Status::InvalidInput("legal basis '" + basis + "' is not one of PIPL 13's: " + BasisList());
  if (basis == "consent") return Status::Ok();
  if (IsIdentity(scenario) && basis != "statutory_duty" && basis != "other_law")
    return Status::Refused("C2", std::string("face ") + ToString(scenario) +
                                     " rests on the person's separate consent unless a law requires it "
                                     "(PIPL 29; SPC 2, 4): declare the basis 'consent', or 'statutory_duty' / "
                                     "'other_law' naming the law, not '" +
                                     basis + "'");
  if (!IsWrittenJustification(justification))
    return Status::Refused(Req(scenario), "the legal basis '" + basis +
                                              "' needs a written justification (at least " +
                                              std::to_string(kMinJustification) +
                                              " characters) saying why it applies, e.g. the law and article "
                                              "that require the processing; the notice must state it too");
  return Status::Ok();
}

Status CheckNoticeStatesBasis(const std::string& notice_text, Scenario scenario, const std::string& basis,
                              const std::string& justification) {
  if (basis.empty() || basis == "consent") return Status::Ok();
  const std::string stated = Collapse(NoticeFieldValue(notice_text, "legal basis"));
  const std::string want = Collapse(justification);
  if (stated.empty() || stated.find(want) == std::string::npos)
    return Status::Refused(Req(scenario), "the purpose rests on '" + basis +
                                              "', not consent, and people must be told why: the notice needs "
                                              "the line \"Legal basis: " +
                                              basis + ": " + want + "\" (or 法律依据：...)");
  return Status::Ok();
}

std::string EffectiveBasis(const PurposeRecord& p) {
  if (!p.legal_basis.empty()) return p.legal_basis;
  return p.scenario == Scenario::kAnalysis ? "" : "consent";
}

}  // namespace facegate::policy
