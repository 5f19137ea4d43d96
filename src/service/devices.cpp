// Devices and their capture sessions (REQ D1-D5, D7; docs/devices.md): registration with the
// refusals of D1, D4 and D5, going live, sessions that open on the person's act and close on a
// result, the choice of another method or the timeout, and frames refused before decoding
// outside an open session.
#include <facegate/service.h>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "policy/site.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

constexpr int64_t kMaxCaptureSeconds = 60;  // REQ D1

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::string NewSessionId() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  static const char* hex = "0123456789abcdef";
  std::string id = "cs_";
  for (unsigned char c : b) {
    id.push_back(hex[c >> 4]);
    id.push_back(hex[c & 15]);
  }
  return id;
}

json DeviceDetail(const DeviceRecord& d) {
  return {{"device", d.id},           {"mode", ToString(d.mode)}, {"site", d.site},
          {"zone", d.zone},           {"passage", d.passage},     {"location_type", d.location_type},
          {"purposes", d.purposes},   {"status", ToString(d.status)}};
}

// Faces (largest first) whose box is at least kProminentFaceShare of the largest's: smaller ones
// are bystanders in the background; two or more prominent ones and facegate will not guess.
template <class T, class Area>
int Prominent(const std::vector<T>& faces, Area area) {
  int n = 0;
  for (const T& f : faces)
    if (area(f) >= kProminentFaceShare * area(faces.front())) ++n;
  return n;
}

}  // namespace

// ---- The frame helpers Verify and Identify use (service_impl.h) ----

Result<cv::Mat> Service::Impl::DecodeFrame(const std::string& bytes, const FrameScope* frame) {
  if (frame && frame->image) return frame->image->clone();
  return vision::DecodeImage(bytes);
}

json Service::Impl::FrameDetail(json detail, const FrameScope* frame) {
  if (!frame) return detail;
  detail["device"] = frame->device;
  detail["capture_session"] = frame->capture_session;
  detail["faces_outside_area"] = frame->dropped;
  return detail;
}

Result<vision::Face> Service::Impl::OneFace(const Grant& g, const cv::Mat& rgb, vision::StageTimings* t,
                                            FrameScope* frame) {
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, Engine());
  if (frame && frame->detection) return eng->Landmark(g, rgb, *frame->detection, t);
  if (frame && frame->area) {
    FG_ASSIGN_OR_RETURN(std::vector<vision::Detection> dets,
                        eng->DetectInArea(g, rgb, *frame->area, t, &frame->dropped));
    if (dets.empty())
      return Status::InvalidInput("no face inside the device's collection area" +
                                  std::string(frame->dropped ? " (" + std::to_string(frame->dropped) +
                                                                   " outside it, not processed)"
                                                             : "") +
                                  "; step onto the marked spot and face the camera");
    if (const int prominent = Prominent(dets, [](const vision::Detection& d) { return d.box.area(); });
        prominent > 1)
      return Status::InvalidInput(std::to_string(prominent) +
                                  " faces inside the collection area; facegate will not guess which one is "
                                  "meant: one person at a time on the marked spot");
    return eng->Landmark(g, rgb, dets.front(), t);
  }
  FG_ASSIGN_OR_RETURN(std::vector<vision::Face> faces, eng->Detect(g, rgb, t));
  if (faces.empty())
    return Status::InvalidInput(
        "no face found in the photo; use a well-lit, frontal photo where the face is clearly visible");
  // Faces much smaller than the largest are bystanders in the background:
  // dropped before any output (REQ D2, D3). Two or more prominent faces: refuse to guess.
  if (const int prominent = Prominent(faces, [](const vision::Face& f) { return f.detection.box.area(); });
      prominent > 1)
    return Status::InvalidInput(std::to_string(prominent) +
                                " faces found in the photo; facegate will not guess which one is "
                                "meant: use a photo with only the person's face");
  return faces.front();
}

