// Analysis of video (issue 3): counts per time window and driver drowsiness, from a video file
// or a camera, under an AnalysisGrant. Frames are analysed in memory and dropped; nothing but
// aggregates reaches the store (REQ SC3, AN1, AN2, AN3, AN4).
#include <facegate/service.h>

#include <algorithm>
#include <map>

#include "service/service_impl.h"
#include "vision/attributes_eval.h"
#include "vision/drowsiness.h"
#include "vision/video.h"

namespace facegate::service {

namespace {

// The groups one face counts in.
std::vector<std::string> GroupsOf(const vision::FaceAttributes& f) {
  const int age = static_cast<int>(std::max(0.f, f.age));
  size_t best = 0;
  for (size_t e = 1; e < f.expression.size(); ++e)
    if (f.expression[e] > f.expression[best]) best = e;
  return {std::string("age:") + vision::AgeBandName(vision::AgeBandOf(age)),
          f.p_female >= 0.5f ? "gender:female" : "gender:male",
          std::string("expression:") + vision::kExpressionLabels[best]};
}

// Reads frames until the end of the video, the duration limit or `stop`. Each frame goes
// to `analyse` and is overwritten right after (REQ AN1, AN3: no frame outlives its
// analysis); `use` gets the analysis and the frame's time. The first error ends it.
template <class Analyse, class Use>
Status ForEachFrame(vision::VideoReader& video, const VideoInput& input,
                    const std::function<bool()>& stop, Analyse analyse, Use use) {
  cv::Mat rgb;
  for (;;) {
    if (stop && stop()) return Status::Ok();
    int64_t t = 0;
    auto more = video.Next(&rgb, &t);
    if (!more.ok()) return more.status();
    if (!*more || (input.max_ms > 0 && t >= input.max_ms)) return Status::Ok();
    auto result = analyse(rgb);
    rgb.setTo(cv::Scalar::all(0));  // the frame is dropped here
    if (!result.ok()) return result.status();
    FG_RETURN_IF_ERROR(use(*result, t));
  }
}

// What one window accumulates: per group the most faces in one frame and the sum.
struct WindowAcc {
  int64_t index = -1, frames = 0, frames_with_faces = 0, peak = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> groups;  // name -> (peak, sum)
};

int Rank(vision::DrowsinessLevel l) {
  return l == vision::DrowsinessLevel::kHigh ? 2 : l == vision::DrowsinessLevel::kLow ? 1 : 0;
}

}  // namespace

Status CheckVideoInput(const VideoInput& in) {
  if (in.camera < 0 && in.file.empty())
    return Status::InvalidInput("give a video file or a camera index (--camera 0)");
  if (in.camera >= 0 && !in.file.empty())
    return Status::InvalidInput("give either a video file or a camera index, not both");
  if (in.max_ms < 0) return Status::InvalidInput("the duration limit must not be negative");
  return Status::Ok();
}

Result<std::unique_ptr<vision::VideoReader>> OpenVideo(const VideoInput& in, double sample_fps) {
  if (in.camera >= 0) return vision::VideoReader::OpenCamera(in.camera, sample_fps);
  return vision::VideoReader::OpenFile(in.file, sample_fps);
}

// What both video analyses need before the first frame, each failure audited under
// `act`: a sampling rate and an input that make sense, the analysis grant (REQ SC3), the
// video (a wrong path or an absent camera is answered before the models load), the engine.
struct OpenedVideo {
  std::optional<AnalysisGrant> grant;       // counts and attributes
  std::optional<InferenceGrant> inference;  // or a sensitive inference (REQ AN3)
  std::unique_ptr<vision::VideoReader> reader;
  vision::Engine* engine = nullptr;
  const std::string& grant_id() const { return grant ? grant->id() : inference->id(); }
};

Result<OpenedVideo> Service::Impl::OpenForVideoAnalysis(const std::string& actor, const char* act,
                                                        const std::string& purpose,
                                                        const VideoInput& input, double sample_fps,
                                                        const std::string& subject,
                                                        std::optional<SensitiveInference> inference) {
  Service::Impl& I = *this;
  if (!(sample_fps >= 0 && sample_fps <= 1000))
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("the sampling rate must lie in 0..1000 frames per second (0: every frame)"));
  if (Status st = CheckVideoInput(input); !st.ok()) return I.Fail(actor, act, "", purpose, st);
  OpenedVideo opened;
  if (inference) {
    auto grant = I.gate->AuthorizeInference(purpose, *inference, subject, "");
    if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status());
    opened.inference.emplace(std::move(*grant));
  } else {
    auto grant = I.gate->AuthorizeAnalysis(purpose, subject, "");
    if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status());
    opened.grant.emplace(std::move(*grant));
  }
  auto reader = OpenVideo(input, sample_fps);
  if (!reader.ok()) return I.Fail(actor, act, "", purpose, reader.status(), {{"grant", opened.grant_id()}});
  auto eng = I.Engine();
  if (!eng.ok()) return I.Fail(actor, act, "", purpose, eng.status(), {{"grant", opened.grant_id()}});
  opened.reader = std::move(*reader);
  opened.engine = *eng;
  return opened;
}

