// Faces: enrol, verify and identify (REQ SC2, D3), and analyze (REQ SC3, AN1, AN2, AN4). The
// photos are wiped once used (REQ S2), and a device key sees decisions, never scores.
#include <sodium.h>

#include <cmath>

#include "server/server_impl.h"
#include "service/json_views.h"
#include "service/liveness_check.h"

namespace facegate::server {

using service::FormatTime;
using service::QualityJson;
using service::TimingsJson;

namespace {

bool Truthy(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  std::string v = req.get_param_value(name);
  return v == "1" || v == "true" || v == "yes" || v.empty();
}

}  // namespace

const std::vector<RouteEntry>& FaceRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"POST", "/v1/enrol", Access::kFace}, &ServerImpl::Enrol},
      {{"POST", "/v1/verify", Access::kFace}, &ServerImpl::Verify},
      {{"POST", "/v1/identify", Access::kFace}, &ServerImpl::Identify},
      {{"POST", "/v1/analyze", Access::kFace}, &ServerImpl::Analyze},
  };
  return routes;
}

Result<ServerImpl::FaceRequest> ServerImpl::ReadFaceRequest(Call& c) {
  FaceRequest f;
  const char* kHint =
      R"({"subject": "S1", "purpose": "office-entry", "image_base64": "<base64 of the JPEG>"} or multipart/form-data with fields subject, purpose and file "image")";
  if (c.req.is_multipart_form_data()) {
    auto field = [&](const char* name) {
      return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
    };
    f.subject = field("subject");
    f.purpose = field("purpose");
    f.session = field("session");
    f.device = field("device");
    if (!c.req.has_file("image"))
      return Status::InvalidInput(
          std::string("multipart field \"image\" is missing; send the photo as ") + kHint);
    f.image = c.req.get_file_value("image").content;
  } else {
    FG_ASSIGN_OR_RETURN(json body, ParseBody(c.req, kHint));
    FG_ASSIGN_OR_RETURN(f.subject, Str(body, "subject", false));
    FG_ASSIGN_OR_RETURN(f.purpose, Str(body, "purpose", false));
    FG_ASSIGN_OR_RETURN(f.session, Str(body, "session", false));
    FG_ASSIGN_OR_RETURN(f.device, Str(body, "device", false));
    FG_ASSIGN_OR_RETURN(std::string b64,
                        Str(body, "image_base64", true, std::string("the photo; send ") + kHint));
    FG_ASSIGN_OR_RETURN(f.image, DecodeBase64(std::move(b64)));
  }
  if (f.subject.empty())
    return Status::InvalidInput("field \"subject\" is required: the pseudonymous subject id");
  if (f.purpose.empty())
    return Status::InvalidInput("field \"purpose\" is required: e.g. office-entry");
  if (f.image.empty())
    return Status::InvalidInput("the image is empty; send a JPEG, PNG, WebP or BMP photo");
  return f;
}

static bool IsAdmin(const Call& c) { return c.key && c.key->role == Role::kAdmin; }

// What a device sees of a face decision: the decision and the way forward (match or not,
// who when identified, the alternatives, what to retake), never a score. Distances and
// liveness scores would make the device an oracle to tune a forged photo against; they stay
// in the audit log, for admin and auditor views (docs/security.md).
json DecisionView(const Call& c, json j) {
  if (!c.key || c.key->role != Role::kDevice) return j;
  for (const char* score : {"distance", "threshold", "stranger_accept_rate", "genuine_accept_rate",
                            "max_scope_size", "operator_threshold", "scope_size"})
    j.erase(score);
  if (j.contains("liveness") && j["liveness"].is_object()) {
    json verdict = {{"verdict", j["liveness"].value("verdict", "")}};
    j["liveness"] = verdict;
  }
  return j;
}

void ServerImpl::Enrol(Call& c) {
  c.action = "enrol";
  if (!DeviceUsesSessions(c)) return;
  auto f = ReadFaceRequest(c);
  if (!f.ok()) return Fail(c, f.status());
  c.subject = f->subject;
  c.purpose = f->purpose;
  if (!DeviceMayAct(c, *f)) return;
  if (!ChargeDecodeWork(c, {&f->image})) return;
  // A device verifies or identifies; it enrols only where the purpose says so, or a stolen
  // kiosk key could add faces to people's records.
  if (c.key && c.key->role == Role::kDevice) {
    auto allowed = svc.DeviceEnrolment(f->purpose);
    if (!allowed.ok()) return Fail(c, allowed.status());
    if (!*allowed)
      return Forbid(c, "device keys do not enrol for purpose '" + f->purpose +
                           "': enrolment is done by an operator, or an admin allows it for the purpose "
                           "(POST /v1/purposes with \"device_enrolment\": true)");
  }
  c.audited = true;
  auto r = svc.Enrol(f->subject, f->purpose, f->image, f->session, c.actor);
  sodium_memzero(f->image.data(), f->image.size());  // REQ S2: the photo is not kept
  if (!r.ok()) return Fail(c, r.status());
  json j = {{"ok", true},
            {"subject", f->subject},
            {"purpose", f->purpose},
            {"template_id", r->template_id},
            {"consent_id", r->consent_id},
            {"model", r->model},
            {"expires_at", FormatTime(r->expires_at)}};
  if (Truthy(c.req, "timings")) j["timings"] = TimingsJson(r->timings);
  if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
  j["quality"] = QualityJson(r->quality);
  SendJson(c.res, 201, j);
}

