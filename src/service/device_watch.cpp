// `facegate device watch`: a video file or camera through a device's rules (REQ D1, D2, D3).
// Each sampled frame is searched for faces inside the collection area only (those outside are
// dropped before landmarks); a tracker follows the boxes, so each pass of a face through the
// area is identified once, in its own capture session, and the frame is wiped after use.
#include <facegate/service.h>

#include <algorithm>

#include "service/service_impl.h"
#include "vision/tracker.h"

namespace facegate::service {

Result<WatchReport> Service::WatchDevice(const std::string& device, const VideoInput& input,
                                         const WatchOptions& options, const std::string& actor,
                                         std::function<void(const WatchEvent&)> on_event,
                                         std::function<bool()> stop) {
  auto& I = *impl_;
  const char* act = "device.watch";
  json detail = {{"device", device}};
  auto d = I.store->GetDevice(device);
  if (!d.ok()) return I.Fail(actor, act, "", options.purpose, d.status(), detail);
  auto fail = [&](const std::string& purpose, Status st) { return I.Fail(actor, act, "", purpose, st, detail); };
  if (d->status != DeviceStatus::kLive)
    return fail(options.purpose, Status::Conflict("device '" + device + "' is " + ToString(d->status) +
                                                  "; it captures only when live (facegate device live " + device +
                                                  ")"));
  const bool presence = d->mode == DeviceMode::kTriggered && d->presence_trigger;
  if (d->mode != DeviceMode::kAutomatic && !presence)
    return fail(options.purpose,
                Status::Refused("D1", "device '" + device + "' is triggered: it captures only when the person "
                                      "acts, so it cannot watch a stream; declare it to start on presence in its "
                                      "marked area (--presence) or open a capture per tap"));
  // The purpose: the one named, or the device's only identification purpose.
  std::string purpose = options.purpose;
  if (purpose.empty()) {
    std::vector<std::string> ident;
    for (const std::string& p : d->purposes) {
      auto rec = I.store->GetPurpose(p);
      if (rec.ok() && rec->scenario == Scenario::kIdentification) ident.push_back(p);
    }
    if (ident.size() != 1)
      return fail("", Status::InvalidInput("device '" + device + "' has " + std::to_string(ident.size()) +
                                           " identification purposes; name one with --purpose"));
    purpose = ident.front();
  }
  if (std::find(d->purposes.begin(), d->purposes.end(), purpose) == d->purposes.end())
    return fail(purpose, Status::InvalidInput("device '" + device + "' is not declared for purpose '" + purpose + "'"));
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) return fail(purpose, p.status());
  if (p->scenario != Scenario::kIdentification)
    return fail(purpose, Status::InvalidInput("a stream is watched for identification within a scope; purpose '" +
                                              purpose + "' verifies one named person, who opens a capture by "
                                              "tapping (POST /v1/devices/{id}/sessions)"));
  if (!(options.sample_fps >= 0 && options.sample_fps <= 1000))
    return fail(purpose, Status::InvalidInput("the sampling rate must lie in 0..1000 frames per second"));
  if (Status st = CheckVideoInput(input); !st.ok()) return fail(purpose, st);
  auto area = vision::CollectionArea::FromJson(d->area);
  if (!area.ok()) return fail(purpose, area.status());
  // Detection inside the area is the device's own face work: it needs the scope's grant (C1).
  auto grant = I.gate->AuthorizeScopeSearch(purpose);
  if (!grant.ok()) return fail(purpose, grant.status());
  auto reader = OpenVideo(input, options.sample_fps);
  if (!reader.ok()) return fail(purpose, reader.status());
  auto eng = I.Engine();
  if (!eng.ok()) return fail(purpose, eng.status());

  WatchReport rep;
  rep.device = device;
  rep.purpose = purpose;
  rep.source = (*reader)->description();
  vision::FaceTracker tracker(vision::FaceTracker::Options{0.3f, std::max<int64_t>(options.max_gap_ms, 1)});
  const std::string opened_by = presence ? "presence" : "automatic";
  cv::Mat rgb;
  Status failure = Status::Ok();
  for (;;) {
    if (stop && stop()) break;
    int64_t t = 0;
    auto more = (*reader)->Next(&rgb, &t);
    if (!more.ok()) {
      failure = more.status();
      break;
    }
    if (!*more || (input.max_ms > 0 && t >= input.max_ms)) break;
    ++rep.frames;
    int dropped = 0;
    auto dets = (*eng)->DetectInArea(*grant, rgb, *area, nullptr, &dropped);
    if (!dets.ok()) {
      rgb.setTo(cv::Scalar::all(0));
      failure = dets.status();
      break;
    }
    rep.faces_outside_area += dropped;
    rep.faces_in_area += static_cast<int64_t>(dets->size());
    const auto tracks = tracker.Update(*dets, t);
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (!tracks[i].is_new) continue;  // this pass was processed on its first frame
      ++rep.passes;
      WatchEvent ev;
      ev.t_ms = t;
      ev.track = tracks[i].id;
      auto s = OpenCaptureSession(device, purpose, "", opened_by, actor);
      if (!s.ok()) {
        failure = s.status();
        break;
      }
      ev.session = s->id;
      FrameScope scope;
      scope.device = device;
      scope.capture_session = s->id;
      scope.area = &*area;
      scope.detection = &(*dets)[i];
      scope.image = &rgb;
      scope.dropped = dropped;
      auto r = IdentifyIn(purpose, "", s->id, actor, &scope);
      if (r.ok()) {
        ev.outcome = r->identified ? "identified" : "unknown";
        ev.subject = r->subject;
        ++(r->identified ? rep.identified : rep.unknown);
        (void)I.store->CloseCaptureSession(s->id, "result", 0, I.Now());
      } else {
        ev.outcome = r.status().kind() == ErrorKind::kRefused ? "refused:" + r.status().requirement() : "error";
        ++rep.refused;
        (void)I.store->CloseCaptureSession(s->id, "cancelled", 0, I.Now());
      }
      if (on_event) on_event(ev);
      rep.events.push_back(std::move(ev));
    }
    rgb.setTo(cv::Scalar::all(0));  // the frame is dropped here (REQ S2)
    if (!failure.ok()) break;
  }
  detail["source"] = input.camera >= 0 ? "camera" : "file";
  detail["frames"] = rep.frames;
  detail["passes"] = rep.passes;
  detail["identified"] = rep.identified;
  detail["unknown"] = rep.unknown;
  detail["faces_outside_area"] = rep.faces_outside_area;
  detail["grant"] = grant->id();
  if (!failure.ok()) return fail(purpose, failure);
  FG_RETURN_IF_ERROR(I.Audit(actor, act, "", purpose, Status::Ok(), detail));
  return rep;
}

}  // namespace facegate::service
