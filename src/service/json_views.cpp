#include "service/json_views.h"

#include <ctime>
#include <iomanip>
#include <sstream>

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

}  // namespace facegate::service
