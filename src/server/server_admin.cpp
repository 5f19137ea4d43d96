// Administration and the public routes: health, the retention sweep (REQ S5, S7), the rules
// with their citations, and the breach workflow (REQ S9, PIPL 57; docs/breach.md).
#include "policy/rules.h"
#include "server/server_impl.h"
#include "service/json_views.h"

namespace facegate::server {

const std::vector<RouteEntry>& AdminRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"GET", "/v1/health", Access::kPublic}, &ServerImpl::Health},
      {{"GET", "/v1/me", Access::kAnyKey}, &ServerImpl::Me},
      {{"POST", "/v1/retention/sweep", Access::kAdmin}, &ServerImpl::SweepRetention},
      {{"GET", "/v1/rules", Access::kPublic}, &ServerImpl::ListRules},
      {{"GET", "/v1/rules/{id}", Access::kPublic}, &ServerImpl::GetRule},
      // breach workflow, admins only (REQ S9, PIPL 57; docs/breach.md)
      {{"POST", "/v1/breaches", Access::kAdmin}, &ServerImpl::OpenBreach},
      {{"GET", "/v1/breaches", Access::kAdmin}, &ServerImpl::ListBreaches},
      {{"GET", "/v1/breaches/{id}", Access::kAdmin}, &ServerImpl::ShowBreach},
      {{"POST", "/v1/breaches/{id}/assess", Access::kAdmin}, &ServerImpl::AssessBreach},
      {{"POST", "/v1/breaches/{id}/notify-authority", Access::kAdmin},
       &ServerImpl::NotifyAuthority},
      {{"POST", "/v1/breaches/{id}/notify-people", Access::kAdmin}, &ServerImpl::NotifyPeople},
      {{"POST", "/v1/breaches/{id}/no-notify", Access::kAdmin}, &ServerImpl::DecideNotToNotify},
      {{"POST", "/v1/breaches/{id}/close", Access::kAdmin}, &ServerImpl::CloseBreach},
  };
  return routes;
}

void ServerImpl::Health(Call& c) {
  SendJson(c.res, 200, {{"ok", true}, {"status", "serving"}, {"version", "v1"}});
}

// The calling key: its id, role and, for a device key, its device and purposes. The pages ask
// it first to show only what the role may do (docs/ui.md). Reading one's own key is not
// personal data: not audited.
void ServerImpl::Me(Call& c) {
  c.audited = true;
  json j = {{"id", c.key->id}, {"role", ToString(c.key->role)}};
  if (c.key->role == Role::kDevice) {
    j["device"] = c.key->device;
    j["purposes"] = c.key->purposes;
  }
  SendJson(c.res, 200, j);
}

// Deletes every expired template now and destroys keys left unused (REQ S5, S7); `serve`
// also sweeps on its own every --sweep-every seconds.
void ServerImpl::SweepRetention(Call& c) {
  c.action = "retention.sweep";
  auto r = svc.SweepRetention(c.actor);
  // The Service audits failures and sweeps that deleted something; an idle sweep is audited here.
  c.audited = !r.ok() || r->DeletedAnything();
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200, service::SweepJson(*r));
}

static json RuleJson(const policy::Rule& r) {
  return {{"id", r.id}, {"title", r.title}, {"citation", r.citation}};
}

// The requirements facegate enforces with their legal citations: public, like the law.
void ServerImpl::ListRules(Call& c) {
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  SendJson(c.res, 200, Paged(policy::Rules(), *page, RuleJson));
}

void ServerImpl::GetRule(Call& c) {
  const std::string id = c.req.matches[1];
  const policy::Rule* r = policy::FindRule(id);
  if (!r)
    return Fail(c, Status::NotFound("no requirement '" + id + "'; GET /v1/rules lists them"));
  SendJson(c.res, 200, {{"ok", true}, {"rule", RuleJson(*r)}});
}

// ---- breach workflow (REQ S9, PIPL 57; docs/breach.md): admins only ----
static constexpr const char* kBreachId = "a breach id (GET /v1/breaches lists them)";

void ServerImpl::SendBreach(Call& c, int http, const Result<BreachRecord>& b) {
  if (!b.ok()) return Fail(c, b.status());
  SendJson(c.res, http, {{"ok", true}, {"breach", service::BreachRecordJson(*b)}});
}

void ServerImpl::SendBreachView(Call& c, const Result<service::BreachView>& v) {
  if (!v.ok()) return Fail(c, v.status());
  SendJson(c.res, 200, {{"ok", true}, {"breach", service::BreachViewJson(*v)}});
}

// A step's documents: JSON by default, Markdown with ?format=markdown.
void ServerImpl::SendBreachDocument(Call& c, const Result<service::BreachDocument>& doc) {
  if (!doc.ok()) return Fail(c, doc.status());
  c.res.status = 200;
  c.res.set_header("X-Facegate-Breach", std::to_string(doc->breach_id));
  if (c.req.has_param("format") && c.req.get_param_value("format") == "markdown")
    return c.res.set_content(doc->markdown, "text/markdown; charset=utf-8");
  c.res.set_content(doc->json, "application/json");
}