// ---- Registry ----

Result<DeviceRecord> Service::RegisterDevice(const DeviceRecord& in, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "device.register";
  DeviceRecord d = in;
  auto fail = [&](Status st) { return I.Fail(actor, act, "", d.purposes.empty() ? "" : d.purposes.front(), st,
                                             DeviceDetail(d)); };
  if (!ValidId(d.id))
    return fail(Status::InvalidInput("device id '" + d.id + "' must be 1-64 characters of A-Z a-z 0-9 . _ -"));
  if (d.name.empty()) d.name = d.id;
  if (!d.zone.empty() && !d.passage.empty())
    return fail(Status::InvalidInput("a device is placed in a zone or on a passage, not both"));
  // Placement on a registered site: the zone's type is where the device looks (REQ D4).
  if (!d.site.empty()) {
    auto site = I.store->GetSite(d.site);
    if (!site.ok()) return fail(site.status());
    auto parsed = policy::ParseSite(site->document);
    if (!parsed.ok()) return fail(parsed.status());
    if (d.zone.empty() && d.passage.empty())
      return fail(Status::InvalidInput("a device on site '" + d.site + "' needs its zone or passage"));
    if (!d.zone.empty()) {
      auto z = std::find_if(parsed->zones.begin(), parsed->zones.end(),
                            [&](const policy::SiteZone& z) { return z.id == d.zone; });
      if (z == parsed->zones.end())
        return fail(Status::InvalidInput("site '" + d.site + "' has no zone '" + d.zone + "'"));
      if (!d.location_type.empty() && d.location_type != z->type)
        return fail(Status::InvalidInput("zone '" + d.zone + "' of site '" + d.site + "' is of type '" + z->type +
                                         "', not '" + d.location_type + "'; leave the location type out"));
      d.location_type = z->type;
    } else {
      auto p = std::find_if(parsed->passages.begin(), parsed->passages.end(),
                            [&](const policy::SitePassage& p) { return p.id == d.passage; });
      if (p == parsed->passages.end())
        return fail(Status::InvalidInput("site '" + d.site + "' has no passage '" + d.passage + "'"));
      if (d.location_type.empty()) d.location_type = "passage";
    }
  }
  if (d.location_type.empty())
    return fail(Status::InvalidInput("the location type is required (one of " + Join(policy::ZoneTypes()) +
                                     ", or passage), or place the device on a registered site"));
  if (policy::IsForbiddenZoneType(d.location_type))
    return fail(Status::Refused("D4", "no recognition device may be placed in a " + d.location_type +
                                          " (hotel rooms, bathhouses, changing rooms and toilets are refused); "
                                          "place it outside, where people are told of it"));
  const auto& types = policy::ZoneTypes();
  if (d.location_type != "passage" && std::find(types.begin(), types.end(), d.location_type) == types.end())
    return fail(Status::InvalidInput("unknown location type '" + d.location_type + "'; use one of " +
                                     Join(types) + ", or passage"));
  if (d.capture_timeout_s <= 0) d.capture_timeout_s = 30;
  if (d.capture_timeout_s > kMaxCaptureSeconds)
    return fail(Status::Refused("D1", "a capture stops after at most 60 s; the timeout " +
                                          std::to_string(d.capture_timeout_s) + " s is too long"));
  if (d.presence_trigger && d.mode == DeviceMode::kAutomatic)
    return fail(Status::InvalidInput("presence triggering is for triggered devices; an automatic device "
                                     "starts on its own"));
  if (d.purposes.empty())
    return fail(Status::InvalidInput("a device needs at least one purpose (--purpose)"));
  std::sort(d.purposes.begin(), d.purposes.end());
  d.purposes.erase(std::unique(d.purposes.begin(), d.purposes.end()), d.purposes.end());
  if (d.public_security && d.purposes.size() != 1)
    return fail(Status::Refused("D5", "a public-security device is locked to its one public-security purpose; "
                                      "it was declared for " +
                                          std::to_string(d.purposes.size()) + ": " + Join(d.purposes)));
  for (const std::string& purpose : d.purposes) {
    auto p = I.store->GetPurpose(purpose);
    if (!p.ok()) return fail(p.status());
    if (p->scenario == Scenario::kAnalysis)
      return fail(Status::InvalidInput("purpose '" + purpose + "' is for analysis; a device verifies or "
                                       "identifies (analyse its video with facegate analyze video)"));
  }
  auto area = vision::CollectionArea::FromJson(d.area.empty() ? "[]" : d.area);
  if (!area.ok()) return fail(area.status());
  d.area = area->ToJson();
  d.status = DeviceStatus::kDraft;
  d.status_reason.clear();
  d.signage = {};
  d.created_at = d.updated_at = I.Now();
  d.actor = actor;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->AddDevice(d));
    json detail = DeviceDetail(d);
    detail["area"] = json::parse(d.area);
    detail["capture_timeout_s"] = d.capture_timeout_s;
    detail["public_security"] = d.public_security;
    return I.Audit(actor, act, "", d.purposes.front(), Status::Ok(), detail);
  });
  if (!st.ok()) return fail(st);
  return d;
}

