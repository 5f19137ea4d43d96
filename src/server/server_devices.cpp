// Devices, their capture sessions and sites (REQ D1-D7; docs/devices.md, docs/sites.md). A
// device key acts only for its own device: it opens captures there, sends their frames and
// records the person's choice of another method; the frames of a closed, timed-out or
// face-free capture are refused before they are decoded.
#include <sodium.h>

#include "server/server_impl.h"
#include "service/json_views.h"
#include "service/liveness_check.h"

namespace facegate::server {

using service::CaptureSessionJson;
using service::DeviceJson;
using service::SiteJson;

const std::vector<RouteEntry>& DeviceRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"GET", "/v1/devices", Access::kDeploymentRead}, &ServerImpl::ListDevices},
      {{"POST", "/v1/devices", Access::kAdmin}, &ServerImpl::RegisterDevice},
      {{"GET", "/v1/devices/{id}", Access::kDeploymentRead}, &ServerImpl::GetDevice},
      // Signage is confirmed by whoever checked it on site: an operator or an admin.
      {{"POST", "/v1/devices/{id}/signage", Access::kPurposes}, &ServerImpl::ConfirmSignage},
      {{"POST", "/v1/devices/{id}/live", Access::kAdmin}, &ServerImpl::SetDeviceLive},
      {{"POST", "/v1/devices/{id}/suspend", Access::kAdmin}, &ServerImpl::SuspendDevice},
      {{"POST", "/v1/devices/{id}/sessions", Access::kGate}, &ServerImpl::OpenCaptureSession},
      {{"GET", "/v1/sessions/{id}", Access::kGate}, &ServerImpl::GetCaptureSession},
      {{"POST", "/v1/sessions/{id}/frames", Access::kFace}, &ServerImpl::SubmitFrame},
      {{"POST", "/v1/sessions/{id}/alternative", Access::kGate}, &ServerImpl::SessionAlternative},
      {{"GET", "/v1/sites", Access::kDeploymentRead}, &ServerImpl::ListSites},
      {{"POST", "/v1/sites", Access::kAdmin}, &ServerImpl::RegisterSite},
      {{"GET", "/v1/sites/{id}", Access::kDeploymentRead}, &ServerImpl::GetSite},
      {{"GET", "/v1/sites/{id}/check", Access::kDeploymentRead}, &ServerImpl::CheckSite},
      {{"GET", "/v1/sites/{id}/map", Access::kDeploymentRead}, &ServerImpl::SiteMap},
  };
  return routes;
}

// A device key acts only through its own device (and the purposes on its key).
bool ServerImpl::DeviceKeyOwns(Call& c, const std::string& device, const std::string& purpose) {
  if (!c.key || c.key->role != Role::kDevice) return true;
  if (device != c.key->device) {
    Forbid(c, "this device key belongs to device '" + c.key->device + "' and cannot act for device '" + device +
                  "'; use that device's own key");
    return false;
  }
  return purpose.empty() || DeviceMayAct(c, purpose, device);
}

static Result<bool> Bool(const json& body, const char* name) {
  if (!body.contains(name)) return false;
  if (!body[name].is_boolean()) return Status::InvalidInput(std::string("field \"") + name + "\" must be true or false");
  return body[name].get<bool>();
}

void ServerImpl::ListDevices(Call& c) {
  c.action = "device.list";
  const std::string site = c.req.has_param("site") ? c.req.get_param_value("site") : "";
  auto devices = svc.ListDevices(site);
  if (!devices.ok()) return Fail(c, devices.status());
  json items = json::array();
  for (const DeviceRecord& d : *devices) items.push_back(DeviceJson(d));
  SendJson(c.res, 200, {{"ok", true}, {"items", items}});
}

