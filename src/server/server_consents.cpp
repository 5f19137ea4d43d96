// Consents (give, list, withdraw, the receipt; REQ C1, C2, C7, C8) and the subjects with a
// declared birth date, whose changes and children's records need a second person (REQ M1, M3).
#include "server/server_impl.h"
#include "service/json_views.h"

namespace facegate::server {

using service::ConsentJson;
using service::FormatTime;

const std::vector<RouteEntry>& ConsentRoutes() {
  static const std::vector<RouteEntry> routes = {
      // A kiosk records the person's consent, its withdrawal and shows the receipt (REQ C4).
      {{"POST", "/v1/consents", Access::kKiosk}, &ServerImpl::GiveConsent},
      {{"GET", "/v1/subjects/{id}/consents", Access::kConsents}, &ServerImpl::ListConsents},
      {{"POST", "/v1/subjects/{id}/consents/{purpose}/withdraw", Access::kKiosk},
       &ServerImpl::Withdraw},
      {{"GET", "/v1/consents/{id}/receipt", Access::kKiosk}, &ServerImpl::ConsentReceipt},
      // Subjects with a declared birth date (REQ M1, M3).
      {{"POST", "/v1/subjects", Access::kConsents}, &ServerImpl::DeclareSubject},
      {{"GET", "/v1/subjects/{id}", Access::kConsents}, &ServerImpl::ShowSubject},
      // REQ M3
      {{"POST", "/v1/subjects/{id}/approvals", Access::kAdmin}, &ServerImpl::ApproveMinorAccess},
      // A declared birth date changes only by an admin under another person's approval (M1).
      {{"POST", "/v1/subjects/{id}/birth-date", Access::kAdmin}, &ServerImpl::ChangeBirthDate},
      {{"POST", "/v1/subjects/{id}/birth-date/approvals", Access::kAdmin},
       &ServerImpl::ApproveBirthDateChange},
  };
  return routes;
}

void ServerImpl::GiveConsent(Call& c) {
  c.action = "consent.give";
  auto body = ParseBody(
      c.req,
      R"({"subject": "S1", "purpose": "office-entry", "notice_id": 1, "option": "always", "method": "click"})");
  if (!body.ok()) return Fail(c, body.status());
  service::Service::ConsentRequest r;
  auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
  if (!subject.ok()) return Fail(c, subject.status());
  r.subject = c.subject = *subject;
  auto purpose = Str(*body, "purpose", true, "the one purpose this consent is for (REQ C1)");
  if (!purpose.ok()) return Fail(c, purpose.status());
  r.purpose = c.purpose = *purpose;
  if (!DeviceMayAct(c, r.purpose, "")) return;  // a kiosk: its own purposes only
  auto notice =
      Int(*body, "notice_id", true, "the id of the notice shown and acknowledged (REQ N1)");
  if (!notice.ok()) return Fail(c, notice.status());
  r.notice_id = *notice;
  auto opt = Str(*body, "option", false);
  if (!opt.ok()) return Fail(c, opt.status());
  auto o = ParseConsentOption(opt->empty() ? "once" : *opt);
  if (!o)
    return Fail(c, Status::InvalidInput("unknown option '" + *opt +
                                        "'; use once, while_in_use or always"));
  r.option = *o;
  auto meth = Str(*body, "method", false);
  if (!meth.ok()) return Fail(c, meth.status());
  auto m = ParseConsentMethod(meth->empty() ? "click" : *meth);
  if (!m)
    return Fail(c, Status::InvalidInput("unknown method '" + *meth +
                                        "'; use click, written or guardian"));
  r.method = *m;
  auto evidence = Str(*body, "evidence", false);
  if (!evidence.ok()) return Fail(c, evidence.status());
  r.evidence = *evidence;
  auto session = Str(*body, "session", false);
  if (!session.ok()) return Fail(c, session.status());
  r.session = *session;
  auto valid = Int(*body, "valid_seconds", false);
  if (!valid.ok()) return Fail(c, valid.status());
  if (*valid < 0)
    return Fail(c, Status::InvalidInput("field \"valid_seconds\" must not be negative"));
  r.valid_seconds = *valid;
  // REQ C8, P1: what the consent covers; REQ M1: the guardian of a child.
  auto kind = Str(*body, "kind", false);
  if (!kind.ok()) return Fail(c, kind.status());
  auto k = ParseConsentKind(kind->empty() ? "processing" : *kind);
  if (!k)
    return Fail(c, Status::InvalidInput("unknown kind '" + *kind +
                                        "'; use processing, disclosure or import"));
  r.kind = *k;
  // At a kiosk the person ticks and taps: a processing consent by click. Written and guardian
  // consents, disclosures (C8) and imports (P1) need staff to check the paper or the guardian.
  if (c.key && c.key->role == Role::kDevice &&
      (r.kind != ConsentKind::kProcessing || r.method != ConsentMethod::kClick))
    return Forbid(c, "a device key records only the person's own consent to processing by click; written or "
                     "guardian consents, disclosure and import consents are recorded by an operator");
  for (auto [field, dest] : {std::pair<const char*, std::string*>{"recipient", &r.recipient},
                             {"source", &r.source},
                             {"recipient_country", &r.recipient_country},
                             {"recipient_contact", &r.recipient_contact},
                             {"recipient_rights", &r.recipient_rights},
                             {"guardian", &r.guardian},
                             {"guardian_relation", &r.guardian_relation}}) {
    auto v = Str(*body, field, false);
    if (!v.ok()) return Fail(c, v.status());
    *dest = *v;
  }
  // REQ C7: a consent the operator or device asked for is refused in the quiet period.
  auto prompted = body->find("prompted");
  if (prompted != body->end() && !prompted->is_null()) {
    if (!prompted->is_boolean())
      return Fail(c, Status::InvalidInput(
                         "field \"prompted\" must be true (the operator or device asked) or "
                         "false (the person came forward on their own)"));
    r.prompted = prompted->get<bool>();
  }
  c.audited = true;
  auto rec = svc.GiveConsent(r, c.actor);
  if (!rec.ok()) return Fail(c, rec.status());
  SendJson(c.res, 201, {{"ok", true}, {"consent", ConsentJson(*rec)}});
}

void ServerImpl::ListConsents(Call& c) {
  c.action = "consent.list";
  c.subject = c.req.matches[1];
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  std::vector<ConsentRecord> all;
  c.audited = true;  // the Service puts each read on the record (REQ S6)
  if (c.req.has_param("purpose")) {
    c.purpose = c.req.get_param_value("purpose");
    auto r = svc.ListConsents(c.subject, c.purpose, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    all = std::move(*r);
  } else {  // every purpose
    auto ps = svc.ListPurposes();
    if (!ps.ok()) return Fail(c, ps.status());
    for (const PurposeRecord& p : *ps) {
      auto r = svc.ListConsents(c.subject, p.name, c.actor);
      if (!r.ok()) return Fail(c, r.status());
      all.insert(all.end(), r->begin(), r->end());
    }
  }
  SendJson(c.res, 200, Paged(all, *page, ConsentJson));
}

void ServerImpl::Withdraw(Call& c) {
  c.action = "consent.withdraw";
  c.subject = c.req.matches[1];
  c.purpose = c.req.matches[2];
  if (!DeviceMayAct(c, c.purpose, "")) return;  // a kiosk: its own purposes only
  c.audited = true;
  auto r = svc.WithdrawConsent(c.subject, c.purpose, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200,
           {{"ok", true},
            {"subject", c.subject},
            {"purpose", c.purpose},
            {"consent_ids", r->consent_ids},
            {"consents_withdrawn", r->consents_withdrawn},
            {"templates_deleted", r->templates_deleted},
            {"key_destroyed", r->key_destroyed}});
}

// The person's consent receipt (Kantara Consent Receipt / ISO/IEC 27560 fields, REQ C2).
void ServerImpl::ConsentReceipt(Call& c) {
  c.action = "consent.receipt";
  auto id = PathId(c, 1, "a consent id, e.g. from POST /v1/consents");
  if (!id.ok()) return Fail(c, id.status());
  if (c.key && c.key->role == Role::kDevice) {  // a kiosk: receipts of its own purposes only
    auto consent = svc.store().GetConsent(*id);
    if (!consent.ok()) return Fail(c, consent.status());
    c.subject = consent->subject;
    c.purpose = consent->purpose;
    if (!DeviceMayAct(c, consent->purpose, "")) return;
  }
  c.audited = true;
  auto r = svc.ConsentReceipt(*id, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200, {{"ok", true}, {"receipt", json::parse(*r)}});
}

static json SubjectJson(const service::SubjectInfo& s) {
  json j = {{"subject", s.id},
            {"birth_date", s.birth_date.empty() ? json(nullptr) : json(s.birth_date)},
            {"age", s.age < 0 ? json(nullptr) : json(s.age)},
            {"minor", s.minor}};
  return j;
}

// Registers a subject with its declared birth date (REQ M1); audited by the Service.
void ServerImpl::DeclareSubject(Call& c) {
  c.action = "subject.declare";
  auto body = ParseBody(c.req, R"({"id": "K1", "birth_date": "2015-06-01"})");
  if (!body.ok()) return Fail(c, body.status());
  auto id = Str(*body, "id", true, "the pseudonymous subject id");
  if (!id.ok()) return Fail(c, id.status());
  c.subject = *id;
  auto born = Str(*body, "birth_date", false);
  if (!born.ok()) return Fail(c, born.status());
  c.audited = true;
  auto r = svc.DeclareSubject(*id, *born, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  json j = SubjectJson(*r);
  j["ok"] = true;
  SendJson(c.res, 201, j);
}

// The subject's record and age now; a child's record read is audited as minor.read (REQ M3).
void ServerImpl::ShowSubject(Call& c) {
  c.action = "subject.show";
  c.subject = c.req.matches[1];
  c.audited = true;  // the Service puts the read on the record (REQ S6)
  auto r = svc.ShowSubject(c.subject, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  json j = SubjectJson(*r);
  j["ok"] = true;
  SendJson(c.res, 200, j);
}

// REQ M3: an admin lets another key read a child's records for a while, with a reason.
void ServerImpl::ApproveMinorAccess(Call& c) {
  c.action = "minor.access.approve";
  c.subject = c.req.matches[1];
  auto body = ParseBody(c.req, R"({"reader": "key:<id>", "reason": "parent asked for the records", "valid_seconds": 3600})");
  if (!body.ok()) return Fail(c, body.status());
  auto reader = Str(*body, "reader", true, "key:<id> of the API key that may read");
  if (!reader.ok()) return Fail(c, reader.status());
  auto reason = Str(*body, "reason", true, "why the child's records are needed");
  if (!reason.ok()) return Fail(c, reason.status());
  auto valid = Int(*body, "valid_seconds", false);
  if (!valid.ok()) return Fail(c, valid.status());
  c.audited = true;
  auto r = svc.ApproveMinorAccess(c.subject, *reader, *reason, *valid ? *valid : 3600, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 201, {{"ok", true}, {"subject", c.subject}, {"reader", *reader}, {"approved_by", c.actor},
                        {"expires_at", FormatTime(*r)}});
}

// REQ M1: a declared birth date changes under another person's approval only (admin keys).
void ServerImpl::ChangeBirthDate(Call& c) {
  c.action = "subject.birth_date.change";
  c.subject = c.req.matches[1];
  auto body = ParseBody(c.req, R"({"birth_date": "2012-06-01", "reason": "typo in the form, checked on the ID card"})");
  if (!body.ok()) return Fail(c, body.status());
  if (!body->contains("birth_date"))
    return Fail(c, Status::InvalidInput("field \"birth_date\" is required: the corrected date, or null to clear it"));
  auto born = Str(*body, "birth_date", false);
  auto reason = Str(*body, "reason", true, "why the declared date is wrong");
  for (const Status& st : {born.status(), reason.status()})
    if (!st.ok()) return Fail(c, st);
  c.audited = true;
  auto r = svc.ChangeBirthDate(c.subject, *born, *reason, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  json j = SubjectJson(*r);
  j["ok"] = true;
  SendJson(c.res, 200, j);
}

void ServerImpl::ApproveBirthDateChange(Call& c) {
  c.action = "subject.birth_date.approve";
  c.subject = c.req.matches[1];
  auto body = ParseBody(
      c.req,
      R"({"for": "key:<id of the admin who changes it>", "birth_date": "2012-06-01", "reason": "...", "valid_seconds": 3600})");
  if (!body.ok()) return Fail(c, body.status());
  if (!body->contains("birth_date"))
    return Fail(c, Status::InvalidInput("field \"birth_date\" is required: the date approved, or null to clear it"));
  auto changer = Str(*body, "for", true, "key:<id> of the admin who will change the date");
  auto born = Str(*body, "birth_date", false);
  auto reason = Str(*body, "reason", true, "why the declared date is wrong");
  auto valid = Int(*body, "valid_seconds", false);
  for (const Status& st : {changer.status(), born.status(), reason.status(), valid.status()})
    if (!st.ok()) return Fail(c, st);
  c.audited = true;
  auto r = svc.ApproveBirthDateChange(c.subject, *born, *changer, *reason, *valid ? *valid : 3600, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 201, {{"ok", true}, {"subject", c.subject}, {"for", *changer},
                        {"birth_date", born->empty() ? json(nullptr) : json(*born)},
                        {"approved_by", c.actor}, {"expires_at", FormatTime(*r)}});
}

}  // namespace facegate::server
