// Impact assessments, the filing line and the reports (REQ F1-F3; docs/reports.md): admins write
// and approve assessments; admins and auditors read them and the reports, as JSON, HTML or PDF.
#include <facegate/reports.h>

#include "server/request.h"
#include "server/server_impl.h"
#include "service/json_views.h"
#include "service/workdays.h"

namespace facegate::server {

const std::vector<RouteEntry>& ReportRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"POST", "/v1/assessments", Access::kAdmin}, &ServerImpl::CreateAssessment},
      {{"GET", "/v1/assessments", Access::kAudit}, &ServerImpl::ListAssessments},
      {{"GET", "/v1/assessments/{id}", Access::kAudit}, &ServerImpl::GetAssessment},
      {{"POST", "/v1/assessments/{id}/approve", Access::kAdmin}, &ServerImpl::ApproveAssessment},
      {{"GET", "/v1/filing", Access::kAudit}, &ServerImpl::FilingReport},
      {{"GET", "/v1/reports/pia", Access::kAudit}, &ServerImpl::PiaReport},
      {{"GET", "/v1/reports/compliance", Access::kAudit}, &ServerImpl::ComplianceReport},
  };
  return routes;
}

namespace {

std::string Format(const httplib::Request& req) {
  return req.has_param("format") ? req.get_param_value("format") : "json";
}

// "YYYY-MM-DD" (China Standard Time) at 00:00, or the day after for an inclusive end.
Result<UnixTime> Day(const httplib::Request& req, const char* name, bool next) {
  const std::string v = req.has_param(name) ? req.get_param_value(name) : "";
  int64_t days = 0;
  if (!service::ParseCivilDate(v, &days))
    return Status::InvalidInput(std::string("?") + name + "= must be a date YYYY-MM-DD, e.g. ?from=2026-01-01&to=2026-03-31");
  return service::ChinaDayStart(days + (next ? 1 : 0));
}

}  // namespace

void ServerImpl::SendReport(Call& c, const std::string& format, const std::string& json_text,
                            const std::string& html) {
  if (format == "json") return c.res.set_content(json_text + "\n", "application/json");
  if (format == "html") return c.res.set_content(html, "text/html; charset=utf-8");
  if (format == "pdf") {
    auto pdf = reports::HtmlToPdf(html);
    if (!pdf.ok()) return Fail(c, pdf.status());
    return c.res.set_content(*pdf, "application/pdf");
  }
  Fail(c, Status::InvalidInput("?format= is json, html or pdf, not '" + format + "'"));
}

void ServerImpl::CreateAssessment(Call& c) {
  c.action = "assessment.create";
  auto body = ParseBody(c.req, R"({"target": "office-entry", "lawfulness": "...", "impact": "...", "scope_size": 500})");
  if (!body.ok()) return Fail(c, body.status());
  service::AssessmentInput in;
  auto kind = Str(*body, "target_kind", false);
  auto target = Str(*body, "target", true, "the purpose or device assessed");
  auto lawful = Str(*body, "lawfulness", false);
  auto impact = Str(*body, "impact", false);
  auto author = Str(*body, "author", false);
  auto kinds = StrList(*body, "data_kinds");
  auto scope = Int(*body, "scope_size", false);
  for (const Status* st : {&kind.status(), &target.status(), &lawful.status(), &impact.status(), &author.status(),
                           &kinds.status(), &scope.status()})
    if (!st->ok()) return Fail(c, *st);
  in.target_kind = kind->empty() ? "purpose" : *kind;
  in.target = *target;
  in.lawfulness = *lawful;
  in.impact = *impact;
  in.author = *author;
  in.data_kinds = *kinds;
  if (body->contains("scope_size")) in.scope_size = *scope;
  if (in.target_kind == "purpose") c.purpose = in.target;
  c.audited = true;
  auto r = svc.CreateAssessment(in, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 201, service::AssessmentJson(*r));
}

void ServerImpl::ListAssessments(Call& c) {
  c.action = "assessment.list";
  const std::string purpose = c.req.has_param("purpose") ? c.req.get_param_value("purpose") : "";
  const std::string device = c.req.has_param("device") ? c.req.get_param_value("device") : "";
  auto r = svc.ListAssessments(!device.empty() ? "device" : !purpose.empty() ? "purpose" : "",
                               !device.empty() ? device : purpose);
  if (!r.ok()) return Fail(c, r.status());
  json items = json::array();
  for (const ImpactAssessmentRecord& a : *r) items.push_back(service::AssessmentJson(a));
  SendJson(c.res, 200, {{"ok", true}, {"items", items}, {"total", items.size()}});
}

void ServerImpl::GetAssessment(Call& c) {
  c.action = "assessment.get";
  auto id = PathId(c, 1, "an assessment id (GET /v1/assessments lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto r = svc.GetAssessment(*id);
  if (!r.ok()) return Fail(c, r.status());
  json j = service::AssessmentJson(*r);
  j["document"] = service::Service::AssessmentDocument(*r);
  SendJson(c.res, 200, j);
}

void ServerImpl::ApproveAssessment(Call& c) {
  c.action = "assessment.approve";
  auto id = PathId(c, 1, "an assessment id (GET /v1/assessments lists them)");
  if (!id.ok()) return Fail(c, id.status());
  auto body = OptionalBody(c, R"({"approver": "Zhang Min, DPO"})");
  if (!body.ok()) return Fail(c, body.status());
  auto approver = Str(*body, "approver", false);
  if (!approver.ok()) return Fail(c, approver.status());
  c.audited = true;
  auto r = svc.ApproveAssessment(*id, *approver, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200, service::AssessmentJson(*r));
}

void ServerImpl::FilingReport(Call& c) {
  c.action = "filing.pack";
  c.audited = true;
  const bool tenants = c.req.has_param("tenants") && c.req.get_param_value("tenants") == "1";
  auto pack = svc.FilingPack(c.actor, tenants);
  if (!pack.ok()) return Fail(c, pack.status());
  const std::string format = Format(c.req);
  SendReport(c, format, *pack, format == "json" ? "" : reports::FilingHtml(*pack));
}

void ServerImpl::PiaReport(Call& c) {
  c.action = "report.pia";
  const std::string purpose = c.req.has_param("purpose") ? c.req.get_param_value("purpose") : "";
  auto r = svc.ListAssessments(purpose.empty() ? "" : "purpose", purpose);
  if (!r.ok()) return Fail(c, r.status());
  json items = json::array();
  for (const ImpactAssessmentRecord& a : *r) items.push_back(service::AssessmentJson(a));
  const std::string format = Format(c.req);
  SendReport(c, format, json{{"ok", true}, {"items", items}}.dump(2),
             format == "json" ? "" : reports::AssessmentsHtml(*r, Now()));
}

void ServerImpl::ComplianceReport(Call& c) {
  c.action = "report.compliance";
  auto from = Day(c.req, "from", false);
  if (!from.ok()) return Fail(c, from.status());
  auto to = Day(c.req, "to", true);
  if (!to.ok()) return Fail(c, to.status());
  c.audited = true;
  // Accuracy figures come from a results file on the server only (never a path from the
  // request): ServerConfig has none yet, so the REST report carries none.
  auto r = svc.MakeComplianceReport(*from, *to, "", c.actor);
  if (!r.ok()) return Fail(c, r.status());
  const std::string format = Format(c.req);
  SendReport(c, format, reports::ComplianceJson(*r), format == "json" ? "" : reports::ComplianceHtml(*r));
}

}  // namespace facegate::server
