#include "cli/face_commands.h"

#include "cli/cli_util.h"

#include "service/json_views.h"
#include "service/liveness_check.h"
#include "service/workdays.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

namespace facegate::cli {

using service::FormatTime;
using service::QualityJson;
using service::TimingsJson;

namespace {

// The option values of `enrol`, `verify` and `identify`: CLI11 fills them, the callbacks read them.
struct FaceCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string e_subject, e_purpose, e_photo, e_session;
  bool timings = false;
  std::string e_source;
  std::string i_purpose, i_photo;
};

void FaceCommands::Add(CLI::App& app) {
  // enrol / verify
  auto* enrol = app.add_subcommand("enrol", "enrol the one face in a photo (needs consent; REQ C1)");
  enrol->add_option("subject", e_subject)->required();
  enrol->add_option("purpose", e_purpose)->required();
  enrol->add_option("photo", e_photo, "JPEG, PNG, WebP or BMP")->required();
  enrol->add_option("--session", e_session, "session for while_in_use consents");
  enrol->add_flag("--timings", timings, "include per-stage timings");
  enrol->add_option("--source", e_source,
                    "the photo is imported, not captured: public-photo | profile-picture; needs the "
                    "person's separate import consent naming that source (REQ P1)")
      ->check(CLI::IsMember({"public-photo", "profile-picture"}));
  enrol->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(e_photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    auto r = e_source.empty() ? ctx.svc->Enrol(e_subject, e_purpose, *bytes, e_session, ctx.actor)
                              : ctx.svc->EnrolImported(e_subject, e_purpose, *bytes, e_source, e_session, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), e_purpose); return; }
    json j = {{"ok", true}, {"template_id", r->template_id}, {"consent_id", r->consent_id}, {"model", r->model},
              {"expires_at", FormatTime(r->expires_at)}};
    if (timings) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    j["quality"] = QualityJson(r->quality);
    std::string q = std::string("\nquality: ") + vision::ToString(r->quality.overall);
    for (auto& a : r->quality.advice) q += "\n  " + a;
    rc = Print(ctx, j, "enrolled " + e_subject + " for " + e_purpose + " (template " + std::to_string(r->template_id) +
                           ", sealed; expires " + FormatTime(r->expires_at) + ")" + q);
  });
  auto* verify = app.add_subcommand("verify", "is the face in the photo the enrolled subject? (REQ SC1)");
  verify->add_option("subject", e_subject)->required();
  verify->add_option("purpose", e_purpose)->required();
  verify->add_option("photo", e_photo, "JPEG, PNG, WebP or BMP")->required();
  verify->add_option("--session", e_session, "session for while_in_use consents");
  verify->add_flag("--timings", timings, "include per-stage timings");
  verify->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(e_photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    auto r = ctx.svc->Verify(e_subject, e_purpose, *bytes, e_session, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), e_purpose); return; }
    json j = {{"ok", true}, {"match", r->match}, {"distance", r->distance}, {"threshold", r->threshold},
              {"model", r->model}, {"consent_id", r->consent_id}, {"alternatives", r->alternatives}};
    if (timings) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    j["quality"] = QualityJson(r->quality);
    std::ostringstream h;
    h << (r->match ? "MATCH" : "NO MATCH") << ": distance " << std::fixed << std::setprecision(4) << r->distance
      << (r->match ? " <= " : " > ") << "threshold " << r->threshold << " (" << r->model << ")";
    if (r->liveness)
      h << "\nliveness " << vision::ToString(r->liveness->verdict) << " (score " << r->liveness->score << ")";
    h << "\nprobe quality: " << vision::ToString(r->quality.overall);
    for (auto& a : r->quality.advice) h << "\n  " << a;
    if (!r->alternatives.empty()) {
      h << "\nalternatives on offer:";
      for (auto& a : r->alternatives) h << " " << a;
    }
    Print(ctx, j, h.str());
    rc = r->match ? kExitOk : kExitNoMatch;
  });

  // identify (REQ SC2, D3)
  auto* identify = app.add_subcommand("identify", "who, among the members of PURPOSE's scope, is in the photo? (REQ SC2)");
  identify->add_option("purpose", i_purpose, "an identification purpose (the scope)")->required();
  identify->add_option("photo", i_photo, "JPEG, PNG, WebP or BMP")->required();
  identify->add_flag("--timings", timings, "include per-stage timings");
  identify->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(i_photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    // Loading a large scope from the sealed store takes a while: show progress on a terminal.
    if (!ctx.as_json && ::isatty(2))
      ctx.svc->SetScopeLoadProgress([](const std::string& scope, size_t done, size_t total) {
        if (total < 2000) return;
        std::cerr << "\rloading scope " << scope << ": " << done << "/" << total << (done == total ? "\n" : "")
                  << std::flush;
      });
    auto r = ctx.svc->Identify(i_purpose, *bytes, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), i_purpose); return; }
    json j = {{"ok", true}, {"identified", r->identified},
              {"subject", r->identified ? json(r->subject) : json(nullptr)},
              {"distance", std::isfinite(r->distance) ? json(r->distance) : json(nullptr)},
              {"threshold", r->threshold}, {"scope_size", r->scope_size}, {"scope_templates", r->scope_templates},
              {"stranger_accept_rate", r->stranger_accept_rate}, {"genuine_accept_rate", r->genuine_accept_rate},
              {"max_scope_size", r->max_scope_size}, {"model", r->model}, {"alternatives", r->alternatives},
              {"operator_threshold", r->operator_threshold}};
    if (r->identified) j["consent_id"] = r->consent_id;
    if (!r->warning.empty()) j["warning"] = r->warning;
    if (timings) j["timings"] = TimingsJson(r->timings);
    std::ostringstream h;
    h << std::fixed << std::setprecision(4);
    if (r->identified)
      h << "IDENTIFIED " << r->subject << ": distance " << r->distance << " <= threshold " << r->threshold;
    else
      h << "UNKNOWN: nobody in scope " << i_purpose << " within threshold " << r->threshold
        << " (the probe was discarded)";
    h << "\nscope: " << r->scope_size << " members; expected stranger false-accept rate " << std::setprecision(2)
      << 100 * r->stranger_accept_rate << "%, same-person match rate " << 100 * r->genuine_accept_rate
      << "%; refused past " << r->max_scope_size << " members";
    if (r->operator_threshold) h << "\nthreshold: the operator's (facegate purpose threshold " << i_purpose << ")";
    if (!r->warning.empty()) h << "\nwarning: " << r->warning;
    if (!r->alternatives.empty()) {
      h << "\nalternatives on offer:";
      for (auto& a : r->alternatives) h << " " << a;
    }
    Print(ctx, j, h.str());
    rc = r->identified ? kExitOk : kExitNoMatch;
  });
}

