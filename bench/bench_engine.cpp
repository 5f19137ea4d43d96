// Times our vision::Engine per stage on the same images as tools/reference/bench.js and prints
// the same JSON shape, so bench/run.sh can print ratios JS/ours from one run (docs/bench.md).
// Usage: bench_engine [--reps N] [--warmup N] [--threads N] [--feature-chip CHIP.f32] [extra.jpg ...]
// Images: face-api's six demo images from tools/reference/node_modules (run
// tools/reference/setup.sh first) plus any JPEGs given. Decoding is outside every timed part.
// Stages (median over all samples, ms):
//   detect_per_image      Detect's detect stage (pad, resize 512, SSD, NMS)
//   landmarks_per_face    Detect's landmark stage / faces (crop, pad, resize 112, landmark net)
//   recognition_per_face  one Extract call (face-api crop, resize 150, recognition net)
//   images[].shipped_pipeline_ms  the same with the engine's shipped configuration (RFB-320 first,
//                         feature net): the path verify runs; run.sh compares it per photo.
//   pipeline_per_face     Detect + Extract of every face, per image; sum of per-image medians /
//                         number of faces
//   feature_per_chip      nn::FeatureNet::Run (faceplugin's fr_feature.onnx, OpenCV DNN) on ONE
//                         thread, whatever --threads says, on the 112x112x3 float32 chip given by
//                         --feature-chip (bench.js --feature-chip writes it: the same input the
//                         reference times on ONNX Runtime); median of 10 x reps runs after
//                         5 x warmup (at least 1). null without --feature-chip.
#include <facegate/vision.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "policy/gate.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "bench_engine: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace facegate;
  int reps = 5, warmup = 2, threads = 0;
  std::vector<std::string> files;
  std::string feature_chip;
  const std::string demo = std::string(FACEGATE_SOURCE_DIR) +
                           "/tools/reference/node_modules/@vladmandic/face-api/demo/";
  for (int i = 1; i <= 6; ++i) files.push_back(demo + "sample" + std::to_string(i) + ".jpg");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--reps" || a == "--warmup" || a == "--threads") && i + 1 < argc) {
      const int v = std::atoi(argv[++i]);
      (a == "--reps" ? reps : a == "--warmup" ? warmup : threads) = v;
    } else if (a == "--feature-chip" && i + 1 < argc) {
      feature_chip = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      return Fail("unknown option " + a +
                  "; usage: bench_engine [--reps N] [--warmup N] [--threads N] [--feature-chip CHIP.f32] "
                  "[x.jpg ...]");
    } else {
      files.push_back(a);
    }
  }
  if (reps < 1 || warmup < 0 || threads < 0) return Fail("--reps >= 1, --warmup >= 0, --threads >= 0");

  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  config.min_detection_score = 0.5f;               // face-api's default
  config.recognizer = vision::Recognizer::kFaceApi;  // the same nets as face-api's pipeline
  config.align = vision::AlignMode::kFaceApiCrop;    // and its descriptor crop
  config.detector = vision::Detector::kSsd;         // and its detector
  config.threads = threads;
  auto engine_or = vision::Engine::Load(config);
  if (!engine_or.ok()) return Fail(engine_or.status().ToString());
  vision::Engine& engine = **engine_or;
  const Grant grant = policy::Gate::AuthorizeResearch("bench");

  struct Image {
    std::string name;
    cv::Mat rgb;
  };
  std::vector<Image> images;
  for (const auto& f : files) {
    auto rgb = vision::ReadImageFile(f);
    if (!rgb.ok()) {
      return Fail(rgb.status().ToString() + " (for the demo images run tools/reference/setup.sh)");
    }
    images.push_back({std::filesystem::path(f).filename().string(), std::move(rgb).value()});
  }

  // One full pass: Detect + Extract every face. Returns faces; fills the timings.
  auto pass = [&](const cv::Mat& rgb, vision::StageTimings* detect_t, std::vector<double>* extract_ms,
                  double* total_ms) -> Result<size_t> {
    const auto t0 = Clock::now();
    auto faces = engine.Detect(grant, rgb, detect_t);
    if (!faces.ok()) return faces.status();
    for (const auto& face : *faces) {
      const auto e0 = Clock::now();
      auto t = engine.Extract(grant, rgb, face);
      if (!t.ok()) return t.status();
      if (extract_ms) extract_ms->push_back(Ms(e0, Clock::now()));
    }
    if (total_ms) *total_ms = Ms(t0, Clock::now());
    return faces->size();
  };

  for (int w = 0; w < warmup; ++w) {
    for (const auto& im : images) {
      auto r = pass(im.rgb, nullptr, nullptr, nullptr);
      if (!r.ok()) return Fail(im.name + ": " + r.status().ToString());
    }
  }

  std::vector<double> detect, landmarks, recognition;
  double pipeline_sum = 0;
  size_t face_sum = 0;
  nlohmann::json per_image = nlohmann::json::array();
  for (const auto& im : images) {
    std::vector<double> pipe;
    size_t faces = 0;
    for (int r = 0; r < reps; ++r) {
      vision::StageTimings t;
      double total = 0;
      auto n = pass(im.rgb, &t, &recognition, &total);
      if (!n.ok()) return Fail(im.name + ": " + n.status().ToString());
      faces = *n;
      pipe.push_back(total);
      detect.push_back(t.detect_ms);
      if (faces > 0) landmarks.push_back(t.landmarks_ms / static_cast<double>(faces));
    }
    const double m = Median(pipe);
    per_image.push_back({{"image", im.name}, {"width", im.rgb.cols}, {"height", im.rgb.rows},
                         {"faces", faces}, {"pipeline_ms", m}});
    if (faces > 0) {
      pipeline_sum += m;
      face_sum += faces;
    }
  }

  // The shipped path: what `facegate verify` and POST /v1/verify run per photo (the engine's
  // default configuration: RFB-320 first, the SSD only where it finds nothing, the 68 landmarks,
  // the five-point chip and faceplugin's feature net), Detect + Extract of every face.
  vision::EngineConfig shipped_config;
  shipped_config.model_dir = FACEGATE_MODELS;
  shipped_config.lock_file = FACEGATE_LOCK;
  shipped_config.threads = threads;
  auto shipped_or = vision::Engine::Load(shipped_config);
  if (!shipped_or.ok()) return Fail(shipped_or.status().ToString());
  vision::Engine& shipped = **shipped_or;
  auto shipped_pass = [&](const cv::Mat& rgb) -> Result<size_t> {
    auto faces = shipped.Detect(grant, rgb);
    if (!faces.ok()) return faces.status();
    for (const auto& face : *faces) {
      auto t = shipped.Extract(grant, rgb, face);
      if (!t.ok()) return t.status();
    }
    return faces->size();
  };
  for (int w = 0; w < warmup; ++w)
    for (const auto& im : images)
      if (auto r = shipped_pass(im.rgb); !r.ok()) return Fail(im.name + ": " + r.status().ToString());
  for (size_t i = 0; i < images.size(); ++i) {
    std::vector<double> pipe;
    size_t faces = 0;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = Clock::now();
      auto n = shipped_pass(images[i].rgb);
      pipe.push_back(Ms(t0, Clock::now()));
      if (!n.ok()) return Fail(images[i].name + ": " + n.status().ToString());
      faces = *n;
    }
    per_image[i]["shipped_faces"] = faces;
    per_image[i]["shipped_pipeline_ms"] = Median(pipe);
  }

  // The feature net on one thread over the reference's chip (same bytes as ONNX Runtime's input).
  nlohmann::json feature_ms = nullptr;
  const int feature_runs = 10 * reps;
  if (!feature_chip.empty()) {
    constexpr int kSize = nn::FeatureNet::kInputSize;
    std::ifstream in(feature_chip, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() != sizeof(float) * kSize * kSize * 3) {
      return Fail(feature_chip + ": expected " + std::to_string(kSize) + "x" + std::to_string(kSize) +
                  "x3 float32 (" + std::to_string(sizeof(float) * kSize * kSize * 3) + " bytes), got " +
                  std::to_string(bytes.size()));
    }
    cv::Mat chip(kSize, kSize, CV_32FC3);
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(chip.data));
    auto files_or = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
    if (!files_or.ok()) return Fail(files_or.status().ToString());
    auto net = nn::FeatureNet::Load(*files_or);
    if (!net.ok()) return Fail(net.status().ToString());
    const int engine_threads = cv::getNumThreads();
    cv::setNumThreads(1);
    for (int w = 0; w < std::max(1, 5 * warmup); ++w) {
      auto r = (*net)->Run(chip);
      if (!r.ok()) return Fail("feature net: " + r.status().ToString());
    }
    std::vector<double> ms;
    for (int r = 0; r < feature_runs; ++r) {
      const auto t0 = Clock::now();
      auto f = (*net)->Run(chip);
      ms.push_back(Ms(t0, Clock::now()));
      if (!f.ok()) return Fail("feature net: " + f.status().ToString());
    }
    cv::setNumThreads(engine_threads);
    feature_ms = Median(ms);
  }

  nlohmann::json out = {
      {"tool", "facegate"},
      {"backend", {{"opencv", CV_VERSION}, {"threads", cv::getNumThreads()}}},
      {"reps", reps},
      {"warmup", warmup},
      {"images", per_image},
      {"faces", face_sum},
      {"feature", {{"chip", feature_chip.empty() ? nlohmann::json(nullptr) : nlohmann::json(feature_chip)},
                   {"runs", feature_runs},
                   {"threads", 1}}},
      {"stages_ms",
       {{"detect_per_image", Median(detect)},
        {"landmarks_per_face", Median(landmarks)},
        {"recognition_per_face", Median(recognition)},
        {"pipeline_per_face", face_sum ? pipeline_sum / face_sum : 0.0},
        {"feature_per_chip", feature_ms}}},
  };
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}