void ServerImpl::RegisterDevice(Call& c) {
  c.action = "device.register";
  const char* kHint =
      R"({"id": "gate-1", "mode": "automatic", "purposes": ["site-entry"], "location_type": "lobby", "area": [[0.2,0.1],[0.8,0.1],[0.8,0.9],[0.2,0.9]], "capture_timeout_s": 20})";
  auto body = ParseBody(c.req, kHint);
  if (!body.ok()) return Fail(c, body.status());
  DeviceRecord d;
  std::string mode = "triggered";
  for (auto [name, out] : {std::pair{"id", &d.id}, {"name", &d.name}, {"site", &d.site}, {"zone", &d.zone},
                           {"passage", &d.passage}, {"location_type", &d.location_type}, {"mode", &mode}}) {
    auto v = Str(*body, name, std::string(name) == "id", "the device's id, e.g. gate-1");
    if (!v.ok()) return Fail(c, v.status());
    if (!v->empty()) *out = *v;
  }
  auto m = ParseDeviceMode(mode);
  if (!m) return Fail(c, Status::InvalidInput("field \"mode\" is 'triggered' (the default) or 'automatic'"));
  d.mode = *m;
  auto purposes = StrList(*body, "purposes");
  auto ps = Bool(*body, "public_security");
  auto presence = Bool(*body, "presence_trigger");
  for (const Status& st : {purposes.status(), ps.status(), presence.status()})
    if (!st.ok()) return Fail(c, st);
  d.purposes = *purposes;
  d.public_security = *ps;
  d.presence_trigger = *presence;
  if (body->contains("area")) d.area = (*body)["area"].dump();
  if (body->contains("capture_timeout_s")) {
    if (!(*body)["capture_timeout_s"].is_number_integer())
      return Fail(c, Status::InvalidInput("field \"capture_timeout_s\" is whole seconds, 1..60"));
    d.capture_timeout_s = (*body)["capture_timeout_s"].get<int64_t>();
  }
  c.purpose = d.purposes.empty() ? "" : d.purposes.front();
  c.audited = true;
  auto r = svc.RegisterDevice(d, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 201, {{"ok", true}, {"device", DeviceJson(*r)}});
}

void ServerImpl::GetDevice(Call& c) {
  c.action = "device.show";
  auto d = svc.GetDevice(c.req.matches[1]);
  if (!d.ok()) return Fail(c, d.status());
  SendJson(c.res, 200, {{"ok", true}, {"device", DeviceJson(*d)}});
}

void ServerImpl::ConfirmSignage(Call& c) {
  c.action = "device.signage";
  auto body = ParseBody(
      c.req,
      R"({"voice_prompt": "...", "warning_line": "...", "notice_version": 2, "notice_location": "...", "consent_method": "...", "confirmed_by": "..."})");
  if (!body.ok()) return Fail(c, body.status());
  DeviceSignage s;
  for (auto [name, out] : {std::pair{"voice_prompt", &s.voice_prompt}, {"warning_line", &s.warning_line},
                           {"notice_location", &s.notice_location}, {"consent_method", &s.consent_method},
                           {"confirmed_by", &s.confirmed_by}}) {
    auto v = Str(*body, name, true, "REQ D5: every part of the signage record is required");
    if (!v.ok()) return Fail(c, v.status());
    *out = *v;
  }
  if (!body->contains("notice_version") || !(*body)["notice_version"].is_number_integer())
    return Fail(c, Status::InvalidInput("field \"notice_version\" is required: the version of the notice posted "
                                        "before the area (GET /v1/purposes/{name}/notice)"));
  s.notice_version = (*body)["notice_version"].get<int64_t>();
  c.audited = true;
  auto d = svc.ConfirmSignage(c.req.matches[1], s, c.actor);
  if (!d.ok()) return Fail(c, d.status());
  SendJson(c.res, 200, {{"ok", true}, {"device", DeviceJson(*d)}});
}

void ServerImpl::SetDeviceLive(Call& c) {
  c.action = "device.live";
  c.audited = true;
  auto d = svc.SetDeviceLive(c.req.matches[1], c.actor);
  if (!d.ok()) return Fail(c, d.status());
  SendJson(c.res, 200, {{"ok", true}, {"device", DeviceJson(*d)}});
}

void ServerImpl::SuspendDevice(Call& c) {
  c.action = "device.suspend";
  auto body = ParseBody(c.req, R"({"reason": "camera moved; signage to check"})");
  if (!body.ok()) return Fail(c, body.status());
  auto reason = Str(*body, "reason", true, "why the device stops capturing");
  if (!reason.ok()) return Fail(c, reason.status());
  c.audited = true;
  auto d = svc.SuspendDevice(c.req.matches[1], *reason, c.actor);
  if (!d.ok()) return Fail(c, d.status());
  SendJson(c.res, 200, {{"ok", true}, {"device", DeviceJson(*d)}});
}

