#include "service/json_views.h"

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
