// One JSON shape per record, shared by the CLI's --json output and the REST
// API, so a field means the same everywhere.
#pragma once

#include <facegate/records.h>
#include <facegate/vision.h>

#include <nlohmann/json.hpp>

#include <string>

namespace facegate::service {

// ISO 8601 UTC, e.g. "2026-11-26T10:02:20Z".
std::string FormatTime(UnixTime t);
// A consent record with times formatted; withdrawn_at / used_at null when unset.
nlohmann::json ConsentJson(const ConsentRecord& c);
// A rights request with times formatted and `overdue` computed at `now` (REQ R1).
nlohmann::json RightsRequestJson(const RightsRequestRecord& r, UnixTime now);
// Per-stage milliseconds of an engine call.
nlohmann::json TimingsJson(const vision::StageTimings& t);

}  // namespace facegate::service
