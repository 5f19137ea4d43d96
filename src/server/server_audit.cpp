// The audit log: reading it page by page or from a cursor, and verifying its hash chain (REQ S6).
#include "server/server_impl.h"
#include "service/json_views.h"

namespace facegate::server {

using service::FormatTime;

namespace {

json AuditEventJson(const AuditEvent& e) {
  return {{"seq", e.seq},         {"at", FormatTime(e.at)},
          {"actor", e.actor},     {"action", e.action},
          {"subject", e.subject}, {"purpose", e.purpose},
          {"outcome", e.outcome}, {"detail", json::parse(e.detail, nullptr, false)},
          {"hash", e.hash}};
}

}  // namespace

const std::vector<RouteEntry>& AuditRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"GET", "/v1/audit", Access::kAudit}, &ServerImpl::ListAudit},
      {{"GET", "/v1/audit/verify", Access::kAudit}, &ServerImpl::VerifyAudit},
  };
  return routes;
}

void ServerImpl::ListAudit(Call& c) {
  c.action = "audit.list";
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  auto head = svc.AuditHead();
  if (!head.ok()) return Fail(c, head.status());
  const int64_t total = *head ? (*head)->seq : 0;
  // Page n holds the events with seq in ((n-1)*size, n*size]; ?after=SEQ reads on from a cursor.
  auto after = QueryInt(c.req, "after", (page->page - 1) * page->size, 0, INT64_MAX);
  if (!after.ok()) return Fail(c, after.status());
  c.audited = true;  // the Service puts the read on the record (REQ S6)
  auto events = svc.ListAudit(*after, page->size, c.actor);
  if (!events.ok()) return Fail(c, events.status());
  json items = json::array();
  for (const AuditEvent& e : *events) items.push_back(AuditEventJson(e));
  SendJson(c.res, 200,
           {{"ok", true},
            {"items", items},
            {"page", page->page},
            {"size", page->size},
            {"total", total}});
}

void ServerImpl::VerifyAudit(Call& c) {
  c.action = "audit.verify";
  auto r = svc.VerifyAudit();
  if (!r.ok()) return Fail(c, r.status());
  json j = {{"ok", r->intact},
            {"intact", r->intact},
            {"events", r->events},
            {"checkpoints", r->checkpoints},
            {"anchored_seq", r->anchored_seq},
            {"pruned_through", r->pruned_through}};
  if (!r->intact) {
    j["first_broken_seq"] = r->first_broken_seq;
    j["reason"] = r->reason;
  }
  SendJson(c.res, 200, j);  // the check ran: its answer is in "intact"
}

}  // namespace facegate::server
