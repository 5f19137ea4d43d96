// One JSON shape per record, shared by the CLI's --json output and the REST
// API, so a field means the same everywhere.
#pragma once

#include <facegate/records.h>
#include <facegate/service.h>
#include <facegate/vision.h>

#include <nlohmann/json.hpp>

#include "policy/site.h"

#include <string>

namespace facegate::service {

// `eval liveness`'s figures: thresholds, per-kind APCER / BPCER and AUC, calibration and the
// held-out subjects (docs/liveness.md; eval_liveness.cpp).
nlohmann::json EvalLivenessJson(const EvalLivenessReport& r);
// ISO 8601 UTC, e.g. "2026-11-26T10:02:20Z".
std::string FormatTime(UnixTime t);
// A consent record with times formatted; withdrawn_at / used_at null when unset.
nlohmann::json ConsentJson(const ConsentRecord& c);
// A rights request with times formatted and `overdue` computed at `now` (REQ R1).
nlohmann::json RightsRequestJson(const RightsRequestRecord& r, UnixTime now);
// A breach with its step times and next steps; with its affected people (REQ S9; breach.cpp).
nlohmann::json BreachRecordJson(const BreachRecord& b);
nlohmann::json BreachViewJson(const BreachView& v);
// What a retention sweep deleted (REQ S5, S7): templates, keys, ended records, pruned audit.
nlohmann::json SweepJson(const SweepReport& r);
// The same in a line for people.
std::string SweepText(const SweepReport& r);
// What an analysis request took in (REQ AN2): photos, faces (null under k), repeats, and the
// calendar window its faces went into, released when it ends.
nlohmann::json AnalyzeReportJson(const AnalyzeReport& r);
// A calendar window of analysis statistics (REQ AN2): released windows with their groups of at
// least k faces and the groups withheld; an open one with its size and when it ends.
nlohmann::json AnalysisWindowJson(const AnalysisWindowRecord& w);
// The same in a line for people (times in China Standard Time).
std::string AnalysisWindowText(const AnalysisWindowRecord& w);
// A sensitive inference switched on for a purpose (REQ AN3); disabled_at null while in force.
nlohmann::json InferenceJson(const InferenceRecord& r);
// An impact assessment (REQ F1) with its dates as China Standard Time days (YYYY-MM-DD).
nlohmann::json AssessmentJson(const ImpactAssessmentRecord& a);
// Per-stage milliseconds of an engine call.
nlohmann::json TimingsJson(const vision::StageTimings& t);
// A face's quality: overall level, each measure's value, score and level, and the advice.
nlohmann::json QualityJson(const vision::FaceQuality& q);
// The refusal message for a poor photo: every poor measure's advice, e.g. "the photo is not
// good enough to enrol: the face is 15 px between the eyes; move closer ...".
std::string PoorQualityMessage(const vision::FaceQuality& q);
// The operator's identification threshold of a purpose and what it means at the scope's size.
nlohmann::json IdentifyThresholdJson(const IdentifyThresholdReport& r);
// The same for people: threshold, who set it and why, expected stranger accept rate.
std::string IdentifyThresholdText(const IdentifyThresholdReport& r);

// A device, its signage and status (REQ D1-D5); the area as its JSON array.
nlohmann::json DeviceJson(const DeviceRecord& d);
// A capture session (REQ D1, D7) with times formatted.
nlohmann::json CaptureSessionJson(const CaptureSessionRecord& s);
// A registered site with its stored check (REQ D4, D6); the document only when asked.
nlohmann::json SiteJson(const SiteRecord& s, bool with_document);
// A site's route check (REQ D4, D6): verdict, refusals with their rule, citation and the elements
// at fault (D6: the entrance, destination and the offending route), warnings, clear routes.
// The same for `facegate site check --json`, GET /v1/sites/{id}/check and the stored check.
nlohmann::json SiteCheckJson(const policy::Site& site, const policy::SiteCheck& check);
// A device watch run: totals and each pass (REQ D1, D2).
nlohmann::json WatchReportJson(const WatchReport& r);

}  // namespace facegate::service
