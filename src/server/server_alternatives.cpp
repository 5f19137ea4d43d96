// The non-face alternatives: choosing and completing one (REQ A2, C6, D7), the connectors that
// check it (REQ A4), and the person's refusal with its quiet period and may-ask (REQ C7).
#include "server/server_impl.h"
#include "service/json_views.h"

namespace facegate::server {

using service::FormatTime;

const std::vector<RouteEntry>& AlternativeRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"POST", "/v1/alternatives", Access::kGate}, &ServerImpl::ChooseAlternative},
      // Manual completion is staff's decision: never a device's, whatever the connector
      // (a device presents the credential instead, and its connector decides).
      {{"POST", "/v1/alternatives/{id}/complete", Access::kConsents},
       &ServerImpl::CompleteAlternative},
      // Alternative connectors (REQ A4): binding, credentials, tokens, presenting.
      {{"GET", "/v1/purposes/{name}/connectors", Access::kPurposes}, &ServerImpl::ListConnectors},
      {{"POST", "/v1/purposes/{name}/connectors", Access::kAdmin}, &ServerImpl::ConnectAlternative},
      {{"POST", "/v1/alternatives/credentials", Access::kConsents},
       &ServerImpl::RegisterCredential},
      {{"POST", "/v1/alternatives/tokens", Access::kConsents}, &ServerImpl::IssueToken},
      {{"POST", "/v1/alternatives/{id}/present", Access::kGate}, &ServerImpl::PresentAlternative},
      {{"POST", "/v1/subjects/{id}/consents/{purpose}/refuse", Access::kGate},
       &ServerImpl::RefuseConsent},
      {{"GET", "/v1/subjects/{id}/consents/{purpose}/may-ask", Access::kGate},
       &ServerImpl::MayAskConsent},
  };
  return routes;
}

// The person chooses a non-face method: a face-free transaction opens, in which every face
// operation for the subject, purpose and session is refused (REQ A2, D7).
void ServerImpl::ChooseAlternative(Call& c) {
  c.action = "alternative.choose";
  auto body = ParseBody(
      c.req,
      R"({"subject": "S1", "purpose": "office-entry", "method": "staff-card", "session": "kiosk-7:42"})");
  if (!body.ok()) return Fail(c, body.status());
  auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
  auto purpose = Str(*body, "purpose", true, "e.g. office-entry");
  auto method = Str(*body, "method", true,
                    "one of the purpose's alternatives (GET /v1/purposes/{name} lists them)");
  auto session = Str(*body, "session", false);
  auto device = Str(*body, "device", false);
  for (const Status& st :
       {subject.status(), purpose.status(), method.status(), session.status(), device.status()})
    if (!st.ok()) return Fail(c, st);
  c.subject = *subject;
  c.purpose = *purpose;
  if (!DeviceMayAct(c, *purpose, *device)) return;
  c.audited = true;
  auto id = svc.ChooseAlternative(*subject, *purpose, *method, *session, c.actor);
  if (!id.ok()) return Fail(c, id.status());
  SendJson(c.res, 201,
           {{"ok", true},
            {"transaction", *id},
            {"subject", *subject},
            {"purpose", *purpose},
            {"method", *method},
            {"session", *session}});
}

// Records the outcome of the alternative check and closes the transaction; audited like a
// face outcome, so the service never depends on face (REQ C6).
void ServerImpl::CompleteAlternative(Call& c) {
  c.action = "alternative.complete";
  auto id = PathId(c, 1, "transaction id from POST /v1/alternatives");
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"outcome": "granted"} or {"outcome": "denied"})");
  if (!body.ok()) return Fail(c, body.status());
  auto outcome = Str(*body, "outcome", true,
                     "granted or denied: whether the alternative check let the person through");
  if (!outcome.ok()) return Fail(c, outcome.status());
  auto a = svc.store().GetAlternative(*id);
  if (a.ok()) {
    c.subject = a->subject;
    c.purpose = a->purpose;
    if (!DeviceMayAct(c, a->purpose, "")) return;
  }
  c.audited = true;
  Status st = svc.CompleteAlternative(*id, *outcome, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"transaction", *id}, {"outcome", *outcome}});
}

