#include "service/json_views.h"

#include "policy/rules.h"
#include "service/workdays.h"

#include <cstdio>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <utility>
#include <vector>

namespace facegate::service {

using json = nlohmann::json;

std::string FormatTime(UnixTime t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::ostringstream o;
  o << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return o.str();
}

json ConsentJson(const ConsentRecord& c) {
  json j = {{"id", c.id},
            {"subject", c.subject},
            {"purpose", c.purpose},
            {"notice_id", c.notice_id},
            {"notice_sha256", c.notice_sha256},
            {"option", ToString(c.option)},
            {"method", ToString(c.method)},
            {"given_at", FormatTime(c.given_at)},
            {"expires_at", FormatTime(c.expires_at)},
            {"legal_basis", c.legal_basis}};
  j["withdrawn_at"] = c.withdrawn_at ? json(FormatTime(*c.withdrawn_at)) : json(nullptr);
  j["used_at"] = c.used_at ? json(FormatTime(*c.used_at)) : json(nullptr);
  if (!c.session.empty()) j["session"] = c.session;
  j["kind"] = ToString(c.kind);  // REQ C8, P1
  if (!c.recipient.empty()) j["recipient"] = c.recipient;
  if (!c.source.empty()) j["source"] = c.source;
  j["minor"] = c.minor;  // REQ M1
  if (!c.guardian.empty()) j["guardian"] = {{"id", c.guardian}, {"relation", c.guardian_relation}};
  return j;
}

json RightsRequestJson(const RightsRequestRecord& r, UnixTime now) {
  json j = {{"id", r.id},
            {"subject", r.subject},
            {"kind", r.kind},
            {"purpose", r.purpose},
            {"received_at", FormatTime(r.received_at)},
            {"due_at", FormatTime(r.due_at)},
            {"status", r.status},
            {"overdue", r.overdue_at(now)},
            {"handled_by", r.handled_by},
            {"detail", json::parse(r.detail, nullptr, false)}};
  j["completed_at"] = r.completed_at ? json(FormatTime(*r.completed_at)) : json(nullptr);
  if (j["detail"].is_discarded()) j["detail"] = r.detail;
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j;
}

json TimingsJson(const vision::StageTimings& t) {
  return {{"decode_ms", t.decode_ms},
          {"detect_ms", t.detect_ms},
          {"landmarks_ms", t.landmarks_ms},
          {"align_ms", t.align_ms},
          {"embed_ms", t.embed_ms}};
}

namespace {
// The measures of a FaceQuality with their JSON names, in a fixed order.
std::vector<std::pair<const char*, const vision::QualityMeasure*>> Measures(const vision::FaceQuality& q) {
  return {{"size", &q.size},   {"sharpness", &q.sharpness}, {"brightness", &q.brightness},
          {"contrast", &q.contrast}, {"yaw", &q.yaw}, {"pitch", &q.pitch},
          {"roll", &q.roll},   {"occlusion", &q.occlusion}};
}
}  // namespace

json QualityJson(const vision::FaceQuality& q) {
  json j = {{"overall", vision::ToString(q.overall)}, {"advice", q.advice}};
  for (const auto& [name, m] : Measures(q))
    j[name] = {{"value", m->value}, {"score", m->score}, {"level", vision::ToString(m->level)}};
  return j;
}

std::string PoorQualityMessage(const vision::FaceQuality& q) {
  // FaceQuality::advice lists the poor measures first.
  size_t poor = 0;
  for (const auto& [name, m] : Measures(q)) poor += m->level == vision::QualityLevel::kPoor;
  std::string msg = "the photo is not good enough to enrol: ";
  for (size_t i = 0; i < poor && i < q.advice.size(); ++i) msg += (i ? "; " : "") + q.advice[i];
  return msg + "; then take the photo again";
}

json IdentifyThresholdJson(const IdentifyThresholdReport& r) {
  json j = {{"purpose", r.purpose},
            {"set", r.set},
            {"threshold", r.set ? json(r.threshold) : json(nullptr)},
            {"reason", r.set ? json(r.reason) : json(nullptr)},
            {"actor", r.set ? json(r.actor) : json(nullptr)},
            {"set_at", r.set ? json(FormatTime(r.set_at)) : json(nullptr)},
            {"scope_size", r.scope_size},
            {"scope_rule_threshold", r.scope_rule_threshold},
            {"scope_rule_supported", r.scope_rule_supported},
            {"stranger_accept_rate", r.stranger_accept_rate},
            {"genuine_accept_rate", r.genuine_accept_rate},
            {"max_scope_size", r.max_scope_size}};
  return j;
}

std::string IdentifyThresholdText(const IdentifyThresholdReport& r) {
  std::ostringstream o;
  o << std::fixed;
  if (r.set)
    o << "purpose " << r.purpose << ": operator's identification threshold " << std::setprecision(4) << r.threshold
      << " (set by " << r.actor << " at " << FormatTime(r.set_at) << ": " << r.reason << ")\n";
  else
    o << "purpose " << r.purpose << ": no operator threshold; the scope rule applies\n";
  o << "scope: " << r.scope_size << " members; the scope rule's threshold " << std::setprecision(4)
    << r.scope_rule_threshold << (r.scope_rule_supported ? "" : " (1:N refused at this size without an operator threshold)")
    << "\nexpected at this size: " << std::setprecision(2) << 100 * r.stranger_accept_rate
    << "% of strangers accepted as somebody, " << std::setprecision(1) << 100 * r.genuine_accept_rate
    << "% of same-person comparisons matched; served up to " << r.max_scope_size << " members";
  return o.str();
}

}  // namespace facegate::service

