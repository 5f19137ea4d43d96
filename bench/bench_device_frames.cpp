// Frame throughput of one automatic device at 640x480 (REQ D1, D2): what the engine pays per
// frame when every face of every frame is processed, against the device path that drops faces
// outside the collection area at detection and makes one template per pass of a face.
// Usage: bench_device_frames [--max-frames N] [--warmup N]
// Frames (decoded before timing; decoding is never timed):
//   the clips of facedata/video.tsv, every frame, decoded with OpenCV videoio (vision::VideoReader)
//   and resized to 640x480; and a synthetic 3 s scene at 30 fps built in memory: two facedata/lfw
//   faces (the central 160x160 of each photo, scaled to 120x120) crossing a 640x480 background,
//   one through the middle of the frame (inside the area), one along the bottom (outside it).
// Paths, per frame, timed over all frames of a clip:
//   reference  Engine::Detect (every face, landmarks) + Extract of every face: the engine's own
//              per-frame cost with nothing skipped
//   device     Engine::DetectInArea (area: the middle 60% of the frame, [0.2,0.8] in x and y)
//              + FaceTracker::Update + Landmark and Extract for new tracks only
// The two paths take turns over blocks of 25 frames of a clip (a change of load on a shared
// machine falls on both). Each runs on ONE OpenCV thread (cv::setNumThreads(1)) and then on
// OpenCV's default threads, in the same run. Prints JSON: per thread setting and clip, frames, ms, frames per
// second, frames per second per core (fps / threads), frames per CPU second of the process (the
// per-core figure that holds on a busy machine), ms per frame in detection and in the per-face
// stages (landmarks, align, embed), faces extracted, tracks started, faces dropped outside the
// area; and the ratio device/reference of frames per second.
#include <facegate/vision.h>

#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "policy/gate.h"
#include "vision/tracker.h"
#include "vision/video.h"

namespace {

using namespace facegate;
using Clock = std::chrono::steady_clock;

constexpr int kWidth = 640, kHeight = 480;
constexpr size_t kBlock = 25;  // frames per turn of each path (1 s of the blink clip)

int Fail(const std::string& msg) {
  std::fprintf(stderr, "bench_device_frames: %s\n", msg.c_str());
  return 1;
}

struct Clip {
  std::string name;
  std::vector<cv::Mat> frames;  // 640x480 RGB
  std::vector<int64_t> t_ms;    // video time of each frame
};

// Every frame of a video file, resized to 640x480 (the clips are 596x336 and 640x360, so the
// picture is stretched vertically: the device's camera resolution, not the clip's, is measured).
facegate::Result<Clip> ReadClip(const std::string& rel, int max_frames) {
  const std::string path = std::string(FACEGATE_FACEDATA) + "/" + rel;
  FG_ASSIGN_OR_RETURN(auto reader, vision::VideoReader::OpenFile(path, /*sample_fps=*/0));
  Clip clip;
  clip.name = rel;
  cv::Mat rgb;
  int64_t t = 0;
  while (max_frames <= 0 || static_cast<int>(clip.frames.size()) < max_frames) {
    FG_ASSIGN_OR_RETURN(bool more, reader->Next(&rgb, &t));
    if (!more) break;
    cv::Mat resized;
    cv::resize(rgb, resized, cv::Size(kWidth, kHeight), 0, 0, cv::INTER_LINEAR);
    clip.frames.push_back(resized);
    clip.t_ms.push_back(t);
  }
  if (clip.frames.empty()) return Status::InvalidInput(rel + " has no frames");
  return clip;
}

// The synthetic scene: a textured background and two LFW faces moving across it for 90 frames at
// 30 fps. Face A crosses the middle (centre y 240 = 0.5, x from 60 to 580: into the area at 0.2
// and out at 0.8); face B goes the other way along the bottom (centre y 410 = 0.85, outside).
facegate::Result<Clip> SyntheticScene(int max_frames) {
  const char* kPhotos[] = {"lfw/Alan_Greenspan/Alan_Greenspan_0001.jpg",
                           "lfw/Allyson_Felix/Allyson_Felix_0001.jpg"};
  constexpr int kTile = 120, kFrames = 90;
  cv::Mat tiles[2];
  for (int i = 0; i < 2; ++i) {
    const std::string path = std::string(FACEGATE_FACEDATA) + "/" + kPhotos[i];
    FG_ASSIGN_OR_RETURN(cv::Mat photo, vision::ReadImageFile(path));
    cv::resize(photo(cv::Rect((photo.cols - 160) / 2, (photo.rows - 160) / 2, 160, 160)), tiles[i],
               cv::Size(kTile, kTile), 0, 0, cv::INTER_AREA);
  }
  // A wall and a floor with a few shapes, so the detector sees more than flat grey.
  cv::Mat background(kHeight, kWidth, CV_8UC3);
  for (int y = 0; y < kHeight; ++y) {
    const uchar v = static_cast<uchar>(y < 330 ? 150 + y / 10 : 90 + (y - 330) / 5);
    background.row(y).setTo(cv::Scalar(v, v - 10, v - 25));
  }
  cv::rectangle(background, cv::Rect(40, 40, 120, 200), cv::Scalar(70, 90, 120), cv::FILLED);  // a door
  cv::rectangle(background, cv::Rect(470, 60, 130, 90), cv::Scalar(200, 210, 220), cv::FILLED);  // a sign
  cv::line(background, cv::Point(0, 330), cv::Point(kWidth, 330), cv::Scalar(60, 60, 60), 3);
  cv::Mat noisy, noise(kHeight, kWidth, CV_16SC3);  // sensor noise, sigma 6 grey levels
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::NORMAL, 0, 6);
  background.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(background, CV_8UC3);  // saturating