Result<VideoAnalyzeReport> Service::AnalyzeVideo(const std::string& purpose, const VideoInput& input,
                                                 const VideoAnalyzeOptions& options,
                                                 const std::string& actor,
                                                 std::function<void(const VideoWindow&)> on_window,
                                                 std::function<bool()> stop) {
  auto& I = *impl_;
  const char* act = "analyze.video";
  if (options.k < 2)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("k must be at least 2: smaller groups could single a person out (REQ AN2)"));
  if (options.window_ms < 1000)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("the time window must be at least 1 s (e.g. --window 60s)"));
  FG_ASSIGN_OR_RETURN(OpenedVideo opened,
                      I.OpenForVideoAnalysis(actor, act, purpose, input, options.sample_fps, options.subject));
  const AnalysisGrant* grant = &*opened.grant;
  vision::Engine* eng = opened.engine;
  vision::VideoReader& video = *opened.reader;

  VideoAnalyzeReport rep;
  rep.source = input.camera >= 0 ? video.description() : "file";
  rep.k = options.k;
  rep.window_ms = options.window_ms;
  rep.sample_fps = options.sample_fps;
  rep.stream_fps = video.stream_fps();
  const std::string source_kind = input.camera >= 0 ? "camera" : "file";
  WindowAcc acc;

  // Closes the window: REQ AN2 suppression, audit of the aggregate, the caller's callback.
  auto finish = [&](int64_t end_ms) -> Status {
    if (acc.index < 0 || acc.frames == 0) return Status::Ok();
    VideoWindow w;
    w.start_ms = acc.index * options.window_ms;
    w.end_ms = std::min(end_ms, w.start_ms + options.window_ms);
    w.frames = acc.frames;
    w.frames_with_faces = acc.frames_with_faces;
    w.people = acc.peak >= options.k ? acc.peak : -1;
    json shown = json::object();
    for (const auto& [name, ps] : acc.groups) {
      if (ps.first >= options.k) {
        const double mean = static_cast<double>(ps.second) / static_cast<double>(acc.frames);
        w.counts.push_back({name, ps.first, mean});
        shown[name] = {{"people", ps.first}, {"mean", mean}};
      } else {
        w.suppressed.push_back(name);
      }
    }
    FG_RETURN_IF_ERROR(I.Audit(actor, "analyze.video.window", "", purpose, Status::Ok(),
                               {{"grant", grant->id()}, {"source", source_kind},
                                {"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"frames", w.frames},
                                {"people", w.people < 0 ? json(nullptr) : json(w.people)},
                                {"k", options.k}, {"counts", shown}, {"suppressed", w.suppressed}}));
    if (on_window) on_window(w);
    rep.windows.push_back(std::move(w));
    acc = WindowAcc{};
    return Status::Ok();
  };

  Status failure = ForEachFrame(
      video, input, stop, [&](const cv::Mat& rgb) { return eng->Analyze(*grant, rgb); },
      [&](const std::vector<vision::FaceAttributes>& faces, int64_t t) -> Status {
        const int64_t index = t / options.window_ms;
        if (index != acc.index) {
          FG_RETURN_IF_ERROR(finish(index * options.window_ms));
          acc.index = index;
        }
        ++rep.frames_sampled;
        ++acc.frames;
        std::map<std::string, int64_t> in_frame;
        for (const vision::FaceAttributes& f : faces)
          for (const std::string& g : GroupsOf(f)) ++in_frame[g];
        if (!faces.empty()) ++acc.frames_with_faces;
        acc.peak = std::max<int64_t>(acc.peak, static_cast<int64_t>(faces.size()));
        for (const auto& [g, n] : in_frame) {
          auto& ps = acc.groups[g];
          ps.first = std::max(ps.first, n);
          ps.second += n;
        }
        return Status::Ok();
      });
  rep.frames_read = video.frames_read();
  rep.duration_ms = input.max_ms > 0 ? std::min(input.max_ms, video.position_ms()) : video.position_ms();
  if (failure.ok()) failure = finish(rep.duration_ms);
  if (!failure.ok())
    return I.Fail(actor, act, "", purpose, failure,
                  {{"grant", grant->id()}, {"frames", rep.frames_sampled}, {"windows", rep.windows.size()}});
  FG_RETURN_IF_ERROR(I.Audit(actor, act, "", purpose, Status::Ok(),
                             {{"grant", grant->id()}, {"source", source_kind},
                              {"frames", rep.frames_sampled}, {"duration_ms", rep.duration_ms},
                              {"windows", rep.windows.size()}, {"k", options.k},
                              {"sample_fps", options.sample_fps}}));
  return rep;
}