namespace facegate::service {

nlohmann::json DeviceJson(const DeviceRecord& d) {
  using nlohmann::json;
  json area = json::parse(d.area, nullptr, false);
  const DeviceSignage& s = d.signage;
  json signage = nullptr;
  if (s.confirmed_at)
    signage = {{"voice_prompt", s.voice_prompt},     {"warning_line", s.warning_line},
               {"notice_version", s.notice_version}, {"notice_location", s.notice_location},
               {"consent_method", s.consent_method}, {"confirmed_by", s.confirmed_by},
               {"confirmed_at", FormatTime(s.confirmed_at)}};
  return {{"id", d.id},
          {"name", d.name},
          {"site", d.site},
          {"zone", d.zone},
          {"passage", d.passage},
          {"location_type", d.location_type},
          {"mode", ToString(d.mode)},
          {"presence_trigger", d.presence_trigger},
          {"purposes", d.purposes},
          {"public_security", d.public_security},
          {"area", area.is_discarded() ? json::array() : area},
          {"capture_timeout_s", d.capture_timeout_s},
          {"signage", signage},
          {"status", ToString(d.status)},
          {"status_reason", d.status_reason},
          {"created_at", FormatTime(d.created_at)},
          {"updated_at", FormatTime(d.updated_at)}};
}

nlohmann::json CaptureSessionJson(const CaptureSessionRecord& s) {
  using nlohmann::json;
  json j = {{"id", s.id},
            {"device", s.device},
            {"purpose", s.purpose},
            {"subject", s.subject.empty() ? json(nullptr) : json(s.subject)},
            {"opened_by", s.opened_by},
            {"action", s.action},
            {"opened_at", FormatTime(s.opened_at)},
            {"expires_at", FormatTime(s.expires_at)},
            {"closed_at", s.closed_at ? json(FormatTime(*s.closed_at)) : json(nullptr)},
            {"outcome", s.outcome},
            {"face_free", s.face_free},
            {"frames", s.frames}};
  if (s.alternative_id) j["alternative_transaction"] = s.alternative_id;
  return j;
}

nlohmann::json SiteJson(const SiteRecord& s, bool with_document) {
  using nlohmann::json;
  json check = json::parse(s.check_report, nullptr, false);
  json j = {{"id", s.id},
            {"name", s.name},
            {"check_ok", s.check_ok},
            {"check", check.is_discarded() ? json(nullptr) : check},
            {"created_at", FormatTime(s.created_at)},
            {"updated_at", FormatTime(s.updated_at)}};
  if (with_document) {
    json doc = json::parse(s.document, nullptr, false);
    j["document"] = doc.is_discarded() ? json(s.document) : doc;
  }
  return j;
}

nlohmann::json SiteCheckJson(const policy::Site& s, const policy::SiteCheck& c) {
  using nlohmann::json;
  json refusals = json::array(), routes = json::array();
  for (const auto& f : c.refusals) {
    const policy::Rule* rule = policy::FindRule(f.requirement);
    json r = {{"requirement", f.requirement},
              {"rule", rule ? rule->title : ""},
              {"citation", rule ? rule->citation : ""},
              {"message", f.message},
              {"passages", f.passages},
              {"zones", f.zones},
              {"devices", f.devices}};
    if (f.requirement == "D6") {
      r["entrance"] = f.entrance;
      r["destination"] = f.destination;
      r["offending_route"] = {{"zones", f.route_zones}, {"passages", f.route_passages}};
    }
    refusals.push_back(std::move(r));
  }
  for (const auto& r : c.clear_routes)
    routes.push_back({{"entrance", r.entrance}, {"destination", r.destination}, {"zones", r.zones},
                      {"passages", r.passages}});
  json out = {{"ok", c.ok},           {"site", s.id},           {"name", s.name},
              {"refusals", refusals}, {"warnings", c.warnings}, {"clear_routes", routes}};
  if (!c.invalid.ok()) out["invalid"] = c.invalid.message();
  return out;
}

nlohmann::json WatchReportJson(const WatchReport& r) {
  using nlohmann::json;
  json events = json::array();
  for (const WatchEvent& e : r.events) {
    json ev = {{"t_ms", e.t_ms}, {"track", e.track}, {"session", e.session}, {"outcome", e.outcome}};
    if (!e.subject.empty()) ev["subject"] = e.subject;
    events.push_back(std::move(ev));
  }
  return {{"device", r.device},
          {"purpose", r.purpose},
          {"source", r.source},
          {"frames", r.frames},
          {"faces_in_area", r.faces_in_area},
          {"faces_outside_area", r.faces_outside_area},
          {"passes", r.passes},
          {"identified", r.identified},
          {"unknown", r.unknown},
          {"refused", r.refused},
          {"events", events}};
}

nlohmann::json SweepJson(const SweepReport& r) {
  const EndedRecords& e = r.ended;
  return {{"ok", true},
          {"templates_deleted", r.templates_deleted},
          {"keys_destroyed", r.keys_destroyed},
          {"subjects", r.subjects},
          {"alternative_credentials_deleted", r.alternative_credentials_deleted},
          {"breaches_deleted", r.breaches_deleted},
          {"records_deleted",
           {{"consents", e.consents},
            {"consent_refusals", e.consent_refusals},
            {"alternatives", e.alternatives},
            {"rights_requests", e.rights_requests},
            {"restrictions", e.restrictions},
            {"capture_sessions", e.capture_sessions},
            {"subject_records", e.subjects.size()}}},
          {"audit_events_pruned", r.audit.pruned},
          {"audit_pruned_through", r.audit.seq}};
}

std::string SweepText(const SweepReport& r) {
  const EndedRecords& e = r.ended;
  const int64_t records = e.consents + e.consent_refusals + e.alternatives + e.rights_requests + e.restrictions +
                          e.capture_sessions;
  return "retention sweep: " + std::to_string(r.templates_deleted) + " expired template(s) deleted, " +
         std::to_string(r.keys_destroyed) + " key(s) destroyed, " + std::to_string(records) +
         " ended record(s) and " + std::to_string(e.subjects.size()) + " subject record(s) deleted, " +
         std::to_string(r.audit.pruned) + " audit event(s) pruned" +
         (r.audit.pruned ? " (the chain goes on from event " + std::to_string(r.audit.seq) + ")" : "");
}

nlohmann::json AnalyzeReportJson(const AnalyzeReport& r) {
  return {{"images", r.images},
          {"images_unreadable", r.images_unreadable},
          {"faces", r.faces > 0 ? nlohmann::json(r.faces) : nlohmann::json(nullptr)},
          {"k", r.k},
          {"repeated_faces", r.repeated_faces},
          {"window", {{"start", FormatTime(r.window_start)}, {"end", FormatTime(r.window_end)}}}};
}

nlohmann::json AnalysisWindowJson(const AnalysisWindowRecord& w) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [g, n] : w.counts) counts[g] = n;
  return {{"purpose", w.purpose},
          {"start", FormatTime(w.start)},
          {"end", FormatTime(w.end)},
          {"released", w.released_at.has_value()},
          {"released_at", w.released_at ? nlohmann::json(FormatTime(*w.released_at)) : nlohmann::json(nullptr)},
          {"k", w.k},
          {"requests", w.requests},
          {"images", w.images},
          {"faces", w.faces >= 0 ? nlohmann::json(w.faces) : nlohmann::json(nullptr)},
          {"counts", counts},
          {"suppressed", w.suppressed}};
}