  Clip clip;
  clip.name = "synthetic-two-faces";
  const int n = max_frames > 0 ? std::min(kFrames, max_frames) : kFrames;
  for (int f = 0; f < n; ++f) {
    cv::Mat frame = background.clone();
    const float s = static_cast<float>(f) / (kFrames - 1);
    const int xa = static_cast<int>(0 + s * (kWidth - kTile));    // centre 60 -> 580
    const int xb = static_cast<int>((kWidth - kTile) * (1 - s));  // 580 -> 60
    tiles[0].copyTo(frame(cv::Rect(xa, 240 - kTile / 2, kTile, kTile)));
    tiles[1].copyTo(frame(cv::Rect(xb, 410 - kTile / 2, kTile, kTile)));
    clip.frames.push_back(frame);
    clip.t_ms.push_back(static_cast<int64_t>(f * 1000 / 30));
  }
  return clip;
}

// CPU time of this process (all its threads), ms: what the frames cost in core time, whatever
// else the machine runs.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct PathRun {
  double ms = 0;          // all frames, wall clock
  double cpu_ms = 0;      // all frames, process CPU time
  double detect_ms = 0;   // of which detection (Detect's or DetectInArea's detect stage)
  double face_ms = 0;     // of which landmarks, align and embed of the faces processed
  int64_t extracted = 0;  // templates made
  int64_t detected = 0;   // faces returned by Detect / DetectInArea
  int64_t tracks = 0;     // device: tracks started
  int64_t dropped = 0;    // device: faces dropped outside the area
};

// The reference path over frames [begin, end) of a clip, added to *r.
Status Reference(vision::Engine& engine, const Grant& grant, const Clip& clip, size_t begin, size_t end,
                 PathRun* r) {
  const double c0 = CpuMs();
  const auto t0 = Clock::now();
  for (size_t i = begin; i < end; ++i) {
    const cv::Mat& frame = clip.frames[i];
    vision::StageTimings st;
    FG_ASSIGN_OR_RETURN(auto faces, engine.Detect(grant, frame, &st));
    r->detect_ms += st.detect_ms;
    r->face_ms += st.landmarks_ms;
    r->detected += static_cast<int64_t>(faces.size());
    for (const vision::Face& face : faces) {
      FG_ASSIGN_OR_RETURN(Template t, engine.Extract(grant, frame, face, &st));
      r->face_ms += st.align_ms + st.embed_ms;
      ++r->extracted;
    }
  }
  r->ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  r->cpu_ms += CpuMs() - c0;
  return Status::Ok();
}