Result<DeviceRecord> Service::GetDevice(const std::string& id) { return impl_->store->GetDevice(id); }

Result<std::vector<DeviceRecord>> Service::ListDevices(const std::string& site) {
  return impl_->store->ListDevices(site);
}

Result<DeviceRecord> Service::ConfirmSignage(const std::string& device, const DeviceSignage& signage,
                                             const std::string& actor) {
  auto& I = *impl_;
  const char* act = "device.signage";
  auto d = I.store->GetDevice(device);
  if (!d.ok()) return I.Fail(actor, act, "", "", d.status(), {{"device", device}});
  std::vector<std::string> missing;
  if (signage.voice_prompt.empty()) missing.push_back("voice prompt");
  if (signage.warning_line.empty()) missing.push_back("warning line");
  if (signage.notice_version <= 0) missing.push_back("notice version");
  if (signage.notice_location.empty()) missing.push_back("notice location");
  if (signage.consent_method.empty()) missing.push_back("consent method");
  if (signage.confirmed_by.empty()) missing.push_back("confirmed by");
  if (!missing.empty())
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput("the signage record lacks: " + Join(missing) +
                                       " (REQ D5: alert, written notice and where it hangs, consent method, "
                                       "and who confirmed them)"),
                  DeviceDetail(*d));
  for (const std::string& purpose : d->purposes) {
    auto n = I.store->LatestNotice(purpose);
    if (!n.ok() || n->version != signage.notice_version)
      return I.Fail(actor, act, "", purpose,
                    Status::InvalidInput("notice version " + std::to_string(signage.notice_version) +
                                         " is not the notice in force for purpose '" + purpose + "'" +
                                         (n.ok() ? " (version " + std::to_string(n->version) + ")"
                                                 : " (none is published)") +
                                         "; post the notice in force and record its version"),
                    DeviceDetail(*d));
  }
  d->signage = signage;
  d->signage.confirmed_at = I.Now();
  d->updated_at = I.Now();
  d->actor = actor;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateDevice(*d));
    json detail = DeviceDetail(*d);
    detail["signage"] = {{"voice_prompt", signage.voice_prompt},     {"warning_line", signage.warning_line},
                         {"notice_version", signage.notice_version}, {"notice_location", signage.notice_location},
                         {"consent_method", signage.consent_method}, {"confirmed_by", signage.confirmed_by}};
    return I.Audit(actor, act, "", d->purposes.front(), Status::Ok(), detail);
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, DeviceDetail(*d));
  return *d;
}

