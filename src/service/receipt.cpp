// Consent receipts (Kantara Consent Receipt v1.1 field names, ISO/IEC 27560
// record content): what the person keeps as proof of what they agreed to.
#include <facegate/service.h>

#include "policy/notice.h"
#include "policy/minors.h"
#include "service/service_impl.h"

namespace facegate::service {

Result<std::string> Service::ConsentReceipt(int64_t consent_id, const std::string& actor) {
  auto& I = *impl_;
  auto c = I.store->GetConsent(consent_id);
  if (!c.ok()) return I.Fail(actor, "consent.receipt", "", "", c.status());
  if (c->minor) {  // REQ M3: a child's consent record is read with an approval only
    auto born = I.store->SubjectBirthDate(c->subject);
    if (!born.ok() || born->empty() || policy::IsChildAt(*born, I.Now()))
      FG_RETURN_IF_ERROR(I.RequireMinorAccess(c->subject, actor, "consent"));
  }
  auto p = I.store->GetPurpose(c->purpose);
  if (!p.ok()) return I.Fail(actor, "consent.receipt", c->subject, c->purpose, p.status());
  json notice = nullptr;
  std::string processor, contact, storage;
  if (c->notice_id > 0) {
    auto n = I.store->GetNotice(c->notice_id);
    if (!n.ok()) return I.Fail(actor, "consent.receipt", c->subject, c->purpose, n.status());
    processor = policy::NoticeFieldValue(n->text, "processor");
    contact = policy::NoticeFieldValue(n->text, "contact");
    storage = policy::NoticeFieldValue(n->text, "storage period");
    notice = {{"id", n->id}, {"version", n->version}, {"sha256", n->sha256}};
  }
  json receipt = {
      {"version", "KI-CR-v1.1.0"},
      {"jurisdiction", "CN"},
      {"consentReceiptID", "fg-consent-" + std::to_string(c->id)},
      {"consentTimestamp", c->given_at},
      {"collectionMethod", ToString(c->method)},
      {"piiPrincipalId", c->subject},
      {"piiControllers", json::array({{{"piiController", processor}, {"contact", contact}}})},
      {"notice", notice},
      {"services",
       json::array({{{"service", c->purpose},
                     {"purposes",
                      json::array({{{"purpose", c->purpose},
                                    {"scenario", ToString(p->scenario)},
                                    {"consentType", "EXPRESSED"},
                                    {"piiCategory", json::array({"face template (biometric)"})},
                                    {"primaryPurpose", true},
                                    {"termination", storage},
                                    {"thirdPartyDisclosure", c->kind == ConsentKind::kDisclosure},
                                    {"thirdPartyName", c->recipient}}})}}})},
      {"sensitive", true},
      {"spiCat", json::array({"biometric: face"})},
      {"authorization",
       {{"option", ToString(c->option)},
        {"expires_at", c->expires_at},
        {"withdrawn_at", c->withdrawn_at ? json(*c->withdrawn_at) : json(nullptr)},
        {"used_at", c->used_at ? json(*c->used_at) : json(nullptr)},
        {"legal_basis", c->legal_basis},
        // REQ C2: a basis other than consent is shown with the written justification the notice states.
        {"basis_justification", c->legal_basis == "consent" ? "" : p->basis_justification},
        {"evidence", c->evidence},
        {"kind", ToString(c->kind)},
        {"source", c->source},
        {"minor", c->minor},
        {"guardian", c->guardian},
        {"guardian_relation", c->guardian_relation}}},
      {"alternatives", p->alternatives},
      {"withdraw", "facegate consent withdraw " + c->subject + " " + c->purpose +
                       " (or the same kiosk/app where consent was given)"},
  };
  // REQ M3: a child's receipt is marked, so the yearly export finds every read.
  I.Audit(actor, "consent.receipt", c->subject, c->purpose, Status::Ok(),
          {{"consent_id", c->id}, {"minor", c->minor}});
  return receipt.dump(2);
}

}  // namespace facegate::service
