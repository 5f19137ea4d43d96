#include "cli/device_commands.h"

#include "cli/cli_util.h"
#include "service/json_views.h"

#include <csignal>
#include <iostream>
#include <string>

namespace facegate::cli {

namespace {

std::string DeviceLine(const DeviceRecord& d) {
  std::string where = d.site.empty() ? d.location_type
                                     : d.site + "/" + (d.zone.empty() ? "passage " + d.passage : d.zone) + " (" +
                                           d.location_type + ")";
  std::string purposes;
  for (const std::string& p : d.purposes) purposes += (purposes.empty() ? "" : ",") + p;
  return d.id + "  " + ToString(d.status) + "  " + ToString(d.mode) + "  " + where + "  purposes " + purposes +
         "  timeout " + std::to_string(d.capture_timeout_s) + " s" + (d.public_security ? "  public-security" : "");
}

std::string SessionLine(const CaptureSessionRecord& s) {
  return "capture " + s.id + " at " + s.device + " for " + s.purpose +
         (s.subject.empty() ? "" : " (" + s.subject + ")") + (s.action == "enrol" ? ", enrolling" : "") + ": " +
         s.outcome +
         (s.face_free ? ", face-free" : "") + ", " + std::to_string(s.frames) + " frame(s), until " +
         service::FormatTime(s.expires_at);
}

volatile std::sig_atomic_t g_stop = 0;

struct DeviceCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  DeviceRecord d;
  std::string mode = "triggered", site_filter, reason, purpose, subject, by = "tap", session, photo, method;
  std::string action = "match";  // device capture --action enrol: a kiosk enrolling the person
  std::string source;
  DeviceSignage signage;
  double fps = 10;
  double max_seconds = 0;
};

void DeviceCommands::Add(CLI::App& app) {
  auto* device = app.add_subcommand(
      "device", "recognition devices: registration, going live, capture sessions, watching a stream (REQ D1-D7)");
  device->require_subcommand(1);

  auto* reg = device->add_subcommand(
      "register",
      "register a device as a draft. Refused: a hotel room, bathhouse, changing room or toilet (D4), a timeout "
      "over 60 s (D1), a public-security device with more than one purpose (D5)");
  reg->add_option("id", d.id, "device id, e.g. gate-1")->required();
  reg->add_option("--purpose", d.purposes, "a purpose it serves (repeat for several)")->required();
  reg->add_option("--mode", mode, "triggered (default: starts only when the person acts, D1) | automatic (needs "
                                  "signage, D5)");
  reg->add_option("--name", d.name, "a name for people");
  reg->add_option("--location", d.location_type, "what it looks at: lobby, office, shop, corridor, ... (D4); taken "
                                                 "from the zone when placed on a registered site");
  reg->add_option("--site", d.site, "registered site it stands on (facegate site register)");
  reg->add_option("--zone", d.zone, "the site's zone it is in");
  reg->add_option("--passage", d.passage, "the site's passage it watches");
  reg->add_option("--area", d.area, "collection area (D2): JSON [[x,y],...] in 0..1 of the frame; default the "
                                    "whole frame");
  reg->add_option("--timeout", d.capture_timeout_s, "seconds a capture lasts at most, 1..60 (D1); default 30");
  reg->add_flag("--public-security", d.public_security, "locked to its one public-security purpose (D5)");
  reg->add_flag("--presence", d.presence_trigger, "a triggered device that starts when a person stands on its "
                                                  "marked spot (D1)");
  reg->callback([&] {
    if (!open()) return;
    auto m = ParseDeviceMode(mode);
    if (!m) { rc = Report(ctx, Status::InvalidInput("--mode is triggered or automatic, not '" + mode + "'")); return; }
    d.mode = *m;
    auto r = ctx.svc->RegisterDevice(d, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"device", service::DeviceJson(*r)}},
               "device registered (draft): " + DeviceLine(*r) +
                   (r->mode == DeviceMode::kAutomatic ? "\nnext: facegate device signage " + r->id +
                                                            " ..., then facegate device live " + r->id
                                                      : "\nnext: facegate device live " + r->id));
  });

  auto* list = device->add_subcommand("list", "registered devices");
  list->add_option("--site", site_filter, "only those on this site");
  list->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListDevices(site_filter);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json items = json::array();
    std::string text;
    for (const DeviceRecord& x : *r) {
      items.push_back(service::DeviceJson(x));
      text += DeviceLine(x) + "\n";
    }
    if (r->empty()) text = "no devices registered (facegate device register)\n";
    rc = Print(ctx, {{"ok", true}, {"items", items}}, text.substr(0, text.size() - 1));
  });

  auto* show = device->add_subcommand("show", "one device with its signage record");
  show->add_option("id", d.id)->required();
  show->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->GetDevice(d.id);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"device", service::DeviceJson(*r)}}, service::DeviceJson(*r).dump(2));
  });

  auto* sign = device->add_subcommand(
      "signage", "record the signage of an automatic device's area as checked on site (D5): alert, written notice "
                 "and where it hangs, consent method, who confirmed");
  sign->add_option("id", d.id)->required();
  sign->add_option("--voice", signage.voice_prompt, "the voice prompt people hear")->required();
  sign->add_option("--warning-line", signage.warning_line, "the warning line or sign at the area's edge")->required();
  sign->add_option("--notice-version", signage.notice_version, "version of the notice posted before the area")
      ->required();
  sign->add_option("--notice-location", signage.notice_location, "where that notice hangs")->required();
  sign->add_option("--consent-method", signage.consent_method, "how people consent there")->required();
  sign->add_option("--confirmed-by", signage.confirmed_by, "who checked all of it on site")->required();
  sign->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ConfirmSignage(d.id, signage, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"device", service::DeviceJson(*r)}},
               "signage of " + r->id + " confirmed by " + signage.confirmed_by + " (notice version " +
                   std::to_string(signage.notice_version) + " at " + signage.notice_location + ")");
  });

  auto* live = device->add_subcommand(
      "live", "put a device live: needs notices (N1), an automatic device its signage (D5), its site's routes (D6)");
  live->add_option("id", d.id)->required();
  live->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->SetDeviceLive(d.id, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"device", service::DeviceJson(*r)}}, "device live: " + DeviceLine(*r));
  });

  auto* suspend = device->add_subcommand("suspend", "stop a device capturing; its open captures end");
  suspend->add_option("id", d.id)->required();
  suspend->add_option("--reason", reason, "why")->required();
  suspend->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->SuspendDevice(d.id, reason, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"device", service::DeviceJson(*r)}}, "device suspended: " + DeviceLine(*r));
  });

  auto* capture = device->add_subcommand(
      "capture", "open a capture session at a live device (D1): the person tapped, stood on the marked spot, or an "
                 "automatic device started");
  capture->add_option("id", d.id, "device id")->required();
  capture->add_option("--purpose", purpose, "one of the device's purposes")->required();
  capture->add_option("--subject", subject, "who tapped (1:1 purposes)");
  capture->add_option("--by", by, "tap (default) | presence | automatic");
  capture->add_option("--action", action,
                      "match (default: verify or identify) | enrol (the subject who tapped, under their consent; "
                      "the purpose must allow device enrolment)");
  capture->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->OpenCaptureSession(d.id, purpose, subject, by, ctx.actor, action);
    if (!r.ok()) { rc = Report(ctx, r.status(), purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"session", service::CaptureSessionJson(*r)}}, SessionLine(*r));
  });

  auto* frame = device->add_subcommand(
      "frame", "send one frame to an open capture: refused undecoded when closed, timed out (D1) or face-free "
               "(D7); only faces in the collection area count (D2)");
  frame->add_option("session", session, "capture session id (cs_...)")->required();
  frame->add_option("photo", photo, "JPEG, PNG, WebP or BMP file")->required();
  frame->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    auto r = ctx.svc->SubmitFrame(session, *bytes, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", true}, {"outcome", r->outcome}, {"faces_outside_area", r->faces_outside_area},
              {"session", service::CaptureSessionJson(r->session)}};
    std::string text = "frame: " + r->outcome;
    if (r->identify && r->identify->identified) {
      j["subject"] = r->identify->subject;
      text += " as " + r->identify->subject;
    }
    if (r->verify) j["match"] = r->verify->match;
    if (r->enrol) {
      j["template_id"] = r->enrol->template_id;
      j["consent_id"] = r->enrol->consent_id;
      text += " (template " + std::to_string(r->enrol->template_id) + ")";
    }
    if (r->retake) {
      j["quality"] = service::QualityJson(*r->retake);
      for (const std::string& a : r->retake->advice) text += "\n  " + a;
    }
    text += " (" + std::to_string(r->faces_outside_area) + " face(s) outside the area dropped)\n" +
            SessionLine(r->session);
    rc = Print(ctx, j, text);
    if (rc == kExitOk && (r->outcome == "no_match" || r->outcome == "unknown")) rc = kExitNoMatch;
  });

  auto* alt = device->add_subcommand(
      "alternative", "the person chose another method at the device: the capture turns face-free (A2, D7)");
  alt->add_option("session", session, "capture session id (cs_...)")->required();
  alt->add_option("--method", method, "one of the purpose's alternatives (default: its first)");
  alt->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ChooseAlternativeAtSession(session, method, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"session", service::CaptureSessionJson(*r)}},
               SessionLine(*r) + "\nface-free transaction " + std::to_string(r->alternative_id) +
                   " opened; complete it with facegate alternative complete");
  });

  auto* watch = device->add_subcommand(
      "watch", "feed a video file or camera:N through a live automatic device (or one starting on presence): faces "
               "outside its area are dropped before landmarks (D2), each pass of a face is identified once (D1), "
               "nothing of an unknown face is kept (D3)");
  watch->add_option("id", d.id, "device id")->required();
  watch->add_option("source", source, "a video file, or camera:N for /dev/videoN")->required();
  watch->add_option("--purpose", purpose, "identification purpose (default: the device's only one)");
  watch->add_option("--fps", fps, "frames looked at per second of video (0: every frame; default 10)");
  watch->add_option("--max-seconds", max_seconds, "stop after this much video (default: the whole file; a camera "
                                                  "until Ctrl-C)");
  watch->callback([&] {
    if (!open()) return;
    service::VideoInput in;
    if (source.rfind("camera:", 0) == 0) {
      try {
        in.camera = std::stoi(source.substr(7));
      } catch (...) {
        rc = Report(ctx, Status::InvalidInput("camera:N needs a number, e.g. camera:0"));
        return;
      }
    } else {
      in.file = source;
    }
    in.max_ms = static_cast<int64_t>(max_seconds * 1000);
    service::WatchOptions opt;
    opt.purpose = purpose;
    opt.sample_fps = fps;
    g_stop = 0;
    std::signal(SIGINT, [](int) { g_stop = 1; });
    auto r = ctx.svc->WatchDevice(
        d.id, in, opt, ctx.actor,
        [&](const service::WatchEvent& e) {
          if (ctx.as_json) return;
          std::cout << e.t_ms / 1000.0 << " s  pass " << e.track << "  " << e.outcome
                    << (e.subject.empty() ? "" : " " + e.subject) << "  (" << e.session << ")\n"
                    << std::flush;
        },
        [] { return g_stop != 0; });
    std::signal(SIGINT, SIG_DFL);
    if (!r.ok()) { rc = Report(ctx, r.status(), purpose); return; }
    rc = Print(ctx, service::WatchReportJson(*r),
               "watched " + r->source + " at " + r->device + " for " + r->purpose + ": " + std::to_string(r->frames) +
                   " frames, " + std::to_string(r->passes) + " pass(es) processed (" + std::to_string(r->identified) +
                   " identified, " + std::to_string(r->unknown) + " unknown, " + std::to_string(r->refused) +
                   " refused), " + std::to_string(r->faces_outside_area) +
                   " face detection(s) outside the area dropped before landmarks");
  });
}

}  // namespace

void AddDeviceCommands(CLI::App& app, Cli& cli) { AddFamily<DeviceCommands>(app, cli); }

}  // namespace facegate::cli
