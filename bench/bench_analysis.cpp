// Times the analysis of one 640x480 frame holding 5 faces (issue 3): detection, landmarks,
// age/gender, expression and eye state of every face, as Engine::AnalyzeFrame does it, and
// prints JSON that bench/analysis.sh sets against tools/reference/bench_analysis.js (face-api)
// timed in the same run on the same frame (docs/bench.md).
// Usage: bench_analysis --frame OUT.jpg [--reps N] [--warmup N] [--threads N]
// The frame is composed from five facedata/lfw photos (the central 160x160 of each, scaled to
// 200x200, on a grey background), written as a JPEG (quality 95) for the JavaScript side, and read back so both
// sides analyse the same pixels. Decoding is outside the timed part. Medians over reps, ms:
//   frame_faceapi_ms    AnalyzeFrame with face-api's pipeline (no flip averaging): the same
//                       nets on the same crops as face-api, plus the eye state
//   frame_default_ms    AnalyzeFrame with the default options (flip averaging: the attribute
//                       nets run twice per face, docs/attributes.md)
//   stages of the face-api run: detect, landmarks (all faces), crops, attribute nets + eyes
#include <facegate/vision.h>

#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "policy/gate.h"

namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "bench_analysis: %s\n", msg.c_str());
  return 1;
}

// Five LFW people of both genders and several ages, one photo each.
const char* kFaces[] = {"lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg", "lfw/Abdoulaye_Wade/Abdoulaye_Wade_0001.jpg",
                        "lfw/Alan_Greenspan/Alan_Greenspan_0001.jpg", "lfw/Allyson_Felix/Allyson_Felix_0001.jpg",
                        "lfw/Albert_Costa/Albert_Costa_0001.jpg"};

}  // namespace

int main(int argc, char** argv) {
  using namespace facegate;
  int reps = 10, warmup = 2, threads = 0;
  std::string frame_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--reps" || a == "--warmup" || a == "--threads") && i + 1 < argc) {
      const int v = std::atoi(argv[++i]);
      (a == "--reps" ? reps : a == "--warmup" ? warmup : threads) = v;
    } else if (a == "--frame" && i + 1 < argc) {
      frame_path = argv[++i];
    } else {
      return Fail("unknown argument " + a + "; usage: bench_analysis --frame OUT.jpg [--reps N] [--warmup N] [--threads N]");
    }
  }
  if (frame_path.empty()) return Fail("--frame OUT.jpg is required (the composed frame, for the JavaScript side)");
  if (reps < 1 || warmup < 0 || threads < 0) return Fail("--reps >= 1, --warmup >= 0, --threads >= 0");

  // Compose: three faces on top, two below; the central 160x160 of each LFW photo (the face and
  // a little around it) scaled to 200x200, on grey.
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(96, 96, 96));
  for (int i = 0; i < 5; ++i) {
    cv::Mat bgr = cv::imread(std::string(FACEGATE_FACEDATA) + "/" + kFaces[i], cv::IMREAD_COLOR);
    if (bgr.empty()) return Fail(std::string("cannot read ") + FACEGATE_FACEDATA + "/" + kFaces[i]);
    cv::Mat tile;
    cv::resize(bgr(cv::Rect((bgr.cols - 160) / 2, (bgr.rows - 160) / 2, 160, 160)), tile, cv::Size(200, 200));
    const int x = i < 3 ? 10 + 210 * i : 115 + 210 * (i - 3), y = i < 3 ? 20 : 260;
    tile.copyTo(frame(cv::Rect(x, y, 200, 200)));
  }
  if (!cv::imwrite(frame_path, frame, {cv::IMWRITE_JPEG_QUALITY, 95})) return Fail("cannot write " + frame_path);
  auto rgb_or = vision::ReadImageFile(frame_path);
  if (!rgb_or.ok()) return Fail(rgb_or.status().ToString());
  const cv::Mat rgb = *rgb_or;

  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  config.min_detection_score = 0.5f;  // face-api's default
  config.threads = threads;
  auto engine_or = vision::Engine::Load(config);
  if (!engine_or.ok()) return Fail(engine_or.status().ToString());
  vision::Engine& engine = **engine_or;
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("bench");
  const InferenceGrant eyes = policy::Gate::AuthorizeResearchInference("bench", SensitiveInference::kDrowsiness);

  nlohmann::json out;
  for (const bool faceapi : {true, false}) {
    const vision::AnalysisOptions opts = faceapi ? vision::AnalysisOptions::FaceApi() : vision::AnalysisOptions{};
    size_t faces = 0;
    for (int w = 0; w < warmup; ++w) {
      auto r = engine.AnalyzeFrame(grant, eyes, rgb, opts);
      if (!r.ok()) return Fail(r.status().ToString());
    }
    std::vector<double> total, detect, landmarks, crops, nets;
    for (int r = 0; r < reps; ++r) {
      vision::StageTimings t;
      const auto t0 = Clock::now();
      auto res = engine.AnalyzeFrame(grant, eyes, rgb, opts, &t);
      total.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!res.ok()) return Fail(res.status().ToString());
      faces = res->size();
      detect.push_back(t.detect_ms);
      landmarks.push_back(t.landmarks_ms);
      crops.push_back(t.align_ms);
      nets.push_back(t.embed_ms);
    }
    if (faceapi) {
      out["faces"] = faces;
      out["frame_faceapi_ms"] = Median(total);
      out["stages_ms"] = {{"detect", Median(detect)}, {"landmarks", Median(landmarks)},
                          {"crops", Median(crops)}, {"attribute_nets_and_eyes", Median(nets)}};
    } else {
      out["faces_default"] = faces;
      out["frame_default_ms"] = Median(total);
    }
  }
  out["tool"] = "facegate";
  out["reps"] = reps;
  out["warmup"] = warmup;
  out["frame"] = {{"width", rgb.cols}, {"height", rgb.rows}};
  out["backend"] = {{"opencv", CV_VERSION}, {"threads", cv::getNumThreads()}};
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}