// The device path over frames [begin, end) of a clip, added to *r; `tracker` carries the
// tracks from one call to the next.
Status Device(vision::Engine& engine, const Grant& grant, const Clip& clip, size_t begin, size_t end,
              const vision::CollectionArea& area, vision::FaceTracker* tracker, PathRun* r) {
  const double c0 = CpuMs();
  const auto t0 = Clock::now();
  for (size_t i = begin; i < end; ++i) {
    const cv::Mat& frame = clip.frames[i];
    int dropped = 0;
    vision::StageTimings st;
    FG_ASSIGN_OR_RETURN(auto dets, engine.DetectInArea(grant, frame, area, &st, &dropped));
    r->detect_ms += st.detect_ms;
    r->dropped += dropped;
    r->detected += static_cast<int64_t>(dets.size());
    const auto tracks = tracker->Update(dets, clip.t_ms[i]);
    for (size_t k = 0; k < dets.size(); ++k) {
      if (!tracks[k].is_new) continue;
      FG_ASSIGN_OR_RETURN(vision::Face face, engine.Landmark(grant, frame, dets[k], &st));
      FG_ASSIGN_OR_RETURN(Template t, engine.Extract(grant, frame, face, &st));
      r->face_ms += st.landmarks_ms + st.align_ms + st.embed_ms;
      ++r->extracted;
    }
  }
  r->ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  r->cpu_ms += CpuMs() - c0;
  r->tracks = tracker->tracks_started();
  return Status::Ok();
}

nlohmann::json PathJson(const PathRun& r, size_t frames, int threads) {
  const double fps = r.ms > 0 ? frames * 1000.0 / r.ms : 0;
  return {{"ms", r.ms},
          {"fps", fps},
          {"fps_per_core", fps / threads},
          {"frames_per_cpu_second", r.cpu_ms > 0 ? frames * 1000.0 / r.cpu_ms : 0},
          {"ms_per_frame", r.ms / frames},
          {"detect_ms_per_frame", r.detect_ms / frames},
          {"face_ms_per_frame", r.face_ms / frames},
          {"faces_detected", r.detected},
          {"faces_extracted", r.extracted},
          {"tracks_started", r.tracks},
          {"faces_dropped_outside_area", r.dropped}};
}

}  // namespace

