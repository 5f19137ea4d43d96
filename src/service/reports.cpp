// Reports (REQ F1-F3; docs/reports.md): the compliance report's numbers from the store, and
// the HTML of every report with SVG charts, printed to PDF by headless Chromium.
#include <facegate/reports.h>

#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/rules.h"
#include "service/service_impl.h"
#include "service/workdays.h"

namespace facegate {

namespace service {

Result<ComplianceReport> Service::MakeComplianceReport(UnixTime from, UnixTime to, const std::string& eval_results,
                                                       const std::string& actor) {
  auto& I = *impl_;
  const char* act = "report.compliance";
  auto fail = [&](Status st) { return I.Fail(actor, act, "", "", std::move(st)); };
  if (to <= from) return fail(Status::InvalidInput("the report period needs from < to (--from DATE --to DATE)"));
  ComplianceReport r;
  r.from = from;
  r.to = to;
  r.made_at = I.Now();
  if (!eval_results.empty()) {
    std::ifstream in(eval_results, std::ios::binary);
    if (!in)
      return fail(Status::NotFound("cannot read the accuracy results " + eval_results +
                                   "; write them with `facegate eval verify PAIRS --json > FILE`"));
    std::ostringstream s;
    s << in.rdbuf();
    const json j = json::parse(s.str(), nullptr, false);
    if (!j.is_object())
      return fail(Status::InvalidInput(eval_results + " is not the JSON of `facegate eval verify --json`"));
    r.eval_json = j.dump();
  }
  auto audit = VerifyAudit();
  if (!audit.ok()) return fail(audit.status());
  r.audit = *audit;
  auto counts = I.store->CountPeriod(from, to);
  if (!counts.ok()) return fail(counts.status());
  r.counts = *counts;
  auto as = I.store->ListAssessments("", "");
  if (!as.ok()) return fail(as.status());
  r.assessments = *as;
  auto ds = I.store->ListDevices("");
  if (!ds.ok()) return fail(ds.status());
  r.devices = *ds;
  auto ss = I.store->ListSites();
  if (!ss.ok()) return fail(ss.status());
  r.sites = *ss;
  auto f = I.CheckFiling(actor, false);
  if (!f.ok()) return fail(f.status());
  r.filing = *f;
  I.Audit(actor, act, "", "", Status::Ok(),
          {{"from", from}, {"to", to}, {"audit_intact", r.audit.intact}, {"events", r.counts.audit_events}});
  return r;
}

}  // namespace service

namespace reports {

using json = nlohmann::json;

namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Day(UnixTime t) { return t ? service::ChinaDate(t) : "-"; }
std::string Num(int64_t n) { return std::to_string(n); }
std::string Pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100 * v);
  return b;
}