// The person acted at the device (tapped to start, or stood on its marked spot), or an
// automatic device started: a capture opens for at most the device's timeout (REQ D1).
void ServerImpl::OpenCaptureSession(Call& c) {
  c.action = "capture.open";
  const std::string device = c.req.matches[1];
  auto body = ParseBody(c.req, R"({"purpose": "office-entry", "subject": "S1", "opened_by": "tap", "action": "match"})");
  if (!body.ok()) return Fail(c, body.status());
  auto purpose = Str(*body, "purpose", true, "one of the device's purposes");
  auto subject = Str(*body, "subject", false);
  auto by = Str(*body, "opened_by", false);
  auto action = Str(*body, "action", false);  // "enrol": a kiosk enrolling the person who tapped
  for (const Status& st : {purpose.status(), subject.status(), by.status(), action.status()})
    if (!st.ok()) return Fail(c, st);
  c.purpose = *purpose;
  c.subject = *subject;
  if (!DeviceKeyOwns(c, device, *purpose)) return;
  c.audited = true;
  auto s = svc.OpenCaptureSession(device, *purpose, *subject, by->empty() ? "tap" : *by, c.actor,
                                  action->empty() ? "match" : *action);
  if (!s.ok()) return Fail(c, s.status());
  SendJson(c.res, 201, {{"ok", true}, {"session", CaptureSessionJson(*s)}});
}

// The session, for the device that opened it (or staff); nullopt once the call is answered.
std::optional<CaptureSessionRecord> ServerImpl::SessionOfCall(Call& c) {
  auto s = svc.GetCaptureSession(c.req.matches[1]);
  if (!s.ok()) {
    Fail(c, s.status());
    return std::nullopt;
  }
  c.subject = s->subject;
  c.purpose = s->purpose;
  if (!DeviceKeyOwns(c, s->device, s->purpose)) return std::nullopt;
  return std::move(*s);
}

void ServerImpl::GetCaptureSession(Call& c) {
  c.action = "capture.show";
  auto s = SessionOfCall(c);
  if (!s) return;
  SendJson(c.res, 200, {{"ok", true}, {"session", CaptureSessionJson(*s)}});
}

// One frame: raw image bytes (Content-Type image/*), multipart file "image", or JSON
// {"image_base64": ...}. Refused undecoded outside an open, face-bearing session (D1, D7).
void ServerImpl::SubmitFrame(Call& c) {
  c.action = "capture.frame";
  auto s = SessionOfCall(c);
  if (!s) return;
  std::string image;
  const std::string type = c.req.get_header_value("Content-Type");
  if (type.rfind("image/", 0) == 0) {
    image = c.req.body;
  } else if (c.req.is_multipart_form_data()) {
    if (!c.req.has_file("image"))
      return Fail(c, Status::InvalidInput("multipart field \"image\" is missing: send the frame as file \"image\""));
    image = c.req.get_file_value("image").content;
  } else {
    auto body = ParseBody(c.req, R"({"image_base64": "<base64 of the JPEG>"} or the JPEG itself as image/jpeg)");
    if (!body.ok()) return Fail(c, body.status());
    auto b64 = Str(*body, "image_base64", true, "the frame as base64, or send it as image/jpeg");
    if (!b64.ok()) return Fail(c, b64.status());
    auto bytes = DecodeBase64(std::move(b64).value());
    if (!bytes.ok()) return Fail(c, bytes.status());
    image = std::move(bytes).value();
  }
  if (!ChargeDecodeWork(c, {&image})) return;
  c.audited = true;
  auto r = svc.SubmitFrame(s->id, image, c.actor);
  sodium_memzero(image.data(), image.size());  // REQ S2, D3: nothing of the frame is kept
  if (!r.ok()) return Fail(c, r.status());
  json j = {{"ok", true},
            {"outcome", r->outcome},
            {"faces_outside_area", r->faces_outside_area},
            {"session", CaptureSessionJson(r->session)}};
  if (r->verify) {
    j["match"] = r->verify->match;
    j["distance"] = r->verify->distance;
    j["threshold"] = r->verify->threshold;
    j["alternatives"] = r->verify->alternatives;
    // What the decision rested on besides the distance (device keys see no distance).
    j["quality"] = service::QualityJson(r->verify->quality);
    if (r->verify->liveness) j["liveness"] = service::LivenessJson(*r->verify->liveness);
  }
  if (r->enrol) {  // an enrolling capture (REQ C1: under the person's consent)
    j["template_id"] = r->enrol->template_id;
    j["consent_id"] = r->enrol->consent_id;
    j["model"] = r->enrol->model;
    j["expires_at"] = service::FormatTime(r->enrol->expires_at);
    j["quality"] = service::QualityJson(r->enrol->quality);
    if (r->enrol->liveness) j["liveness"] = service::LivenessJson(*r->enrol->liveness);
  }
  if (r->retake) j["quality"] = service::QualityJson(*r->retake);  // what to fix, then another frame
  if (r->identify) {
    j["identified"] = r->identify->identified;
    j["subject"] = r->identify->identified ? json(r->identify->subject) : json(nullptr);
    if (r->identify->identified) j["distance"] = r->identify->distance;
    j["threshold"] = r->identify->threshold;
    j["alternatives"] = r->identify->alternatives;
  }
  SendJson(c.res, 200, DecisionView(c, j));
}