Result<DeviceRecord> Service::SetDeviceLive(const std::string& device, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "device.live";
  auto d = I.store->GetDevice(device);
  if (!d.ok()) return I.Fail(actor, act, "", "", d.status(), {{"device", device}});
  auto fail = [&](Status st) { return I.Fail(actor, act, "", d->purposes.front(), st, DeviceDetail(*d)); };
  // REQ N1: people can read what each purpose does before any capture.
  std::vector<int64_t> versions;
  for (const std::string& purpose : d->purposes) {
    auto n = I.store->LatestNotice(purpose);
    if (!n.ok() && n.status().kind() != ErrorKind::kNotFound) return fail(n.status());
    if (!n.ok())
      return fail(Status::Refused("N1", "purpose '" + purpose + "' has no published notice; publish it "
                                        "(facegate notice publish) before the device goes live"));
    versions.push_back(n->version);
  }
  // REQ D5: an automatic device needs its alert, the written notice in force posted before the
  // area, the consent method and who confirmed them.
  if (d->mode == DeviceMode::kAutomatic) {
    const DeviceSignage& s = d->signage;
    if (s.confirmed_at == 0)
      return fail(Status::Refused("D5", "automatic device '" + d->id + "' has no confirmed signage record: "
                                        "record the voice prompt, warning line, the notice posted before the "
                                        "area and where it hangs, the consent method and who confirmed them "
                                        "(facegate device signage " + d->id + " ...)"));
    for (size_t i = 0; i < versions.size(); ++i)
      if (versions[i] != s.notice_version)
        return fail(Status::Refused("D5", "the notice posted at device '" + d->id + "' is version " +
                                              std::to_string(s.notice_version) + " but purpose '" +
                                              d->purposes[i] + "' now has version " + std::to_string(versions[i]) +
                                              "; post the new notice and confirm the signage again"));
  }
  // REQ F1: its purposes, and an automatic device itself, have approved impact assessments.
  for (size_t i = 0; i < versions.size(); ++i)
    if (Status a = I.gate->RequireAssessment("purpose", d->purposes[i], versions[i]); !a.ok()) return fail(a);
  if (d->mode == DeviceMode::kAutomatic)
    if (Status a = I.gate->RequireAssessment("device", d->id); !a.ok()) return fail(a);
  if (d->public_security && d->purposes.size() != 1)
    return fail(Status::Refused("D5", "a public-security device is locked to one purpose"));
  // REQ D4, D6: the site's routes with this device live.
  if (!d->site.empty()) {
    DeviceRecord live = *d;
    live.status = DeviceStatus::kLive;
    bool ok = false;
    auto report = I.CheckSiteWith(d->site, &live, &ok);
    if (!report.ok()) return fail(report.status());
    if (!ok) {
      const json j = json::parse(*report, nullptr, false);
      std::string id = "D6", why;
      if (j.is_object() && j.contains("refusals"))
        for (const auto& r : j["refusals"]) {
          if (!why.empty()) why += "; ";
          why += r.value("message", "");
          id = r.value("requirement", id);
        }
      return fail(Status::Refused(id, "site '" + d->site + "' fails its check with device '" + d->id +
                                          "' live: " + why));
    }
  }
  d->status = DeviceStatus::kLive;
  d->status_reason.clear();
  d->updated_at = I.Now();
  d->actor = actor;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateDevice(*d));
    return I.Audit(actor, act, "", d->purposes.front(), Status::Ok(), DeviceDetail(*d));
  });
  if (!st.ok()) return fail(st);
  return *d;
}