void ServerImpl::Verify(Call& c) {
  c.action = "verify";
  if (!DeviceUsesSessions(c)) return;
  auto f = ReadFaceRequest(c);
  if (!f.ok()) return Fail(c, f.status());
  c.subject = f->subject;
  c.purpose = f->purpose;
  if (!DeviceMayAct(c, *f)) return;
  if (!ChargeDecodeWork(c, {&f->image})) return;
  c.audited = true;
  auto r = svc.Verify(f->subject, f->purpose, f->image, f->session, c.actor);
  sodium_memzero(f->image.data(), f->image.size());  // REQ S2, D3: nothing of the probe is kept
  if (!r.ok()) return Fail(c, r.status());
  // A non-match is an answer, not an error: 200 with match=false and what it rested on.
  json j = {
      {"ok", true},        {"subject", f->subject},       {"purpose", f->purpose},
      {"match", r->match}, {"distance", r->distance},     {"threshold", r->threshold},
      {"model", r->model}, {"consent_id", r->consent_id}, {"alternatives", r->alternatives}};
  if (Truthy(c.req, "timings")) j["timings"] = TimingsJson(r->timings);
  if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
  j["quality"] = QualityJson(r->quality);
  SendJson(c.res, 200, DecisionView(c, j));
}

// 1:N within the scope of an identification purpose (REQ SC2). Same roles as
// /v1/verify; only the match is named, a non-match is "unknown" (REQ D3).
void ServerImpl::Identify(Call& c) {
  c.action = "identify";
  if (!DeviceUsesSessions(c)) return;
  const char* kHint =
      R"({"purpose": "site-entry", "image_base64": "<base64 of the JPEG>"} or multipart/form-data with field purpose and file "image")";
  FaceRequest f;
  if (c.req.is_multipart_form_data()) {
    auto field = [&](const char* name) {
      return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
    };
    f.purpose = field("purpose");
    f.device = field("device");
    if (!c.req.has_file("image"))
      return Fail(c, Status::InvalidInput(
                         std::string("multipart field \"image\" is missing; send the photo as ") + kHint));
    f.image = c.req.get_file_value("image").content;
  } else {
    auto body = ParseBody(c.req, kHint);
    if (!body.ok()) return Fail(c, body.status());
    auto purpose = Str(*body, "purpose", false);
    auto device = Str(*body, "device", false);
    auto b64 = Str(*body, "image_base64", true, std::string("the photo; send ") + kHint);
    for (const Status& st : {purpose.status(), device.status(), b64.status()})
      if (!st.ok()) return Fail(c, st);
    f.purpose = *purpose;
    f.device = *device;
    auto image = DecodeBase64(std::move(b64).value());
    if (!image.ok()) return Fail(c, image.status());
    f.image = std::move(image).value();
  }
  if (f.purpose.empty())
    return Fail(c, Status::InvalidInput("field \"purpose\" is required: the identification purpose "
                                        "whose scope is searched, e.g. site-entry"));
  if (f.image.empty()) return Fail(c, Status::InvalidInput("the image is empty; send a JPEG, PNG, WebP or BMP photo"));
  c.purpose = f.purpose;
  if (!DeviceMayAct(c, f)) return;
  if (!ChargeDecodeWork(c, {&f.image})) return;
  c.audited = true;
  auto r = svc.Identify(f.purpose, f.image, c.actor);
  sodium_memzero(f.image.data(), f.image.size());  // REQ D3: nothing of the probe is kept
  if (!r.ok()) return Fail(c, r.status());
  // "Unknown" is an answer, not an error: 200 with identified=false.
  json j = {{"ok", true},
            {"purpose", f.purpose},
            {"identified", r->identified},
            {"subject", r->identified ? json(r->subject) : json(nullptr)},
            {"distance", std::isfinite(r->distance) ? json(r->distance) : json(nullptr)},
            {"threshold", r->threshold},
            {"scope_size", r->scope_size},
            {"stranger_accept_rate", r->stranger_accept_rate},
            {"genuine_accept_rate", r->genuine_accept_rate},
            {"max_scope_size", r->max_scope_size},
            {"operator_threshold", r->operator_threshold},
            {"model", r->model},
            {"alternatives", r->alternatives}};
  if (r->identified) j["consent_id"] = r->consent_id;
  if (!r->warning.empty()) j["warning"] = r->warning;
  if (Truthy(c.req, "timings")) j["timings"] = TimingsJson(r->timings);
  if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
  // "Unknown" names nobody, and says nothing of how near the nearest member came: that
  // distance would tell a photo's holder whether its person is enrolled. Only an admin is told
  // it, in this answer; it is kept nowhere, not in the audit nor the server log (REQ D3).
  if (!r->identified && !IsAdmin(c)) j["distance"] = nullptr;
  SendJson(c.res, 200, DecisionView(c, j));
}