void ServerImpl::OpenBreach(Call& c) {
  c.action = "breach.open";
  auto body = ParseBody(
      c.req, R"({"description": "...", "cause": "...", "harm": "...", "measures": "...", "advice": "...", "contact": "dpo@example.com", "window_from": 1767225600, "window_to": 1793491200, "kinds": ["template", "consent"], "purposes": ["office-entry"]})");
  if (!body.ok()) return Fail(c, body.status());
  service::BreachInput in;
  struct Field {
    const char* name;
    std::string* out;
    const char* what;
  };
  const Field fields[] = {
      {"description", &in.description, "what happened"},
      {"cause", &in.cause, "the cause (PIPL 57); \"under investigation\" if not yet known"},
      {"harm", &in.harm, "the harm it may cause (PIPL 57)"},
      {"measures", &in.measures, "the remedial measures taken (PIPL 57)"},
      {"advice", &in.individual_advice, "what people can do to reduce the harm (PIPL 57)"},
      {"contact", &in.contact, "the handler's contact (PIPL 57)"}};
  for (const Field& f : fields) {
    auto v = Str(*body, f.name, true, f.what);
    if (!v.ok()) return Fail(c, v.status());
    *f.out = *v;
  }
  auto from = Int(*body, "window_from", true, "Unix seconds when data may first have been exposed");
  if (!from.ok()) return Fail(c, from.status());
  auto to = Int(*body, "window_to", true, "Unix seconds when exposure ended (now at the latest)");
  if (!to.ok()) return Fail(c, to.status());
  auto detected = Int(*body, "detected_at", false);
  if (!detected.ok()) return Fail(c, detected.status());
  auto kinds = StrList(*body, "kinds");
  if (!kinds.ok()) return Fail(c, kinds.status());
  auto purposes = StrList(*body, "purposes");
  if (!purposes.ok()) return Fail(c, purposes.status());
  in.window_from = *from;
  in.window_to = *to;
  in.detected_at = *detected;
  in.kinds = *kinds;
  in.purposes = *purposes;
  c.audited = true;
  SendBreach(c, 201, svc.OpenBreach(in, c.actor));
}

void ServerImpl::ListBreaches(Call& c) {
  c.action = "breach.list";
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  auto bs = svc.ListBreaches();
  if (!bs.ok()) return Fail(c, bs.status());
  SendJson(c.res, 200, Paged(*bs, *page, service::BreachRecordJson));
}

void ServerImpl::ShowBreach(Call& c) {
  c.action = "breach.show";
  auto id = PathId(c, 1, kBreachId);
  if (!id.ok()) return Fail(c, id.status());
  c.audited = true;
  SendBreachView(c, svc.ShowBreach(*id, c.actor));
}

void ServerImpl::AssessBreach(Call& c) {
  c.action = "breach.assess";
  auto id = PathId(c, 1, kBreachId);
  if (!id.ok()) return Fail(c, id.status());
  c.audited = true;
  SendBreachView(c, svc.AssessBreach(*id, c.actor));
}

void ServerImpl::NotifyAuthority(Call& c) {
  c.action = "breach.notify_authority";
  auto id = PathId(c, 1, kBreachId);
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"reference": "the authority's case number"})");
  if (!body.ok()) return Fail(c, body.status());
  auto ref = Str(*body, "reference", true, "the authority's case number, or how and when it was filed");
  if (!ref.ok()) return Fail(c, ref.status());
  c.audited = true;
  SendBreachDocument(c, svc.NotifyAuthority(*id, *ref, c.actor));
}

void ServerImpl::NotifyPeople(Call& c) {
  c.action = "breach.notify_people";
  auto id = PathId(c, 1, kBreachId);
  if (!id.ok()) return Fail(c, id.status());
  c.audited = true;
  SendBreachDocument(c, svc.NotifyPeople(*id, c.actor));
}

void ServerImpl::DecideNotToNotify(Call& c) {
  c.action = "breach.no_notify";
  auto id = PathId(c, 1, kBreachId);
  if (!id.ok()) return Fail(c, id.status());
  auto body = ParseBody(c.req, R"({"reason": "how the measures effectively avoid harm"})");
  if (!body.ok()) return Fail(c, body.status());
  auto reason = Str(*body, "reason", true, "how the measures taken effectively avoid harm (PIPL 57)");
  if (!reason.ok()) return Fail(c, reason.status());
  c.audited = true;
  SendBreach(c, 200, svc.DecideNotToNotify(*id, *reason, c.actor));
}

void ServerImpl::CloseBreach(Call& c) {
  c.action = "breach.close";
  auto id = PathId(c, 1, kBreachId);
  if (!id.ok()) return Fail(c, id.status());
  c.audited = true;
  SendBreach(c, 200, svc.CloseBreach(*id, c.actor));
}

}  // namespace facegate::server