Result<DeviceRecord> Service::SuspendDevice(const std::string& device, const std::string& reason,
                                            const std::string& actor) {
  auto& I = *impl_;
  const char* act = "device.suspend";
  auto d = I.store->GetDevice(device);
  if (!d.ok()) return I.Fail(actor, act, "", "", d.status(), {{"device", device}});
  if (reason.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("say why the device is suspended (--reason)"),
                  DeviceDetail(*d));
  d->status = DeviceStatus::kSuspended;
  d->status_reason = reason;
  d->updated_at = I.Now();
  d->actor = actor;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateDevice(*d));
    // Its open captures end with it.
    FG_RETURN_IF_ERROR(I.store->ExpireCaptureSessions(d->id, std::numeric_limits<int64_t>::max()).status());
    json detail = DeviceDetail(*d);
    detail["reason"] = reason;
    return I.Audit(actor, act, "", d->purposes.front(), Status::Ok(), detail);
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, DeviceDetail(*d));
  return *d;
}

// ---- Capture sessions ----

Result<CaptureSessionRecord> Service::OpenCaptureSession(const std::string& device, const std::string& purpose,
                                                         const std::string& subject, const std::string& opened_by,
                                                         const std::string& actor, const std::string& action) {
  auto& I = *impl_;
  const char* act = "capture.open";
  json detail = {{"device", device}, {"opened_by", opened_by}, {"action", action}};
  auto fail = [&](Status st) { return I.Fail(actor, act, subject, purpose, st, detail); };
  auto d = I.store->GetDevice(device);
  if (!d.ok()) return fail(d.status());
  if (d->status != DeviceStatus::kLive)
    return fail(Status::Conflict("device '" + device + "' is " + ToString(d->status) +
                                 (d->status_reason.empty() ? "" : " (" + d->status_reason + ")") +
                                 "; it captures only when live (facegate device live " + device + ")"));
  if (std::find(d->purposes.begin(), d->purposes.end(), purpose) == d->purposes.end())
    return fail(d->public_security
                    ? Status::Refused("D5", "public-security device '" + device + "' is locked to purpose '" +
                                                d->purposes.front() + "'")
                    : Status::InvalidInput("device '" + device + "' is not declared for purpose '" + purpose +
                                           "'; it serves " + Join(d->purposes)));
  if (opened_by == "tap") {
    // The person acted: always a lawful start.
  } else if (opened_by == "presence") {
    if (d->mode != DeviceMode::kTriggered || !d->presence_trigger)
      return fail(Status::Refused("D1", "device '" + device + "' is not declared to start on presence in its "
                                        "marked area; capture starts when the person taps"));
  } else if (opened_by == "automatic") {
    if (d->mode != DeviceMode::kAutomatic)
      return fail(Status::Refused("D1", "device '" + device + "' is triggered: capture starts only when the "
                                        "person acts (tap, or presence where declared), never on its own"));
  } else {
    return fail(Status::InvalidInput("a capture is opened by 'tap', 'presence' or 'automatic', not '" +
                                     opened_by + "'"));
  }
  if (action != "match" && action != "enrol")
    return fail(Status::InvalidInput("a capture's action is 'match' (verify or identify, the default) or 'enrol', "
                                     "not '" + action + "'"));
  const bool enrol = action == "enrol";
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) return fail(p.status());
  if (enrol) {
    // Enrolment at a device is the person's own act at a kiosk (REQ D1), for one named person who
    // gives consent for it (C1), and only where an admin allowed devices to enrol for the purpose:
    // otherwise a stolen device key could add faces to people's records.
    if (opened_by != "tap")
      return fail(Status::Refused("D1", "an enrolling capture opens only on the person's tap, not by '" +
                                            opened_by + "'; let the person tap to start"));
    if (subject.empty())
      return fail(Status::InvalidInput("an enrolling capture needs the subject who tapped (their staff number or "
                                       "account id)"));
    auto allowed = DeviceEnrolment(purpose);
    if (!allowed.ok()) return fail(allowed.status());
    if (!*allowed)
      return fail(Status::Conflict("purpose '" + purpose + "' does not allow enrolment at devices: enrol with an "
                                   "operator, or an admin declares the purpose with device enrolment "
                                   "(facegate purpose add ... --device-enrolment, POST /v1/purposes "
                                   "\"device_enrolment\": true)"));
  } else if (p->scenario == Scenario::kVerification && subject.empty())
    return fail(Status::InvalidInput("purpose '" + purpose + "' verifies one person: name the subject who "
                                     "tapped (their card or account id)"));
  if (!enrol && p->scenario == Scenario::kIdentification && !subject.empty())
    return fail(Status::InvalidInput("purpose '" + purpose + "' identifies within its scope: open the capture "
                                     "without a subject"));
  const UnixTime now = I.Now();
  CaptureSessionRecord s;
  s.id = NewSessionId();
  s.device = device;
  s.purpose = purpose;
  s.subject = subject;
  s.opened_by = opened_by;
  s.action = action;
  s.opened_at = now;
  s.expires_at = now + std::min<int64_t>(d->capture_timeout_s, kMaxCaptureSeconds);
  detail["capture_session"] = s.id;
  detail["expires_at"] = s.expires_at;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->ExpireCaptureSessions(device, now).status());
    FG_RETURN_IF_ERROR(I.store->AddCaptureSession(s));
    return I.Audit(actor, act, subject, purpose, Status::Ok(), detail);
  });
  if (!st.ok()) return fail(st);
  return s;
}

