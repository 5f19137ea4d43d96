// Rights of the person (REQ R1, R2; docs/rights.md): requests and their deadlines, export,
// explanation, restriction, erasure and correction.
#include <sodium.h>

#include "server/server_impl.h"
#include "service/json_views.h"

namespace facegate::server {

using service::FormatTime;

const std::vector<RouteEntry>& RightsRoutes() {
  static const std::vector<RouteEntry> routes = {
      // rights of the person (REQ R1, R2; docs/rights.md)
      {{"POST", "/v1/rights", Access::kRights}, &ServerImpl::OpenRightsRequest},
      {{"GET", "/v1/rights", Access::kRightsRead}, &ServerImpl::ListRightsRequests},
      {{"GET", "/v1/rights/{id}", Access::kRightsRead}, &ServerImpl::GetRightsRequest},
      {{"POST", "/v1/rights/{id}/complete", Access::kRights}, &ServerImpl::CompleteRightsRequest},
      {{"POST", "/v1/rights/{id}/refuse", Access::kRights}, &ServerImpl::RefuseRightsRequest},
      {{"POST", "/v1/rights/{id}/review", Access::kRights}, &ServerImpl::ReviewRightsRequest},
      // a correction, by a second person
      {{"POST", "/v1/rights/{id}/approve", Access::kRights}, &ServerImpl::ApproveCorrection},
      {{"POST", "/v1/subjects/{id}/export", Access::kRights}, &ServerImpl::ExportSubject},
      {{"POST", "/v1/subjects/{id}/explanation", Access::kRights}, &ServerImpl::ExplainSubject},
      {{"POST", "/v1/subjects/{id}/restrict", Access::kRights}, &ServerImpl::RestrictSubject},
      {{"POST", "/v1/subjects/{id}/lift", Access::kRights}, &ServerImpl::LiftRestriction},
      {{"POST", "/v1/subjects/{id}/erase", Access::kRights}, &ServerImpl::EraseSubject},
      {{"POST", "/v1/subjects/{id}/correct", Access::kRights}, &ServerImpl::CorrectSubject},
  };
  return routes;
}

// ---- rights of the person (REQ R1, R2; docs/rights.md) ----
// Operators and admins record and handle requests; auditors read them.

// An optional integer "request" field or ?request= query parameter.
Result<int64_t> ServerImpl::RequestIdOf(Call& c, const json* body) {
  if (body) {
    FG_ASSIGN_OR_RETURN(int64_t id, Int(*body, "request", false));
    if (id) return id;
  }
  return QueryInt(c.req, "request", 0, 0, INT64_MAX);
}

// A JSON body that may be absent (an action with no fields).
Result<json> ServerImpl::OptionalBody(Call& c, const std::string& hint) {
  if (c.req.body.empty()) return json::object();
  return ParseBody(c.req, hint);
}

void ServerImpl::SendRequest(Call& c, int http, const Result<RightsRequestRecord>& r) {
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, http, {{"ok", true}, {"request", service::RightsRequestJson(*r, Now())}});
}

void ServerImpl::OpenRightsRequest(Call& c) {
  c.action = "rights.request";
  auto body = ParseBody(
      c.req, R"({"subject": "S1", "kind": "access", "note": "asked at the front desk"})");
  if (!body.ok()) return Fail(c, body.status());
  service::RightsRequestInput in;
  auto subject = Str(*body, "subject", false);
  if (!subject.ok()) return Fail(c, subject.status());
  in.subject = *subject;
  auto kind = Str(*body, "kind", true, "access, copy, correction, deletion, restriction, "
                                       "withdrawal, explanation or human_review");
  if (!kind.ok()) return Fail(c, kind.status());
  in.kind = *kind;
  auto purpose = Str(*body, "purpose", false);
  auto note = Str(*body, "note", false);
  auto event = Int(*body, "event_seq", false);
  for (const Status* s : {&purpose.status(), &note.status(), &event.status()})
    if (!s->ok()) return Fail(c, *s);
  in.purpose = *purpose;
  in.note = *note;
  in.event_seq = *event;
  c.subject = in.subject;
  c.audited = true;
  SendRequest(c, 201, svc.OpenRightsRequest(in, c.actor));
}