// ---- alternative connectors (REQ A4) ----
static json ConnectorJson(const AlternativeConnectorRecord& r) {
  return {{"method", r.method}, {"kind", r.kind}, {"config", json::parse(r.config, nullptr, false)},
          {"set_by", r.actor}, {"set_at", r.set_at ? FormatTime(r.set_at) : std::string()}};
}

void ServerImpl::ListConnectors(Call& c) {
  c.action = "alternative.connectors";
  c.purpose = c.req.matches[1];
  auto r = svc.AlternativeConnectors(c.purpose);
  if (!r.ok()) return Fail(c, r.status());
  json arr = json::array();
  for (auto& x : *r) arr.push_back(ConnectorJson(x));
  SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"connectors", arr}});
}

void ServerImpl::ConnectAlternative(Call& c) {
  c.action = "alternative.connect";
  c.purpose = c.req.matches[1];
  const char* kHint = R"({"method": "id-service", "kind": "http", "config": {"url": "https://id.example/verify"}})";
  auto body = ParseBody(c.req, kHint);
  if (!body.ok()) return Fail(c, body.status());
  auto method = Str(*body, "method", true, "one of the purpose's declared alternatives");
  if (!method.ok()) return Fail(c, method.status());
  auto kind = Str(*body, "kind", true, "staff, pin, card, qr or http");
  if (!kind.ok()) return Fail(c, kind.status());
  AlternativeConnectorRecord rec;
  rec.purpose = c.purpose;
  rec.method = *method;
  rec.kind = *kind;
  if (body->contains("config")) {
    if (!(*body)["config"].is_object())
      return Fail(c, Status::InvalidInput(std::string("\"config\" must be an object; send ") + kHint));
    rec.config = (*body)["config"].dump();
  }
  c.audited = true;
  Status st = svc.ConnectAlternative(rec, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"method", rec.method}, {"kind", rec.kind}});
}

void ServerImpl::RegisterCredential(Call& c) {
  c.action = "alternative.register";
  auto body = ParseBody(c.req, R"({"subject": "S1", "purpose": "office-entry", "method": "pin", "secret": "4821"})");
  if (!body.ok()) return Fail(c, body.status());
  auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
  if (!subject.ok()) return Fail(c, subject.status());
  auto purpose = Str(*body, "purpose", true);
  if (!purpose.ok()) return Fail(c, purpose.status());
  auto method = Str(*body, "method", true, "a pin or card alternative of the purpose");
  if (!method.ok()) return Fail(c, method.status());
  auto secret = Str(*body, "secret", true, "the PIN (4-12 digits) or card number");
  if (!secret.ok()) return Fail(c, secret.status());
  c.subject = *subject;
  c.purpose = *purpose;
  c.audited = true;
  Status st = svc.RegisterAlternativeCredential(*subject, *purpose, *method, *secret, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"subject", *subject}, {"purpose", *purpose}, {"method", *method}});
}

void ServerImpl::IssueToken(Call& c) {
  c.action = "alternative.token";
  auto body = ParseBody(c.req, R"({"subject": "S1", "purpose": "office-entry", "method": "qr", "valid_seconds": 300})");
  if (!body.ok()) return Fail(c, body.status());
  auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
  if (!subject.ok()) return Fail(c, subject.status());
  auto purpose = Str(*body, "purpose", true);
  if (!purpose.ok()) return Fail(c, purpose.status());
  auto method = Str(*body, "method", true, "a qr alternative of the purpose");
  if (!method.ok()) return Fail(c, method.status());
  auto valid = Int(*body, "valid_seconds", false);
  if (!valid.ok()) return Fail(c, valid.status());
  c.subject = *subject;
  c.purpose = *purpose;
  c.audited = true;
  const int64_t seconds = *valid ? *valid : 300;
  auto t = svc.IssueAlternativeToken(*subject, *purpose, *method, seconds, c.actor);
  if (!t.ok()) return Fail(c, t.status());
  SendJson(c.res, 200, {{"ok", true}, {"token", *t}, {"valid_seconds", seconds}});
}