Result<CaptureSessionRecord> Service::GetCaptureSession(const std::string& id) {
  return impl_->store->GetCaptureSession(id);
}

Result<FrameResult> Service::SubmitFrame(const std::string& session, const std::string& image_bytes,
                                         const std::string& actor) {
  auto& I = *impl_;
  const char* act = "capture.frame";
  auto s = I.store->GetCaptureSession(session);
  if (!s.ok()) return I.Fail(actor, act, "", "", s.status(), {{"capture_session", session}});
  json detail = {{"device", s->device}, {"capture_session", session}};
  const UnixTime now = I.Now();
  // Everything below happens before the frame's bytes are decoded (REQ D1, D7).
  auto accepted = I.store->AcceptCaptureFrame(session, now);
  if (!accepted.ok()) {
    Status st = accepted.status();
    if (auto again = I.store->GetCaptureSession(session); again.ok()) s = std::move(again);
    if (s->face_free) {
      st = Status::Refused("D7", "the person chose another method at this device (session " + session +
                                     "): the frame was not decoded and no face is captured; finish that method");
    } else if (!s->closed_at && now >= s->expires_at) {
      (void)I.store->ExpireCaptureSessions(s->device, now);
      st = Status::Refused("D1", "the capture timed out " + std::to_string(now - s->expires_at) +
                                     " s ago (it stops after at most " +
                                     std::to_string(s->expires_at - s->opened_at) +
                                     " s): the frame was not decoded; open a new capture when the person acts again");
    }
    return I.Fail(actor, act, s->subject, s->purpose, st, detail);
  }
  auto d = I.store->GetDevice(s->device);
  if (!d.ok()) return I.Fail(actor, act, s->subject, s->purpose, d.status(), detail);
  if (d->status != DeviceStatus::kLive)
    return I.Fail(actor, act, s->subject, s->purpose,
                  Status::Conflict("device '" + d->id + "' is " + ToString(d->status) + "; the frame was not decoded"),
                  detail);
  auto area = vision::CollectionArea::FromJson(d->area);
  if (!area.ok()) return I.Fail(actor, act, s->subject, s->purpose, area.status(), detail);
  FrameScope scope;
  scope.device = d->id;
  scope.capture_session = session;
  scope.area = &*area;
  FrameResult out;
  auto p = I.store->GetPurpose(s->purpose);
  if (!p.ok()) return I.Fail(actor, act, s->subject, s->purpose, p.status(), detail);
  Status outcome = Status::Ok();
  if (s->action == "enrol") {
    // The person who tapped, under their consent for exactly this purpose (REQ C1: the Gate).
    auto e = EnrolIn(s->subject, s->purpose, image_bytes, session, actor, &scope);
    if (e.ok()) {
      out.outcome = "enrolled";
      out.enrol = std::move(*e);
    } else if (scope.poor) {
      // A face too poor to enrol: say what to fix and let the capture go on (docs/quality.md).
      out.outcome = "retake";
      out.retake = scope.poor;
      out.faces_outside_area = scope.dropped;
      FG_ASSIGN_OR_RETURN(out.session, I.store->GetCaptureSession(session));
      return out;
    } else {
      outcome = e.status();
    }
  } else if (p->scenario == Scenario::kVerification) {
    auto v = VerifyIn(s->subject, s->purpose, image_bytes, session, actor, &scope);
    if (v.ok()) {
      out.outcome = v->match ? "match" : "no_match";
      out.verify = std::move(*v);
    } else {
      outcome = v.status();
    }
  } else {
    auto r = IdentifyIn(s->purpose, image_bytes, session, actor, &scope);
    if (r.ok()) {
      out.outcome = r->identified ? "identified" : "unknown";
      out.identify = std::move(*r);
    } else {
      outcome = r.status();
    }
  }
  out.faces_outside_area = scope.dropped;
  if (!outcome.ok()) {
    // Nothing usable inside the area: the capture goes on until its timeout. Anything else
    // (a refusal, a bad image) is the answer to this frame; the session stays as it was.
    if (outcome.kind() == ErrorKind::kInvalidInput &&
        outcome.message().find("collection area") != std::string::npos) {
      out.outcome = "no_face";
      FG_ASSIGN_OR_RETURN(out.session, I.store->GetCaptureSession(session));
      return out;
    }
    return outcome;
  }
  // A decision ends the capture (REQ D1). A choice of another method that closed it first wins.
  Status closed = I.store->CloseCaptureSession(session, "result", 0, I.Now());
  if (!closed.ok() && closed.kind() != ErrorKind::kConflict) return closed;
  FG_ASSIGN_OR_RETURN(out.session, I.store->GetCaptureSession(session));
  return out;
}