void ServerImpl::ListRightsRequests(Call& c) {
  c.action = "rights.list";
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  c.subject = c.req.has_param("subject") ? c.req.get_param_value("subject") : "";
  const std::string status = c.req.has_param("status") ? c.req.get_param_value("status") : "";
  if (!status.empty() && status != "open" && status != "overdue")
    return Fail(c, Status::InvalidInput("query parameter status='" + status +
                                        "' must be open or overdue (or absent: every request)"));
  auto rs = svc.ListRightsRequests(c.subject, !status.empty());
  if (!rs.ok()) return Fail(c, rs.status());
  const UnixTime now = Now();
  std::vector<RightsRequestRecord> shown;
  int64_t overdue = 0;
  for (const RightsRequestRecord& r : *rs) {
    overdue += r.overdue_at(now);
    if (status != "overdue" || r.overdue_at(now)) shown.push_back(r);
  }
  json j = Paged(shown, *page, [now](const RightsRequestRecord& r) {
    return service::RightsRequestJson(r, now);
  });
  j["overdue"] = overdue;
  SendJson(c.res, 200, j);
}

void ServerImpl::GetRightsRequest(Call& c) {
  c.action = "rights.get";
  auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto r = svc.GetRightsRequest(*id);
  if (r.ok()) c.subject = r->subject;
  SendRequest(c, 200, r);
}

void ServerImpl::CompleteRightsRequest(Call& c) {
  c.action = "rights.complete";
  auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto body = OptionalBody(c, R"({"note": "answered by letter"})");
  if (!body.ok()) return Fail(c, body.status());
  auto note = Str(*body, "note", false);
  if (!note.ok()) return Fail(c, note.status());
  c.audited = true;
  SendRequest(c, 200, svc.CompleteRightsRequest(*id, *note, c.actor));
}

void ServerImpl::RefuseRightsRequest(Call& c) {
  c.action = "rights.refuse";
  auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"reason": "the law or fact that prevents it"})");
  if (!body.ok()) return Fail(c, body.status());
  auto reason = Str(*body, "reason", true, "a refusal gives the person its reason (REQ R1)");
  if (!reason.ok()) return Fail(c, reason.status());
  c.audited = true;
  SendRequest(c, 200, svc.RefuseRightsRequest(*id, *reason, c.actor));
}

void ServerImpl::ReviewRightsRequest(Call& c) {
  c.action = "rights.review";
  auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"outcome": "confirmed", "reason": "..."})");
  if (!body.ok()) return Fail(c, body.status());
  auto outcome = Str(*body, "outcome", true, "confirmed or overturned");
  if (!outcome.ok()) return Fail(c, outcome.status());
  auto reason = Str(*body, "reason", true, "the reviewer's reason");
  if (!reason.ok()) return Fail(c, reason.status());
  c.audited = true;
  SendRequest(c, 200, svc.RecordReview(*id, *outcome, *reason, c.actor));
}

// A document (export or explanation): JSON by default, Markdown with ?format=markdown.
void ServerImpl::SendDocument(Call& c, const Result<service::RightsDocument>& doc) {
  if (!doc.ok()) return Fail(c, doc.status());
  const std::string format = c.req.has_param("format") ? c.req.get_param_value("format") : "json";
  if (format == "markdown") {
    c.res.status = 200;
    c.res.set_header("X-Facegate-Request", std::to_string(doc->request_id));
    c.res.set_content(doc->markdown, "text/markdown; charset=utf-8");
    return;
  }
  c.res.status = 200;
  c.res.set_content(doc->json, "application/json");
}

Status ServerImpl::CheckFormat(Call& c) {
  const std::string f = c.req.has_param("format") ? c.req.get_param_value("format") : "json";
  if (f == "json" || f == "markdown") return Status::Ok();
  return Status::InvalidInput("query parameter format='" + f + "' must be json or markdown");
}

void ServerImpl::ExportSubject(Call& c) {
  c.action = "rights.export";
  c.subject = c.req.matches[1];
  Status f = CheckFormat(c);
  if (!f.ok()) return Fail(c, f);
  auto body = OptionalBody(c, R"({"request": 12})");
  if (!body.ok()) return Fail(c, body.status());
  auto rid = RequestIdOf(c, &*body);
  if (!rid.ok()) return Fail(c, rid.status());
  c.audited = true;
  SendDocument(c, svc.ExportSubject(c.subject, *rid, c.actor));
}

void ServerImpl::ExplainSubject(Call& c) {
  c.action = "rights.explain";
  c.subject = c.req.matches[1];
  Status f = CheckFormat(c);
  if (!f.ok()) return Fail(c, f);
  auto body = OptionalBody(c, R"({"request": 12, "limit": 10})");
  if (!body.ok()) return Fail(c, body.status());
  auto rid = RequestIdOf(c, &*body);
  if (!rid.ok()) return Fail(c, rid.status());
  auto limit = Int(*body, "limit", false);
  if (!limit.ok()) return Fail(c, limit.status());
  c.audited = true;
  SendDocument(c, svc.ExplainDecisions(c.subject, *limit, *rid, c.actor));
}

