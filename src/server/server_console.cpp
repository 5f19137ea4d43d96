// What the operator console needs beyond the other families (docs/ui.md): the dashboard's counts
// (REQ F2, R1, C6, C7), every version of a purpose's notice for the diff between versions
// (REQ N3), and the API keys of the server, which admins list, make and revoke from the page
// instead of a shell on the host (REQ S6: role-based access, every change audited).
#include <algorithm>
#include <mutex>

#include "policy/rules.h"
#include "server/server_impl.h"
#include "service/json_views.h"

namespace facegate::server {

using service::FormatTime;

namespace {

json NoticeVersionJson(const NoticeRecord& n, bool in_force) {
  return {{"notice_id", n.id},
          {"purpose", n.purpose},
          {"version", n.version},
          {"sha256", n.sha256},
          {"published_at", FormatTime(n.published_at)},
          {"in_force", in_force},
          {"text", n.text}};
}

// A key as the console lists it: never its secret (the store does not hold one) nor its hash.
json ApiKeyJson(const ApiKey& k, const std::string& caller) {
  return {{"id", k.id},
          {"role", ToString(k.role)},
          {"device", k.device},
          {"purposes", k.purposes},
          {"created_at", FormatTime(k.created_at)},
          {"revoked_at", k.revoked_at ? json(FormatTime(*k.revoked_at)) : json(nullptr)},
          {"active", !k.revoked_at.has_value()},
          {"is_caller", k.id == caller}};
}

// Revocations are checked and made one at a time on this node, so two admins revoking each
// other at once cannot leave it without an admin key (several nodes on PostgreSQL: see the
// API keys row of docs/api.md, "Endpoints beyond enrol and verify").
std::mutex& RevokeMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

const std::vector<RouteEntry>& ConsoleRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"GET", "/v1/dashboard", Access::kDashboard}, &ServerImpl::Dashboard},
      {{"GET", "/v1/purposes/{name}/notices", Access::kPurposes}, &ServerImpl::ListNotices},
      // API keys: admins only (REQ S6); the secret is shown once, never stored, logged or audited
      {{"GET", "/v1/apikeys", Access::kAdmin}, &ServerImpl::ListApiKeys},
      {{"POST", "/v1/apikeys", Access::kAdmin}, &ServerImpl::CreateApiKey},
      {{"POST", "/v1/apikeys/{id}/revoke", Access::kAdmin}, &ServerImpl::RevokeApiKey},
  };
  return routes;
}

// Counts only (no person's record): audited as "dashboard.read" by the server like every read.
void ServerImpl::Dashboard(Call& c) {
  c.action = "dashboard.read";
  auto d = svc.Dashboard();
  if (!d.ok()) return Fail(c, d.status());
  json refusals = json::array();
  for (const auto& [id, n] : d->refusals) {
    const policy::Rule* rule = policy::FindRule(id);
    refusals.push_back({{"requirement", id}, {"count", n}, {"rule", rule ? rule->title : ""}});
  }
  json alternatives = json::array();
  for (const auto& a : d->alternatives)
    alternatives.push_back({{"method", a.method},
                            {"granted", a.granted},
                            {"denied", a.denied},
                            {"open", a.open},
                            {"total", a.granted + a.denied + a.open}});
  json due = json::array();
  for (const RightsRequestRecord& r : d->rights_due) due.push_back(service::RightsRequestJson(r, d->at));
  const int64_t line = service::DashboardReport::kFilingLine;
  SendJson(c.res, 200,
           {{"ok", true},
            {"at", FormatTime(d->at)},
            {"people_with_face_data", d->people_with_face_data},
            {"filing_line", line},
            {"filing_line_reached", d->people_with_face_data >= line},
            {"refusals", refusals},
            {"consent_refusals", d->consent_refusals},
            {"alternatives", alternatives},
            {"rights",
             {{"open", d->rights_open},
              {"overdue", d->rights_overdue},
              {"due_soon", d->rights_due_soon},
              {"due", due}}}});
}

// Every version of the purpose's notice with its text, oldest first; the newest is in force.
void ServerImpl::ListNotices(Call& c) {
  c.action = "notice.list";
  c.purpose = c.req.matches[1];
  auto ns = svc.store().ListNotices(c.purpose);
  if (!ns.ok()) {
    const std::string purpose = c.purpose;
    if (ns.status().kind() == ErrorKind::kNotFound) {
      c.purpose.clear();
      return Fail(c, Status::NotFound("purpose '" + purpose +
                                      "' does not exist; GET /v1/purposes lists the declared ones"));
    }
    return Fail(c, ns.status());
  }
  json items = json::array();
  for (size_t i = 0; i < ns->size(); ++i) items.push_back(NoticeVersionJson((*ns)[i], i + 1 == ns->size()));
  SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"items", items}, {"total", ns->size()}});
}