// Takes photos into an analysis purpose's open calendar window: counts by age band, gender and
// expression are released per window once it ends (GET /v1/purposes/{name}/statistics), groups
// under k withheld; nothing per face is returned or kept (REQ SC3, AN1, AN2, AN4).
void ServerImpl::Analyze(Call& c) {
  c.action = "analyze";
  const char* kHint =
      R"({"purpose": "shop-count", "k": 5, "images_base64": ["<base64 of a JPEG>", ...]} or multipart/form-data with fields purpose, k and one or more files "image")";
  std::string purpose, device, subject;
  int64_t k = 5;
  std::vector<std::string> images;
  if (c.req.is_multipart_form_data()) {
    auto field = [&](const char* name) {
      return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
    };
    purpose = field("purpose");
    device = field("device");
    subject = field("subject");
    const std::string k_s = field("k");
    if (!k_s.empty()) {
      size_t pos = 0;
      try {
        k = std::stoll(k_s, &pos);
      } catch (...) {
        pos = 0;
      }
      if (pos != k_s.size())
        return Fail(c, Status::InvalidInput("field \"k\"='" + k_s +
                                            "' must be an integer, at least 2 (REQ AN2)"));
    }
    auto range = c.req.files.equal_range("image");
    for (auto it = range.first; it != range.second; ++it) images.push_back(it->second.content);
    if (images.empty())
      return Fail(
          c,
          Status::InvalidInput(
              std::string("multipart field \"image\" is missing; send the photos as ") + kHint));
  } else {
    auto body = ParseBody(c.req, kHint);
    if (!body.ok()) return Fail(c, body.status());
    auto p = Str(*body, "purpose", false);
    auto d = Str(*body, "device", false);
    auto s = Str(*body, "subject", false);
    auto kk = Int(*body, "k", false);
    auto list = StrList(*body, "images_base64");
    for (const Status& st : {p.status(), d.status(), s.status(), kk.status(), list.status()})
      if (!st.ok()) return Fail(c, st);
    purpose = *p;
    device = *d;
    subject = *s;
    if (body->contains("k") && !(*body)["k"].is_null()) k = *kk;
    if (list->empty())
      return Fail(c, Status::InvalidInput(std::string("field \"images_base64\" is required: a "
                                                      "non-empty array of photos; send ") +
                                          kHint));
    for (size_t i = 0; i < list->size(); ++i) {
      auto img = DecodeBase64(std::move((*list)[i]));
      if (!img.ok())
        return Fail(c, Status::InvalidInput("images_base64[" + std::to_string(i) +
                                            "]: " + img.status().message()));
      images.push_back(std::move(img).value());
    }
  }
  if (purpose.empty())
    return Fail(c, Status::InvalidInput("field \"purpose\" is required: a purpose declared with "
                                        "scenario analysis, e.g. shop-count"));
  if (k < 2 || k > 1'000'000)
    return Fail(c, Status::InvalidInput("field \"k\" must be from 2 to 1000000: smaller groups "
                                        "could single a person out (REQ AN2)"));
  c.purpose = purpose;
  if (!DeviceMayAct(c, purpose, device)) return;
  std::vector<const std::string*> all;
  for (const std::string& img : images) all.push_back(&img);
  if (!ChargeDecodeWork(c, all)) return;
  c.audited = true;
  auto r = svc.Analyze(purpose, images, static_cast<int>(k), c.actor, subject);
  for (std::string& img : images)
    sodium_memzero(img.data(), img.size());  // REQ AN1: no frame kept
  if (!r.ok()) return Fail(c, r.status());
  json j = service::AnalyzeReportJson(*r);
  j["ok"] = true;
  j["purpose"] = purpose;
  SendJson(c.res, 200, j);
}

}  // namespace facegate::server