void ServerImpl::RestrictSubject(Call& c) {
  c.action = "rights.restrict";
  c.subject = c.req.matches[1];
  auto body = OptionalBody(c, R"({"request": 12})");
  if (!body.ok()) return Fail(c, body.status());
  auto rid = RequestIdOf(c, &*body);
  if (!rid.ok()) return Fail(c, rid.status());
  c.audited = true;
  auto r = svc.RestrictSubject(c.subject, *rid, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200,
           {{"ok", true}, {"subject", c.subject}, {"restriction", r->id}, {"request", r->request_id},
            {"placed_at", FormatTime(r->placed_at)}});
}

void ServerImpl::LiftRestriction(Call& c) {
  c.action = "rights.lift";
  c.subject = c.req.matches[1];
  c.audited = true;
  Status st = svc.LiftRestriction(c.subject, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"subject", c.subject}});
}

void ServerImpl::EraseSubject(Call& c) {
  c.action = "rights.erase";
  c.subject = c.req.matches[1];
  auto body = OptionalBody(c, R"({"request": 12})");
  if (!body.ok()) return Fail(c, body.status());
  auto rid = RequestIdOf(c, &*body);
  if (!rid.ok()) return Fail(c, rid.status());
  c.audited = true;
  auto r = svc.EraseSubject(c.subject, *rid, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200,
           {{"ok", true},
            {"subject", c.subject},
            {"request", r->request_id},
            {"consents_withdrawn", r->consents_withdrawn},
            {"templates_deleted", r->templates_deleted},
            {"key_destroyed", r->key_destroyed},
            {"identity_anonymised", r->identity_anonymised}});
}

// REQ R1: a second person approves a correction request (the person's identity checked).
void ServerImpl::ApproveCorrection(Call& c) {
  c.action = "rights.correction.approve";
  auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"reason": "identity checked against the ID card at the desk"})");
  if (!body.ok()) return Fail(c, body.status());
  auto reason = Str(*body, "reason", true, "how the person's identity was checked");
  if (!reason.ok()) return Fail(c, reason.status());
  c.audited = true;
  Status st = svc.ApproveCorrection(*id, *reason, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 201, {{"ok", true}, {"request", *id}, {"approved_by", c.actor}});
}

void ServerImpl::CorrectSubject(Call& c) {
  c.action = "rights.correct";
  c.subject = c.req.matches[1];
  std::string image, session;
  int64_t rid = 0;
  const char* kHint =
      R"({"purpose": "office-entry", "image_base64": "<base64 of the JPEG>", "request": 12} or multipart/form-data with fields purpose, request and file "image")";
  if (c.req.is_multipart_form_data()) {
    auto field = [&](const char* name) {
      return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
    };
    c.purpose = field("purpose");
    session = field("session");
    const std::string r = field("request");
    if (!r.empty()) {
      try {
        rid = std::stoll(r);
      } catch (...) {
        return Fail(c, Status::InvalidInput("multipart field \"request\" must be a request id"));
      }
    }
    image = field("image");
  } else {
    auto body = ParseBody(c.req, kHint);
    if (!body.ok()) return Fail(c, body.status());
    auto purpose = Str(*body, "purpose", false);
    auto sess = Str(*body, "session", false);
    auto b64 = Str(*body, "image_base64", true, std::string("the new photo; send ") + kHint);
    auto r = Int(*body, "request", false);
    for (const Status* s : {&purpose.status(), &sess.status(), &b64.status(), &r.status()})
      if (!s->ok()) return Fail(c, *s);
    c.purpose = *purpose;
    session = *sess;
    rid = *r;
    auto bytes = DecodeBase64(*b64);
    if (!bytes.ok()) return Fail(c, bytes.status());
    image = std::move(*bytes);
  }
  if (c.purpose.empty())
    return Fail(c, Status::InvalidInput("field \"purpose\" is required: the purpose whose templates are corrected"));
  if (image.empty()) return Fail(c, Status::InvalidInput("the image is empty; send a JPEG, PNG, WebP or BMP photo"));
  if (!ChargeDecodeWork(c, {&image})) return;
  c.audited = true;
  auto r = svc.CorrectEnrolment(c.subject, c.purpose, image, session, rid, c.actor);
  sodium_memzero(image.data(), image.size());  // REQ S2: the photo is not kept
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200,
           {{"ok", true},
            {"subject", c.subject},
            {"purpose", c.purpose},
            {"request", r->request_id},
            {"templates_replaced", r->templates_replaced},
            {"template_id", r->template_id},
            {"model", r->model},
            {"expires_at", FormatTime(r->expires_at)}});
}

}  // namespace facegate::server