// The person chose another method at the device: the capture turns face-free (REQ D7).
void ServerImpl::SessionAlternative(Call& c) {
  c.action = "capture.alternative";
  auto s = SessionOfCall(c);
  if (!s) return;
  std::string method;
  if (!c.req.body.empty()) {
    auto body = ParseBody(c.req, R"({"method": "staff-card"})");
    if (!body.ok()) return Fail(c, body.status());
    auto m = Str(*body, "method", false);
    if (!m.ok()) return Fail(c, m.status());
    method = *m;
  }
  c.audited = true;
  auto r = svc.ChooseAlternativeAtSession(s->id, method, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  SendJson(c.res, 200, {{"ok", true}, {"session", CaptureSessionJson(*r)}});
}

void ServerImpl::ListSites(Call& c) {
  c.action = "site.list";
  auto sites = svc.ListSites();
  if (!sites.ok()) return Fail(c, sites.status());
  json items = json::array();
  for (const SiteRecord& s : *sites) items.push_back(SiteJson(s, false));
  SendJson(c.res, 200, {{"ok", true}, {"items", items}});
}

void ServerImpl::RegisterSite(Call& c) {
  c.action = "site.register";
  c.audited = true;
  auto s = svc.RegisterSite(c.req.body, c.actor);
  if (!s.ok()) return Fail(c, s.status());
  SendJson(c.res, 201, {{"ok", true}, {"site", SiteJson(*s, false)}});
}

void ServerImpl::GetSite(Call& c) {
  c.action = "site.show";
  auto s = svc.GetSite(c.req.matches[1]);
  if (!s.ok()) return Fail(c, s.status());
  SendJson(c.res, 200, {{"ok", true}, {"site", SiteJson(*s, true)}});
}

void ServerImpl::CheckSite(Call& c) {
  c.action = "site.check";
  bool ok = false;
  auto report = svc.CheckSiteNow(c.req.matches[1], &ok);
  if (!report.ok()) return Fail(c, report.status());
  json j = json::parse(*report);
  j["site"] = std::string(c.req.matches[1]);
  SendJson(c.res, 200, j);
}

void ServerImpl::SiteMap(Call& c) {
  c.action = "site.map";
  auto svg = svc.SiteMap(c.req.matches[1]);
  if (!svg.ok()) return Fail(c, svg.status());
  c.res.status = 200;
  c.res.set_content(*svg, "image/svg+xml");
}

}  // namespace facegate::server

namespace facegate::server {

// A registered device captures only inside its capture sessions (REQ D1, D2, D7): its key may
// not send photos to /v1/enrol, /v1/verify or /v1/identify around them. (Keys of devices not in
// the registry keep the direct routes; docs/devices.md.)
bool ServerImpl::DeviceUsesSessions(Call& c) {
  if (!c.key || c.key->role != Role::kDevice) return true;
  auto d = svc.GetDevice(c.key->device);
  if (!d.ok()) return true;
  Forbid(c, "device '" + c.key->device + "' is registered: its frames go through capture sessions "
            "(POST /v1/devices/" + c.key->device + "/sessions, then POST /v1/sessions/{id}/frames), where its "
            "trigger, timeout, collection area and the person's choice of another method hold (REQ D1, D2, D7)");
  return false;
}

}  // namespace facegate::server