Result<DrowsinessVideoReport> Service::Drowsiness(const std::string& purpose, const VideoInput& input,
                                                  const DrowsinessOptions& options,
                                                  const std::string& actor,
                                                  std::function<void(const DrowsinessAlert&)> on_alert,
                                                  std::function<bool()> stop) {
  auto& I = *impl_;
  const char* act = "analyze.drowsiness";
  vision::DrowsinessConfig cfg;
  cfg.window_ms = options.window_ms;
  cfg.min_observed_ms = options.min_observed_ms;
  if (cfg.window_ms < 1000 || cfg.min_observed_ms < 0 || cfg.min_observed_ms > cfg.window_ms)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("the drowsiness window must be at least 1 s and no shorter "
                                       "than the observation it needs (e.g. --window 60s)"));
  FG_ASSIGN_OR_RETURN(OpenedVideo opened,
                      I.OpenForVideoAnalysis(actor, act, purpose, input, options.sample_fps, options.subject,
                                             SensitiveInference::kDrowsiness));
  const InferenceGrant* grant = &*opened.inference;
  vision::Engine* eng = opened.engine;
  vision::VideoReader& video = *opened.reader;

  vision::DrowsinessMonitor monitor(cfg);
  DrowsinessVideoReport rep;
  rep.source = input.camera >= 0 ? video.description() : "file";
  int max_rank = 0, rank = 0;
  Status failure = ForEachFrame(
      // A camera is mounted upright (and a file is played as recorded): no frame is turned, so
      // every frame costs one pass (docs/drowsiness.md).
      video, input, stop,
      [&](const cv::Mat& rgb) { return eng->EyeStates(*grant, rgb, vision::Engine::Turns::kUpright); },
      [&](const std::vector<vision::EyeState>& faces, int64_t t) -> Status {
        ++rep.frames;
        std::optional<vision::EyeState> driver;  // the largest face (EyeStates: largest first)
        if (faces.empty()) {
          ++rep.frames_without_face;
        } else {
          driver = faces.front();
        }
        FG_RETURN_IF_ERROR(monitor.Add(t, driver));
        const vision::DrowsinessReport& m = monitor.report();
        const int now = Rank(m.level);
        if (now > rank) {
          DrowsinessAlert a{t, vision::ToString(m.level), m.reason};
          if (on_alert) on_alert(a);
          rep.alerts.push_back(std::move(a));
        }
        rank = now;
        max_rank = std::max(max_rank, now);
        return Status::Ok();
      });
  const vision::DrowsinessReport& m = monitor.report();
  rep.duration_ms = input.max_ms > 0 ? std::min(input.max_ms, video.position_ms()) : video.position_ms();
  rep.blinks = m.blinks;
  rep.long_closures = m.long_closures;
  rep.yawns = m.yawns;
  rep.perclos = m.perclos;
  rep.level = vision::ToString(m.level);
  rep.reason = rep.frames > 0 ? m.reason : "no frame was read";
  static const char* kLevels[] = {"none", "low", "high"};
  rep.max_level = kLevels[max_rank];
  json detail = {{"grant", grant->id()},
                 {"source", input.camera >= 0 ? "camera" : "file"},
                 {"frames", rep.frames},
                 {"duration_ms", rep.duration_ms},
                 {"alerts", rep.alerts.size()},
                 {"max_level", rep.max_level}};
  if (!failure.ok()) return I.Fail(actor, act, "", purpose, failure, detail);
  FG_RETURN_IF_ERROR(I.Audit(actor, act, "", purpose, Status::Ok(), detail));
  return rep;
}

}  // namespace facegate::service