// The option values of `analyze`: CLI11 fills them, the callbacks read them.
struct AnalyzeCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string an_purpose;
  std::vector<std::string> an_paths;
  int an_k = 5;
  int an_camera = -1;
  std::string an_window = "60s", an_duration;
  double an_fps = -1;
  bool an_drowsy = false;
  std::string an_subject;
  std::string st_purpose, st_from, st_to;
};

void AnalyzeCommands::Add(CLI::App& app) {
  // statistics: the released calendar windows of an analysis purpose (REQ AN2)
  auto* stats = app.add_subcommand(
      "statistics",
      "the counts of an analysis purpose per calendar window: each window's groups of at least k faces, "
      "released once it has ended; the open window shows only its size (REQ AN2)");
  stats->add_option("purpose", st_purpose, "a purpose declared with --scenario analysis")->required();
  stats->add_option("--from", st_from, "first day, YYYY-MM-DD (China Standard Time; default 7 days ago)");
  stats->add_option("--to", st_to, "last day, YYYY-MM-DD, inclusive (default today)");
  stats->footer("Windows last $FACEGATE_ANALYSIS_WINDOW seconds (default 3600), aligned on China Standard\n"
                "Time. A window is released at the first call after it ends (this command, an analysis,\n"
                "or the retention sweep); its raw tallies are deleted then (docs/analysis-video.md).");
  stats->callback([&] {
    if (!open()) return;
    const UnixTime now = static_cast<UnixTime>(std::time(nullptr));
    const int64_t today = service::ChinaDay(now);
    int64_t from_day = today - 7, to_day = today;
    if (!st_from.empty() && !service::ParseCivilDate(st_from, &from_day)) {
      rc = Report(ctx, Status::InvalidInput("--from '" + st_from + "' must be a date YYYY-MM-DD"));
      return;
    }
    if (!st_to.empty() && !service::ParseCivilDate(st_to, &to_day)) {
      rc = Report(ctx, Status::InvalidInput("--to '" + st_to + "' must be a date YYYY-MM-DD"));
      return;
    }
    auto r = ctx.svc->AnalysisStatistics(st_purpose, service::ChinaDayStart(from_day),
                                         service::ChinaDayStart(to_day + 1), ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), st_purpose); return; }
    json arr = json::array();
    std::string human;
    for (const AnalysisWindowRecord& w : *r) {
      arr.push_back(service::AnalysisWindowJson(w));
      human += service::AnalysisWindowText(w) + "\n";
    }
    rc = Print(ctx, {{"purpose", st_purpose}, {"windows", arr}},
               human.empty() ? "no photo was analysed for " + st_purpose + " in the period"
                             : human.substr(0, human.size() - 1));
  });

  // analyze (photos, a video file or a camera; counts or drowsiness)
  auto* analyze = app.add_subcommand(
      "analyze",
      "counts by age band, gender and expression of photos, a video or a camera; no identity "
      "(REQ SC3, AN1, AN2); --drowsiness: the driver-drowsiness monitor over a video (REQ AN3)");
  analyze->add_option("purpose", an_purpose, "a purpose declared with --scenario analysis")->required();
  analyze->add_option("inputs", an_paths,
                      "photos or folders of photos (JPEG/PNG), or one video file (.mp4 .avi .mkv .mov "
                      ".webm .m4v; read through OpenCV/FFmpeg, never written)");
  analyze->add_option("--subject", an_subject,
                      "the consenting person analysed (e.g. the driver), when the purpose rests on consent "
                      "(REQ AN4)");
  analyze->add_option("--k", an_k, "groups of fewer than k faces (video: k people) are suppressed (REQ AN2)");
  analyze->add_option("--camera", an_camera, "analyse camera N (/dev/videoN) instead of files; Ctrl-C stops");
  analyze->add_option("--window", an_window,
                      "video: counts per window of this much video time (default 60s; s, m or h); "
                      "--drowsiness: the PERCLOS window");
  analyze->add_option("--fps", an_fps,
                      "video: frames analysed per second of video (default 2 for counts, every frame "
                      "for --drowsiness; 0: every frame)");
  analyze->add_option("--duration", an_duration, "video: stop after this much video time (e.g. 90s, 10m)");
  analyze->add_flag("--drowsiness", an_drowsy,
                    "video: blinks, PERCLOS, yawns and a drowsiness level with its reason; prints an "
                    "ALERT line each time the level rises (docs/drowsiness.md)");
  analyze->callback([&] {
    auto lower_ext = [](const std::string& p) {
      std::string ext = std::filesystem::path(p).extension().string();
      for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return ext;
    };
    auto is_video = [&](const std::string& p) {
      const std::string e = lower_ext(p);
      return e == ".mp4" || e == ".avi" || e == ".mkv" || e == ".mov" || e == ".webm" || e == ".m4v";
    };
    const bool video_mode = an_camera >= 0 || (an_paths.size() == 1 && is_video(an_paths[0]));
    if (!video_mode) {
      if (an_paths.empty()) {
        rc = Report(ctx, Status::InvalidInput("give photos, a folder, a video file or --camera N"));
        return;
      }
      for (const std::string& p : an_paths)
        if (is_video(p)) {
          rc = Report(ctx, Status::InvalidInput("analyse one video file at a time, without photos: " + p));
          return;
        }
      if (an_drowsy) {
        rc = Report(ctx, Status::InvalidInput("--drowsiness needs a video file or --camera N, not photos"));
        return;
      }
      if (an_window != "60s" || an_fps >= 0 || !an_duration.empty()) {
        rc = Report(ctx, Status::InvalidInput("--window, --fps and --duration apply to a video file or a camera, "
                                              "not to photos; drop them or give one video"));
        return;
      }
    }
    if (an_camera >= 0 && !an_paths.empty()) {
      rc = Report(ctx, Status::InvalidInput("give either --camera N or a video file, not both"));
      return;
    }
    if (!open()) return;
    if (video_mode) {
      service::VideoInput in;
      in.camera = an_camera;
      if (an_camera < 0) in.file = an_paths[0];
      auto window = ParseDuration(an_window);
      if (!window || std::isdigit(static_cast<unsigned char>(an_window.back()))) {
        rc = Report(ctx, Status::InvalidInput("--window '" + an_window + "' is not a duration: use e.g. 60s, 5m or 1h"));
        return;
      }
      if (!an_duration.empty()) {
        auto d = ParseDuration(an_duration);
        if (!d || std::isdigit(static_cast<unsigned char>(an_duration.back()))) {
          rc = Report(ctx, Status::InvalidInput("--duration '" + an_duration + "' is not a duration: use e.g. 90s or 10m"));
          return;
        }
        in.max_ms = *d * 1000;
      }
      // Ctrl-C ends a camera run cleanly: the last window is still counted and audited.
      static std::atomic<bool> stop_requested{false};
      std::function<bool()> stop;
      if (an_camera >= 0) {
        std::signal(SIGINT, [](int) { stop_requested = true; });
        stop = [] { return stop_requested.load(); };
      }
      auto secs = [](int64_t ms) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(1) << ms / 1000.0 << " s";
        return o.str();
      };
      if (an_drowsy) {
        service::DrowsinessOptions o;
        o.window_ms = *window * 1000;
        o.min_observed_ms = std::min<int64_t>(o.min_observed_ms, o.window_ms);
        o.sample_fps = an_fps < 0 ? 0 : an_fps;
        o.subject = an_subject;
        auto on_alert = [&](const service::DrowsinessAlert& a) {
          if (!ctx.as_json)
            std::cout << "ALERT at " << secs(a.t_ms) << ": drowsiness " << a.level << " - " << a.reason
                      << std::endl;
        };
        auto r = ctx.svc->Drowsiness(an_purpose, in, o, ctx.actor, on_alert, stop);
        if (!r.ok()) { rc = Report(ctx, r.status(), an_purpose); return; }
        json alerts = json::array();
        for (const auto& a : r->alerts) alerts.push_back({{"t_ms", a.t_ms}, {"level", a.level}, {"reason", a.reason}});
        json j = {{"ok", true}, {"frames", r->frames}, {"frames_without_face", r->frames_without_face},
                  {"duration_ms", r->duration_ms}, {"blinks", r->blinks}, {"long_closures", r->long_closures},
                  {"yawns", r->yawns}, {"perclos", r->perclos ? json(*r->perclos) : json(nullptr)},
                  {"level", r->level}, {"reason", r->reason}, {"max_level", r->max_level}, {"alerts", alerts}};
        std::ostringstream h;
        h << r->frames << " frame(s) over " << secs(r->duration_ms) << " (" << r->frames_without_face
          << " without a face); blinks " << r->blinks << ", long closures " << r->long_closures << ", yawns "
          << r->yawns << ", PERCLOS ";
        if (r->perclos)
          h << std::fixed << std::setprecision(1) << 100 * *r->perclos << "%";
        else
          h << "n/a (too little of the eyes seen)";
        h << "\nlevel: " << r->level << " (" << r->reason << "); highest: " << r->max_level << ", "
          << r->alerts.size() << " alert(s)";
        rc = Print(ctx, j, h.str());
        return;
      }
      service::VideoAnalyzeOptions o;
      o.k = an_k;
      o.window_ms = *window * 1000;
      o.sample_fps = an_fps < 0 ? 2 : an_fps;
      o.subject = an_subject;
      auto window_text = [&](const service::VideoWindow& w) {
        std::ostringstream h;
        h << "[" << secs(w.start_ms) << " - " << secs(w.end_ms) << "] " << w.frames << " frame(s), "
          << (w.people >= 0 ? "up to " + std::to_string(w.people) : std::string("fewer than k"))
          << " face(s) at once";
        for (const auto& c : w.counts)
          h << "\n  " << c.group << "\t" << c.people << " at once, " << std::fixed << std::setprecision(2)
            << c.mean << " per frame";
        for (const auto& name : w.suppressed) h << "\n  " << name << "\t<" << an_k;
        return h.str();
      };
      auto on_window = [&](const service::VideoWindow& w) {
        if (!ctx.as_json) std::cout << window_text(w) << std::endl;
      };
      auto r = ctx.svc->AnalyzeVideo(an_purpose, in, o, ctx.actor, on_window, stop);
      if (!r.ok()) { rc = Report(ctx, r.status(), an_purpose); return; }
      json windows = json::array();
      for (const auto& w : r->windows) {
        json counts = json::object();
        for (const auto& c : w.counts) counts[c.group] = {{"people", c.people}, {"mean", c.mean}};
        windows.push_back({{"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"frames", w.frames},
                           {"frames_with_faces", w.frames_with_faces},
                           {"people", w.people >= 0 ? json(w.people) : json(nullptr)}, {"counts", counts},
                           {"suppressed", w.suppressed}});
      }
      json j = {{"ok", true}, {"k", r->k}, {"window_ms", r->window_ms}, {"sample_fps", r->sample_fps},
                {"stream_fps", r->stream_fps}, {"frames_read", r->frames_read},
                {"frames_sampled", r->frames_sampled}, {"duration_ms", r->duration_ms}, {"windows", windows}};
      std::ostringstream h;
      h << r->frames_sampled << " frame(s) analysed of " << r->frames_read << " over " << secs(r->duration_ms)
        << " (" << (r->sample_fps > 0 ? std::to_string(r->sample_fps).substr(0, 4) + " per second" : std::string("every frame"))
        << "), " << r->windows.size() << " window(s); groups under k=" << r->k
        << " people suppressed (REQ AN2); \"at once\": most faces in one frame, a lower bound on the people";
      rc = Print(ctx, j, h.str());
      return;
    }
    std::vector<std::string> files;
    for (const std::string& p : an_paths) {
      std::error_code ec;
      if (std::filesystem::is_directory(p, ec)) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec)) {
          std::string ext = e.path().extension().string();
          for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (e.is_regular_file() &&
              (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".bmp"))
            files.push_back(e.path().string());
        }
      } else {
        files.push_back(p);
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> images;
    for (const std::string& f : files) {
      auto b = ReadFile(f);
      if (!b.ok()) { rc = Report(ctx, b.status()); return; }
      images.push_back(std::move(b).value());
    }
    auto r = ctx.svc->Analyze(an_purpose, images, an_k, ctx.actor, an_subject);
    if (!r.ok()) { rc = Report(ctx, r.status(), an_purpose); return; }
    AnalysisWindowRecord w;
    w.start = r->window_start;
    w.end = r->window_end;
    std::string when = service::AnalysisWindowText(w);
    when = when.substr(0, when.find("  "));
    std::ostringstream h;
    h << r->images << " photo(s), " << (r->faces > 0 ? std::to_string(r->faces) : std::string("fewer than k="))
      << (r->faces > 0 ? "" : std::to_string(r->k)) << " face(s) taken into the window " << when << " ("
      << r->repeated_faces << " repeated picture(s) not counted again). Its counts, groups under k="
      << r->k << " withheld, are released once it ends (REQ AN2): facegate statistics " << an_purpose;
    json j = service::AnalyzeReportJson(*r);
    j["ok"] = true;
    j["purpose"] = an_purpose;
    rc = Print(ctx, j, h.str());
  });
}

}  // namespace

void AddFaceCommands(CLI::App& app, Cli& cli) { AddFamily<FaceCommands>(app, cli); }
void AddAnalyzeCommands(CLI::App& app, Cli& cli) { AddFamily<AnalyzeCommands>(app, cli); }

}  // namespace facegate::cli