void ServerImpl::ListApiKeys(Call& c) {
  c.action = "apikey.list";
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  auto ks = keys.List();
  if (!ks.ok()) return Fail(c, ks.status());
  const std::string caller = c.key->id;
  SendJson(c.res, 200, Paged(*ks, *page, [&](const ApiKey& k) { return ApiKeyJson(k, caller); }));
}

// The server's audit event of a key made or revoked: which key, its role, device and purposes,
// never its secret (REQ S6).
void ServerImpl::AuditKeyChange(const Call& c, int http, const ApiKey& key) {
  AuditEvent e;
  e.at = Now();
  e.actor = c.actor;
  e.action = c.action;
  e.outcome = http < 400 ? "ok" : std::string("error:") + ReasonCode(http);
  e.detail = SafeDump(json{{"method", c.req.method},
                           {"route", c.route.path},
                           {"http_status", http},
                           {"key", key.id},
                           {"role", ToString(key.role)},
                           {"device", key.device},
                           {"purposes", key.purposes}});
  auto r = svc.store().AppendAudit(e);
  if (!r.ok()) Log("audit append failed: " + r.status().ToString());
}

void ServerImpl::CreateApiKey(Call& c) {
  c.action = "apikey.create";
  const char* kHint = R"({"role": "operator"} or {"role": "device", "device": "gate-1", "purposes": ["office-entry"]})";
  auto body = ParseBody(c.req, kHint);
  if (!body.ok()) return Fail(c, body.status());
  auto role_s = Str(*body, "role", true, "admin, operator, auditor or device");
  if (!role_s.ok()) return Fail(c, role_s.status());
  auto role = ParseRole(*role_s);
  if (!role)
    return Fail(c, Status::InvalidInput("unknown role '" + *role_s + "'; use admin, operator, auditor or device"));
  auto device = Str(*body, "device", false);
  if (!device.ok()) return Fail(c, device.status());
  auto purposes = StrList(*body, "purposes");
  if (!purposes.ok()) return Fail(c, purposes.status());
  if (*role == Role::kDevice) {
    if (device->empty() || purposes->empty())
      return Fail(c, Status::InvalidInput("a device key needs \"device\" (the device it belongs to) and "
                                          "\"purposes\" (at least one it may act for); send " +
                                          std::string(kHint)));
    for (const std::string& p : *purposes)
      if (!svc.store().GetPurpose(p).ok())
        return Fail(c, Status::InvalidInput("purpose '" + p +
                                            "' is not declared; GET /v1/purposes lists the declared ones"));
  } else if (!device->empty() || !purposes->empty()) {
    return Fail(c, Status::InvalidInput(std::string("only device keys take \"device\" and \"purposes\"; a ") +
                                        ToString(*role) + " key acts by its role alone: leave them out"));
  }
  auto k = keys.Create(*role, *device, *purposes, Now());
  if (!k.ok()) return Fail(c, k.status());
  c.audited = true;
  AuditKeyChange(c, 201, k->key);
  json j = ApiKeyJson(k->key, c.key->id);
  SendJson(c.res, 201, {{"ok", true}, {"key", j}, {"secret", k->secret}});
}

// Revokes a key; the last active admin key cannot be revoked (nobody could then make keys but
// on the host), which also keeps an admin from locking everybody out by revoking its own key.
void ServerImpl::RevokeApiKey(Call& c) {
  c.action = "apikey.revoke";
  const std::string id = c.req.matches[1];
  std::lock_guard<std::mutex> lock(RevokeMutex());
  auto ks = keys.List();
  if (!ks.ok()) return Fail(c, ks.status());
  auto it = std::find_if(ks->begin(), ks->end(), [&](const ApiKey& k) { return k.id == id; });
  if (it == ks->end() || it->revoked_at)
    return Fail(c, Status::NotFound("no active API key '" + id + "'; GET /v1/apikeys lists the keys"));
  if (it->role == Role::kAdmin) {
    auto admins = keys.CountActive(Role::kAdmin);
    if (!admins.ok()) return Fail(c, admins.status());
    if (*admins <= 1)
      return Fail(c, Status::Conflict(
                         std::string(id == c.key->id ? "this is your own key and " : "key '" + id + "' is ") +
                         "the last active admin key: revoking it would leave nobody able to manage keys; "
                         "create another admin key first (POST /v1/apikeys with {\"role\": \"admin\"})"));
  }
  Status st = keys.Revoke(id, Now());
  if (!st.ok()) return Fail(c, st);
  c.audited = true;
  AuditKeyChange(c, 200, *it);
  SendJson(c.res, 200, {{"ok", true}, {"id", id}, {"revoked", true}, {"was_caller", id == c.key->id}});
}

}  // namespace facegate::server