void ServerImpl::PresentAlternative(Call& c) {
  c.action = "alternative.present";
  auto id = PathId(c, 1, "transaction id from POST /v1/alternatives");
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"credential": "4821"})");
  if (!body.ok()) return Fail(c, body.status());
  auto credential = Str(*body, "credential", true, "what the person presented: PIN, card number or QR payload");
  if (!credential.ok()) return Fail(c, credential.status());
  auto a = svc.store().GetAlternative(*id);
  if (a.ok()) {
    c.subject = a->subject;
    c.purpose = a->purpose;
    if (!DeviceMayAct(c, a->purpose, "")) return;
  }
  c.audited = true;
  auto r = svc.PresentAlternative(*id, *credential, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200, {{"ok", true}, {"transaction", *id}, {"outcome", r->outcome}, {"connector", r->connector},
                        {"reason", r->reason}, {"attempts_left", r->attempts_left}});
}

// 404 unless the purpose in the path is declared (kept as c.purpose for the audit event).
bool ServerImpl::PurposeExists(Call& c, const std::string& purpose) {
  auto p = svc.store().GetPurpose(purpose);
  if (p.ok()) {
    c.purpose = purpose;
    return true;
  }
  if (p.status().kind() != ErrorKind::kNotFound) {
    Fail(c, p.status());
    return false;
  }
  Fail(c, Status::NotFound("purpose '" + purpose +
                           "' does not exist; GET /v1/purposes lists the declared ones"));
  return false;
}

// The person said no: starts the quiet period in which nobody asks again (REQ C7).
void ServerImpl::RefuseConsent(Call& c) {
  c.action = "consent.refuse";
  c.subject = c.req.matches[1];
  const std::string purpose = c.req.matches[2];
  if (!DeviceMayAct(c, purpose, "")) return;
  if (!PurposeExists(c, purpose)) return;
  c.audited = true;
  Status st = svc.RefuseConsent(c.subject, c.purpose, c.actor);
  if (!st.ok()) return Fail(c, st);
  const int64_t quiet = svc.config().consent_quiet_seconds;
  SendJson(c.res, 201,
           {{"ok", true},
            {"subject", c.subject},
            {"purpose", c.purpose},
            {"quiet_seconds", quiet},
            {"quiet_until", FormatTime(Now() + quiet)}});
}

// May the operator or device ask the person for consent now? "No" within the quiet period
// after a refusal is an answer (200, may_ask false, with the rule and citation), not an error.
void ServerImpl::MayAskConsent(Call& c) {
  c.action = "consent.may_ask";
  c.subject = c.req.matches[1];
  const std::string purpose = c.req.matches[2];
  if (!DeviceMayAct(c, purpose, "")) return;
  if (!PurposeExists(c, purpose)) return;
  Status st = svc.MayAskConsent(c.subject, c.purpose);
  json j = {{"ok", true}, {"subject", c.subject}, {"purpose", c.purpose}, {"may_ask", st.ok()}};
  if (!st.ok()) {
    if (st.kind() != ErrorKind::kRefused) return Fail(c, st);
    service::Refusal r = service::DescribeRefusal(st, svc.AlternativesOf(c.purpose));
    j["requirement"] = r.requirement;
    j["rule"] = r.title;
    j["citation"] = r.citation;
    j["message"] = st.message();
    j["alternatives"] = r.alternatives;
  }
  SendJson(c.res, 200, j);
}

}  // namespace facegate::server