const char* kStyle = R"css(
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", "Noto Sans CJK SC", sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 18pt; margin: 0 0 4px; } h2 { font-size: 13pt; margin: 18px 0 6px; border-bottom: 1px solid #999; }
.sub { color: #555; margin-bottom: 10px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #060; font-weight: bold; } .bad { color: #a00; font-weight: bold; }
.hash { font-family: monospace; font-size: 8pt; word-break: break-all; }
.charts { display: flex; gap: 12px; } .charts svg { border: 1px solid #ccc; }
pre { white-space: pre-wrap; font-size: 9pt; background: #f6f6f6; padding: 6px; }
)css";

std::string Page(const std::string& title, const std::string& sub, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Esc(title) +
         "</title><style>" + kStyle + "</style></head><body><h1>" + Esc(title) + "</h1><div class=\"sub\">" +
         sub + "</div>\n" + body + "</body></html>\n";
}

// A two-column table of label -> value rows.
std::string Facts(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string h = "<table>";
  for (const auto& [k, v] : rows) h += "<tr><th style=\"width:40%\">" + Esc(k) + "</th><td>" + v + "</td></tr>";
  return h + "</table>\n";
}

std::string Counts(const std::vector<std::pair<std::string, int64_t>>& rows, const std::string& head,
                   bool rule_titles) {
  if (rows.empty()) return "<p>None in the period.</p>\n";
  std::string h = "<table><tr><th>" + Esc(head) + "</th>" + (rule_titles ? "<th>rule</th>" : "") +
                  "<th>count</th></tr>";
  for (const auto& [k, n] : rows) {
    h += "<tr><td>" + Esc(k) + "</td>";
    if (rule_titles) {
      const policy::Rule* r = policy::FindRule(k);
      h += "<td>" + (r ? Esc(r->title) + (r->citation.empty() ? "" : " (" + Esc(r->citation) + ")") : "") + "</td>";
    }
    h += "<td class=\"n\">" + Num(n) + "</td></tr>";
  }
  return h + "</table>\n";
}

std::string AssessmentRows(const std::vector<ImpactAssessmentRecord>& as) {
  if (as.empty()) return "<p>No impact assessment is recorded.</p>\n";
  std::string h =
      "<table><tr><th>id</th><th>of</th><th>status</th><th>author</th><th>approver, date</th><th>kept until</th>"
      "<th>document SHA-256</th></tr>";
  for (const ImpactAssessmentRecord& a : as) {
    std::string status = a.status == "approved" ? "<span class=\"ok\">approved</span>"
                                                : "<span class=\"bad\">" + Esc(a.status) + "</span>";
    if (a.status == "due") status += "<br>" + Esc(a.due_reason);
    h += "<tr><td class=\"n\">" + Num(a.id) + "</td><td>" + Esc(a.target_kind + " " + a.target) + "</td><td>" +
         status + "</td><td>" + Esc(a.author) + "</td><td>" + Esc(a.approver) + " " +
         (a.approved_at ? Day(*a.approved_at) : "") + "</td><td>" + Day(a.keep_until) +
         "</td><td class=\"hash\">" + Esc(a.document_sha256) + "</td></tr>";
  }
  return h + "</table>\n";
}

double Clamp(double v, double lo, double hi) { return std::max(lo, std::min(hi, v)); }

}  // namespace

std::string CurveSvg(const std::vector<std::array<double, 3>>& roc, const std::string& kind) {
  if (roc.empty()) return "";
  const bool det = kind == "det";
  const double W = 320, H = 260, L = 48, B = 36, T = 22, R = 10;
  const double pw = W - L - R, ph = H - T - B;
  const double lo = -4;  // FAR axis from 1e-4 to 1
  auto x = [&](double far) { return L + (std::log10(Clamp(far, 1e-4, 1)) - lo) / -lo * pw; };
  auto y = [&](double v) {
    if (det) return T + (1 - (std::log10(Clamp(v, 1e-4, 1)) - lo) / -lo) * ph;  // FRR, log
    return T + (1 - Clamp(v, 0, 1)) * ph;                                     // TAR, linear
  };
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
    << " " << H << "\" font-family=\"sans-serif\" font-size=\"9\">";
  s << "<text x=\"" << W / 2 << "\" y=\"13\" text-anchor=\"middle\" font-size=\"11\">"
    << (det ? "DET: false rejections against false accepts" : "ROC: true accepts against false accepts")
    << "</text>";
  s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"#444\"/>";
  for (int e = -4; e <= 0; ++e) {
    const double gx = x(std::pow(10.0, e));
    s << "<line x1=\"" << gx << "\" y1=\"" << T << "\" x2=\"" << gx << "\" y2=\"" << T + ph
      << "\" stroke=\"#ddd\"/><text x=\"" << gx << "\" y=\"" << T + ph + 12 << "\" text-anchor=\"middle\">1e" << e
      << "</text>";
    if (det) {
      const double gy = y(std::pow(10.0, e));
      s << "<line x1=\"" << L << "\" y1=\"" << gy << "\" x2=\"" << L + pw << "\" y2=\"" << gy
        << "\" stroke=\"#ddd\"/><text x=\"" << L - 4 << "\" y=\"" << gy + 3 << "\" text-anchor=\"end\">1e" << e
        << "</text>";
    }
  }
  if (!det)
    for (int k = 0; k <= 4; ++k) {
      const double gy = y(k / 4.0);
      s << "<line x1=\"" << L << "\" y1=\"" << gy << "\" x2=\"" << L + pw << "\" y2=\"" << gy
        << "\" stroke=\"#ddd\"/><text x=\"" << L - 4 << "\" y=\"" << gy + 3 << "\" text-anchor=\"end\">" << k * 25
        << "%</text>";
    }
  s << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 6 << "\" text-anchor=\"middle\">false accept rate (log)</text>";
  s << "<text transform=\"translate(11," << T + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << (det ? "false reject rate (log)" : "true accept rate") << "</text>";
  s << "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.6\" points=\"";
  for (const auto& p : roc) s << x(p[0]) << "," << y(det ? 1 - p[1] : p[1]) << " ";
  s << "\"/></svg>";
  return s.str();
}

std::string AssessmentsHtml(const std::vector<ImpactAssessmentRecord>& as, UnixTime made_at) {
  std::string body = "<h2>Register</h2>" + AssessmentRows(as);
  for (const ImpactAssessmentRecord& a : as) {
    std::string kinds;
    for (const std::string& k : a.data_kinds) kinds += (kinds.empty() ? "" : ", ") + k;
    const json m = json::parse(a.measures, nullptr, false);
    std::string measures = "<table>";
    if (m.is_object())
      for (auto it = m.begin(); it != m.end(); ++it)
        measures += "<tr><th>" + Esc(it.key()) + "</th><td>" +
                    Esc(it.value().is_string() ? it.value().get<std::string>() : it.value().dump()) + "</td></tr>";
    measures += "</table>";
    body += "<h2>Assessment " + Num(a.id) + ": " + Esc(a.target_kind + " " + a.target) + "</h2>" +
            Facts({{"Status", Esc(a.status) + (a.due_reason.empty() ? "" : ": " + Esc(a.due_reason))},
                   {"Lawfulness, legitimacy and necessity (PIPL 56 (1))", Esc(a.lawfulness)},
                   {"Data kinds", Esc(kinds)},
                   {"Impact on people's rights and the risks (PIPL 56 (2))", Esc(a.impact)},
                   {"People assessed (scope size)", Num(a.scope_size)},
                   {"Notice version assessed", Num(a.notice_version)},
                   {"Author, written", Esc(a.author) + ", " + Day(a.created_at)},
                   {"Approver, approved", Esc(a.approver) + ", " + (a.approved_at ? Day(*a.approved_at) : "-")},
                   {"Kept until (PIPL 56: three years at least)", Day(a.keep_until)},
                   {"Document SHA-256", "<span class=\"hash\">" + Esc(a.document_sha256) + "</span>"}}) +
            "<p><b>Measures taken (PIPL 56 (3)), drawn from the configuration:</b></p>" + measures;
  }
  return Page("Personal information protection impact assessments",
              "PIPL 55, 56; CAC/MPS face recognition measures art. 9. Made " + Day(made_at) + " (China Standard Time).",
              body);
}

std::string FilingHtml(const std::string& pack_json) {
  const json p = json::parse(pack_json, nullptr, false);
  if (!p.is_object()) return Page("Filing pack", "", "<pre>" + Esc(pack_json) + "</pre>");
  auto list = [](const json& a) {
    std::string s;
    if (a.is_array())
      for (const auto& e : a) s += (s.empty() ? "" : "; ") + (e.is_string() ? e.get<std::string>() : e.dump());
    return s;
  };
  std::string body = "<h2>Processor</h2>" +
                     Facts({{"Processor", Esc(list(p["processor"]))},
                            {"Contact", Esc(list(p["contact"]))},
                            {"Distinct people with face data", Num(p.value("people_with_face_data", int64_t{0}))},
                            {"Filing line", Num(p.value("filing_line", int64_t{0}))},
                            {"Filing due (30 working days after the line)", Esc(p.value("due_date", std::string()))},
                            {"Note", Esc(p.value("warning", std::string()))}});
  body += "<h2>Counts by tenant</h2><table><tr><th>tenant</th><th>people</th></tr>";
  for (const auto& t : p["by_tenant"])
    body += "<tr><td>" + Esc(t.value("tenant", "")) + "</td><td class=\"n\">" + Num(t.value("people", int64_t{0})) +
            "</td></tr>";
  body += "</table><h2>Marks crossed</h2><table><tr><th>mark</th><th>people then</th><th>date</th><th>due</th></tr>";
  for (const auto& m : p["marks_crossed"])
    body += "<tr><td class=\"n\">" + Num(m.value("mark", int64_t{0})) + "</td><td class=\"n\">" +
            Num(m.value("people", int64_t{0})) + "</td><td>" + Esc(m.value("crossed_date", "")) + "</td><td>" +
            Esc(m.value("due_date", "")) + "</td></tr>";
  body += "</table><h2>Purposes</h2>";
  for (const auto& pu : p["purposes"]) {
    std::string as;
    for (const auto& a : pu["assessments"])
      as += "#" + Num(a.value("id", int64_t{0})) + " " + a.value("status", "") + " (" + a.value("approver", "") +
            " " + a.value("approved", "") + "): " + a.value("lawfulness", "") + " / " + a.value("impact", "") + "\n";
    body += "<h3>" + Esc(pu.value("name", "")) + "</h3>" +
            Facts({{"Scenario", Esc(pu.value("scenario", ""))},
                   {"People", Num(pu.value("people", int64_t{0}))},
                   {"Retention (days)", Num(pu.value("retention_days", int64_t{0}))},
                   {"Alternatives", Esc(list(pu["alternatives"]))},
                   {"Liveness", Esc(pu.value("liveness", ""))},
                   {"Impact assessments", "<pre>" + Esc(as) + "</pre>"}});
  }
  body += "<h2>Devices</h2><table><tr><th>id</th><th>mode</th><th>status</th><th>location</th><th>purposes</th></tr>";
  for (const auto& d : p["devices"])
    body += "<tr><td>" + Esc(d.value("id", "")) + "</td><td>" + Esc(d.value("mode", "")) + "</td><td>" +
            Esc(d.value("status", "")) + "</td><td>" + Esc(d.value("location_type", "")) + "</td><td>" +
            Esc(list(d["purposes"])) + "</td></tr>";
  body += "</table><h2>Security measures</h2><table>";
  for (auto it = p["measures"].begin(); it != p["measures"].end(); ++it)
    body += "<tr><th>" + Esc(it.key()) + "</th><td>" + Esc(it.value().get<std::string>()) + "</td></tr>";
  body += "</table>";
  return Page("Filing pack: face recognition processing",
              "For the provincial cyberspace office (CAC/MPS face recognition measures, art. 15). Made " +
                  Esc(p.value("made", "")) + ".",
              body);
}

std::string ComplianceJson(const service::ComplianceReport& r) {
  const PeriodCounts& c = r.counts;
  json as = json::array();
  for (const ImpactAssessmentRecord& a : r.assessments)
    as.push_back({{"id", a.id}, {"of", a.target_kind + " " + a.target}, {"status", a.status},
                  {"approver", a.approver}, {"due_reason", a.due_reason}, {"document_sha256", a.document_sha256}});
  json ds = json::array();
  for (const DeviceRecord& d : r.devices)
    ds.push_back({{"id", d.id}, {"mode", ToString(d.mode)}, {"status", ToString(d.status)},
                  {"signage_confirmed", d.signage.confirmed_at != 0}});
  json ss = json::array();
  for (const SiteRecord& s : r.sites) ss.push_back({{"id", s.id}, {"check_ok", s.check_ok}});
  json marks = json::array();
  for (const FilingMarkRecord& m : r.filing.crossed)
    marks.push_back({{"mark", m.mark}, {"crossed_date", m.crossed_date}, {"due_date", m.due_date}});
  json j = {{"from", r.from},
            {"to", r.to},
            {"made_at", r.made_at},
            {"audit", {{"intact", r.audit.intact}, {"events", r.audit.events},
                       {"first_broken_seq", r.audit.first_broken_seq}, {"checkpoints", r.audit.checkpoints}}},
            {"period",
             {{"audit_events", c.audit_events},
              {"consents_given", c.consents_given},
              {"consents_withdrawn", c.consents_withdrawn},
              {"refusals", c.refusals},
              {"alternatives", c.alternatives},
              {"operations", c.operations},
              {"rights", {{"received", c.rights_received}, {"done", c.rights_done}, {"refused", c.rights_refused},
                          {"closed_on_time", c.rights_closed_on_time}, {"closed_late", c.rights_closed_late},
                          {"open_overdue", c.rights_open_overdue}}},
              {"breaches_opened", c.breaches_opened}}},
            {"assessments", as},
            {"devices", ds},
            {"sites", ss},
            {"filing", {{"people", r.filing.people}, {"filing_line", r.filing.filing_line}, {"marks", marks},
                        {"due_date", r.filing.due_date}}}};
  if (!r.eval_json.empty()) j["accuracy"] = json::parse(r.eval_json, nullptr, false);
  return j.dump(2);
}

std::string ComplianceHtml(const service::ComplianceReport& r) {
  const PeriodCounts& c = r.counts;
  std::string body = "<h2>Audit chain (REQ S6)</h2>" +
                     Facts({{"Chain", r.audit.intact ? "<span class=\"ok\">intact</span>"
                                                      : "<span class=\"bad\">broken at event " +
                                                            Num(r.audit.first_broken_seq) + ": " +
                                                            Esc(r.audit.reason) + "</span>"},
                            {"Events in the chain", Num(r.audit.events)},
                            {"Signed checkpoints checked", Num(r.audit.checkpoints)},
                            {"Events in the period", Num(c.audit_events)}});
  body += "<h2>Consents (REQ C1-C5)</h2>" +
          Facts({{"Given", Num(c.consents_given)}, {"Withdrawn", Num(c.consents_withdrawn)}});
  body += "<h2>Refusals by requirement</h2>" + Counts(c.refusals, "requirement", true);
  body += "<h2>Alternatives used (REQ A1-A4)</h2>" + Counts(c.alternatives, "method, outcome", false);
  body += "<h2>Operations</h2>" + Counts(c.operations, "audited action (ok)", false);
  body += "<h2>Rights requests (REQ R1, R2)</h2>" +
          Facts({{"Received", Num(c.rights_received)},
                 {"Done", Num(c.rights_done)},
                 {"Refused (with a reason)", Num(c.rights_refused)},
                 {"Closed by the deadline", Num(c.rights_closed_on_time)},
                 {"Closed late", Num(c.rights_closed_late)},
                 {"Open past the deadline", Num(c.rights_open_overdue)}});
  body += "<h2>Breaches (REQ S9)</h2>" + Facts({{"Opened in the period", Num(c.breaches_opened)}});
  body += "<h2>Impact assessments (REQ F1)</h2>" + AssessmentRows(r.assessments);
  body += "<h2>Devices and site checks (REQ D1-D6)</h2>";
  if (r.devices.empty()) body += "<p>No device is registered.</p>";
  else {
    body += "<table><tr><th>device</th><th>mode</th><th>status</th><th>purposes</th><th>signage</th></tr>";
    for (const DeviceRecord& d : r.devices) {
      std::string ps;
      for (const std::string& p : d.purposes) ps += (ps.empty() ? "" : ", ") + p;
      body += "<tr><td>" + Esc(d.id) + "</td><td>" + ToString(d.mode) + "</td><td>" + ToString(d.status) +
              "</td><td>" + Esc(ps) + "</td><td>" +
              (d.mode == DeviceMode::kAutomatic ? (d.signage.confirmed_at ? "confirmed " + Day(d.signage.confirmed_at)
                                                                           : std::string("<span class=\"bad\">not confirmed</span>"))
                                                : std::string("triggered")) +
              "</td></tr>";
    }
    body += "</table>";
  }
  if (!r.sites.empty()) {
    body += "<table><tr><th>site</th><th>route check</th></tr>";
    for (const SiteRecord& s : r.sites)
      body += "<tr><td>" + Esc(s.id) + "</td><td>" +
              (s.check_ok ? "<span class=\"ok\">passes</span>" : "<span class=\"bad\">refused</span>") + "</td></tr>";
    body += "</table>";
  }
  std::string marks;
  for (const FilingMarkRecord& m : r.filing.crossed)
    marks += Num(m.mark) + " on " + m.crossed_date + (m.due_date.empty() ? "" : " (filing due " + m.due_date + ")") + "; ";
  body += "<h2>Filing line and counters (REQ F2, F3)</h2>" +
          Facts({{"Distinct people with face data", Num(r.filing.people)},
                 {"Filing line", Num(r.filing.filing_line)},
                 {"Marks crossed", marks.empty() ? "none" : Esc(marks)},
                 {"Note", Esc(r.filing.warning)}});
  body += "<h2>Accuracy (facegate eval)</h2>";
  const json e = r.eval_json.empty() ? json() : json::parse(r.eval_json, nullptr, false);
  if (!e.is_object()) {
    body += "<p>No accuracy results were given (facegate report compliance --eval FILE, from "
            "<code>facegate eval verify PAIRS --json</code>).</p>";
  } else {
    body += Facts({{"Pairs (same person)", Num(e.value("pairs", int64_t{0})) + " (" +
                                               Num(e.value("same_pairs", int64_t{0})) + ")"},
                   {"Photos without a face", Num(e.value("photos_without_face", int64_t{0}))},
                   {"Accuracy at the threshold", Pct(e.value("accuracy_at_threshold", 0.0))},
                   {"10-fold cross-validated accuracy", Pct(e.value("cv_accuracy", 0.0))},
                   {"True accepts at 1% false accepts", Pct(e.value("tar_at_far_1pct", 0.0))},
                   {"True accepts at 0.1% false accepts", Pct(e.value("tar_at_far_0_1pct", 0.0))}});
    std::vector<std::array<double, 3>> roc;
    if (e.contains("roc") && e["roc"].is_array())
      for (const auto& p : e["roc"])
        if (p.is_array() && p.size() == 3) roc.push_back({p[0].get<double>(), p[1].get<double>(), p[2].get<double>()});
    if (!roc.empty()) body += "<div class=\"charts\">" + CurveSvg(roc, "roc") + CurveSvg(roc, "det") + "</div>";
  }
  return Page("Compliance report",
              "Period " + Day(r.from) + " to " + Day(r.to - 1) + " (China Standard Time); made " + Day(r.made_at) +
                  ". PIPL 51, 54, 55; CAC/MPS face recognition measures.",
              body);
}

Result<std::string> HtmlToPdf(const std::string& html) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/facegate-report-XXXXXX";
  if (!mkdtemp(tmpl)) return Status::Internal("cannot make a temporary folder for the report; check /tmp");
  const fs::path dir = tmpl;
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  {
    std::ofstream out(dir / "report.html", std::ios::binary);
    out << html;
    if (!out) return Status::Internal("cannot write the report to " + (dir / "report.html").string());
  }
  const char* env = std::getenv("FACEGATE_CHROMIUM");
  const std::string chromium = env && *env ? env : "/usr/bin/chromium";
  const std::string pdf = (dir / "report.pdf").string();
  const std::string profile = "--user-data-dir=" + (dir / "profile").string();
  const std::string print = "--print-to-pdf=" + pdf;
  const std::string url = "file://" + (dir / "report.html").string();
  pid_t pid = fork();
  if (pid < 0) return Status::Internal("cannot start chromium to print the report");
  if (pid == 0) {
    // Chromium's chatter goes nowhere: the PDF is the answer. Only async-signal-safe calls
    // between fork and exec: the server forks from one of its threads.
    if (int null = open("/dev/null", O_WRONLY); null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execl(chromium.c_str(), chromium.c_str(), "--headless", "--no-sandbox", "--disable-gpu",
          "--no-pdf-header-footer", "--disable-extensions", profile.c_str(), print.c_str(), url.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  std::ifstream in(pdf, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || s.str().rfind("%PDF", 0) != 0)
    return Status::Internal("printing the report to PDF with " + chromium +
                            " failed; install Debian's chromium (scripts/setup.sh) or set $FACEGATE_CHROMIUM, "
                            "or ask for .html");
  return s.str();
}

Status WriteReport(const std::string& html, const std::string& path) {
  auto ends = [&](const char* ext) {
    const std::string e = ext;
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  std::string bytes;
  if (ends(".html") || ends(".htm")) {
    bytes = html;
  } else if (ends(".pdf")) {
    FG_ASSIGN_OR_RETURN(bytes, HtmlToPdf(html));
  } else {
    return Status::InvalidInput("the report file " + path + " must end in .html or .pdf");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) return Status::InvalidInput("cannot write " + path + "; check the folder exists and is writable");
  return Status::Ok();
}

}  // namespace reports
}  // namespace facegate