std::string AnalysisWindowText(const AnalysisWindowRecord& w) {
  auto hm = [](UnixTime t) {
    const int64_t s = ((t + 8 * 3600) % 86400 + 86400) % 86400;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60));
    return std::string(buf);
  };
  std::string out = ChinaDate(w.start) + " " + hm(w.start) + "-" + hm(w.end) + " CST  " +
                    std::to_string(w.requests) + " request(s), " + std::to_string(w.images) + " photo(s)";
  if (!w.released_at) return out + "; open, released after " + hm(w.end);
  out += ", k=" + std::to_string(w.k) + ": " + (w.faces >= 0 ? std::to_string(w.faces) : "fewer than k") + " face(s)";
  for (const auto& [g, n] : w.counts) out += "\n    " + g + "\t" + std::to_string(n);
  for (const std::string& g : w.suppressed) out += "\n    " + g + "\t<" + std::to_string(w.k) + " (withheld)";
  return out;
}

nlohmann::json InferenceJson(const InferenceRecord& r) {
  return {{"purpose", r.purpose},
          {"inference", r.inference},
          {"use", r.declared_use},
          {"justification", r.justification},
          {"in_force", !r.disabled_at.has_value()},
          {"enabled_at", FormatTime(r.enabled_at)},
          {"enabled_by", r.enabled_by},
          {"disabled_at", r.disabled_at ? nlohmann::json(FormatTime(*r.disabled_at)) : nlohmann::json(nullptr)},
          {"disabled_by", r.disabled_by}};
}

nlohmann::json AssessmentJson(const ImpactAssessmentRecord& a) {
  nlohmann::json j = {{"id", a.id},
                      {"target_kind", a.target_kind},
                      {"target", a.target},
                      {"status", a.status},
                      {"lawfulness", a.lawfulness},
                      {"data_kinds", a.data_kinds},
                      {"impact", a.impact},
                      {"measures", nlohmann::json::parse(a.measures, nullptr, false)},
                      {"author", a.author},
                      {"created", ChinaDate(a.created_at)},
                      {"approver", a.approver},
                      {"notice_version", a.notice_version},
                      {"scope_size", a.scope_size},
                      {"due_reason", a.due_reason},
                      {"document_sha256", a.document_sha256},
                      {"keep_until", ChinaDate(a.keep_until)}};
  if (a.approved_at) j["approved"] = ChinaDate(*a.approved_at);
  if (a.due_at) j["due"] = ChinaDate(*a.due_at);
  return j;
}

}  // namespace facegate::service