int main(int argc, char** argv) {
  int max_frames = 0, warmup = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--max-frames" || a == "--warmup") && i + 1 < argc) {
      (a == "--max-frames" ? max_frames : warmup) = std::atoi(argv[++i]);
    } else {
      return Fail("unknown argument " + a + "; usage: bench_device_frames [--max-frames N] [--warmup N]");
    }
  }
  if (max_frames < 0 || warmup < 0) return Fail("--max-frames >= 0 (0: every frame), --warmup >= 0");

  // The clips of video.tsv (path <tab> what), then the synthetic scene.
  std::vector<Clip> clips;
  std::ifstream tsv(std::string(FACEGATE_FACEDATA) + "/video.tsv");
  if (!tsv) {
    return Fail(std::string("cannot read ") + FACEGATE_FACEDATA + "/video.tsv; see facedata/README.md");
  }
  for (std::string line; std::getline(tsv, line);) {
    const std::string rel = line.substr(0, line.find('\t'));
    if (rel.empty()) continue;
    auto clip = ReadClip(rel, max_frames);
    if (!clip.ok()) return Fail(clip.status().ToString());
    clips.push_back(std::move(clip).value());
  }
  auto scene = SyntheticScene(max_frames);
  if (!scene.ok()) return Fail(scene.status().ToString());
  clips.push_back(std::move(scene).value());

  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine_or = vision::Engine::Load(config);
  if (!engine_or.ok()) return Fail(engine_or.status().ToString());
  vision::Engine& engine = **engine_or;
  const Grant grant = policy::Gate::AuthorizeResearch("bench-device-frames");
  auto area = vision::CollectionArea::FromJson("[[0.2,0.2],[0.8,0.2],[0.8,0.8],[0.2,0.8]]");
  if (!area.ok()) return Fail(area.status().ToString());

  const int default_threads = cv::getNumThreads();
  const std::string load_before = LoadAverage();
  nlohmann::json runs = nlohmann::json::array();
  for (const int threads : {1, default_threads}) {
    cv::setNumThreads(threads);
    // Warm-up (untimed): the nets' first forwards allocate.
    for (int w = 0; w < warmup; ++w) {
      const cv::Mat& frame = clips[0].frames[w % clips[0].frames.size()];
      if (auto r = engine.Detect(grant, frame); !r.ok()) return Fail(r.status().ToString());
    }
    nlohmann::json run = {{"threads", cv::getNumThreads()}, {"clips", nlohmann::json::array()}};
    PathRun ref_total, dev_total;
    size_t frames_total = 0;
    for (const Clip& clip : clips) {
      std::fprintf(stderr, "bench_device_frames: %d thread(s), %s (%zu frames)\n", threads,
                   clip.name.c_str(), clip.frames.size());
      // The two paths take turns over blocks of kBlock frames (ref, dev, then dev, ref, ...), so
      // a change in the machine's load falls on both alike while each keeps its nets' working
      // set warm within a block.
      PathRun ref, dev;
      vision::FaceTracker tracker;
      for (size_t b = 0; b * kBlock < clip.frames.size(); ++b) {
        const size_t begin = b * kBlock, end = std::min(clip.frames.size(), begin + kBlock);
        for (int turn = 0; turn < 2; ++turn) {
          const bool reference_now = (turn == 0) == (b % 2 == 0);
          const Status s = reference_now ? Reference(engine, grant, clip, begin, end, &ref)
                                         : Device(engine, grant, clip, begin, end, *area, &tracker, &dev);
          if (!s.ok()) return Fail(s.ToString());
        }
      }
      for (auto [total, one] : {std::pair{&ref_total, &ref}, std::pair{&dev_total, &dev}}) {
        total->ms += one->ms;
        total->cpu_ms += one->cpu_ms;
        total->detect_ms += one->detect_ms;
        total->face_ms += one->face_ms;
        total->extracted += one->extracted;
        total->detected += one->detected;
        total->tracks += one->tracks;
        total->dropped += one->dropped;
      }
      frames_total += clip.frames.size();
      const nlohmann::json rj = PathJson(ref, clip.frames.size(), threads);
      const nlohmann::json dj = PathJson(dev, clip.frames.size(), threads);
      run["clips"].push_back({{"name", clip.name},
                              {"frames", clip.frames.size()},
                              {"reference", rj},
                              {"device", dj},
                              {"ratio_device_over_reference",
                               dj["fps"].get<double>() / rj["fps"].get<double>()}});
    }
    const nlohmann::json rj = PathJson(ref_total, frames_total, threads);
    const nlohmann::json dj = PathJson(dev_total, frames_total, threads);
    run["all"] = {{"frames", frames_total},
                  {"reference", rj},
                  {"device", dj},
                  {"ratio_device_over_reference", dj["fps"].get<double>() / rj["fps"].get<double>()}};
    runs.push_back(run);
  }
  nlohmann::json out = {
      {"tool", "facegate bench_device_frames"},
      {"frame", {{"width", kWidth}, {"height", kHeight}}},
      {"area", area->ToJson()},
      {"tracker", {{"min_iou", vision::FaceTracker::Options{}.min_iou},
                   {"max_gap_ms", vision::FaceTracker::Options{}.max_gap_ms}}},
      {"model_version", engine.model_version()},
      {"backend", {{"opencv", CV_VERSION}, {"default_threads", default_threads},
                   {"hardware_concurrency", std::thread::hardware_concurrency()}}},
      {"load_average", {{"before", load_before}, {"after", LoadAverage()}}},
      {"runs", runs}};
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}