Result<CaptureSessionRecord> Service::ChooseAlternativeAtSession(const std::string& session,
                                                                 const std::string& method,
                                                                 const std::string& actor) {
  auto& I = *impl_;
  const char* act = "capture.alternative";
  auto s = I.store->GetCaptureSession(session);
  if (!s.ok()) return I.Fail(actor, act, "", "", s.status(), {{"capture_session", session}});
  json detail = {{"device", s->device}, {"capture_session", session}, {"method", method}};
  auto p = I.store->GetPurpose(s->purpose);
  if (!p.ok()) return I.Fail(actor, act, s->subject, s->purpose, p.status(), detail);
  std::string chosen = method;
  if (chosen.empty() && !p->alternatives.empty()) chosen = p->alternatives.front();
  if (std::find(p->alternatives.begin(), p->alternatives.end(), chosen) == p->alternatives.end())
    return I.Fail(actor, act, s->subject, s->purpose,
                  Status::InvalidInput("'" + chosen + "' is not an alternative of purpose '" + s->purpose +
                                       "'; choose one of " + Join(p->alternatives)),
                  detail);
  detail["method"] = chosen;
  AlternativeRecord a;
  a.subject = s->subject;  // "" at a 1:N gate: the person is not known, and need not be
  a.purpose = s->purpose;
  a.session = session;
  a.method = chosen;
  a.opened_at = I.Now();
  // Face-free, closed and audited in one transaction: from its commit no frame is accepted.
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(int64_t id, I.store->OpenAlternative(a));
    FG_RETURN_IF_ERROR(I.store->CloseCaptureSession(session, "alternative", id, a.opened_at));
    detail["transaction"] = id;
    return I.Audit(actor, act, s->subject, s->purpose, Status::Ok(), detail);
  });
  if (!st.ok()) return I.Fail(actor, act, s->subject, s->purpose, st, detail);
  return I.store->GetCaptureSession(session);
}

}  // namespace facegate::service
