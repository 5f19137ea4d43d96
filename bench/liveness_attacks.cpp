// The shipped liveness check (Engine::Liveness, human-models' anti-spoof and liveness nets) on
// the real presentation attacks of facedata/liveness: ISO/IEC 30107-3 figures at the engine's
// thresholds and the ROC AUC of its score, per attack kind. Research use of labelled data under
// a research grant (REQ P3): nothing is stored. Figures: docs/liveness.md, "Real attacks".
//   build/bench/liveness_attacks [--root DIR] [--list liveness.tsv] [--scores FILE.tsv] [--net human|fr]
// --net fr scores faceplugin's fr_liveness.onnx instead (pinned in models.lock, not run by the
// engine), on the crop lib/fr_liveness.js takes: the box enlarged up to 2.7 times about its
// centre, shifted inside the image, 128x128, RGB 0..255; its score is the softmax's class 0, as
// the library reports it. Its verdict is REAL at >= 0.5, SPOOF otherwise.
// The list's lines: path TAB live|print|replay|<other attack> TAB subject=ID (paths relative to
// the root). The face judged is the largest the engine finds.
//   APCER (per kind): attacks judged REAL, of the attacks where a face was found;
//   BPCER: live faces not judged REAL (SPOOF or UNSURE), of those where a face was found;
//   ACER: (the worst kind's APCER + BPCER) / 2. No face is reported apart (failure to acquire).
#include <facegate/vision.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "nn/model_files.h"
#include "policy/gate.h"

namespace fs = std::filesystem;
using namespace facegate;

namespace {

struct Kind {
  int images = 0, no_face = 0, real = 0, spoof = 0, unsure = 0;
  std::vector<float> scores;  // min(antispoof, liveness): higher is more "live"
};

// The chance that a live face scores above an attack (ties count half).
double Auc(const std::vector<float>& live, const std::vector<float>& attack) {
  if (live.empty() || attack.empty()) return 0;
  double above = 0;
  for (float l : live)
    for (float a : attack) above += l > a ? 1 : (l == a ? 0.5 : 0);
  return above / (static_cast<double>(live.size()) * static_cast<double>(attack.size()));
}

// lib/fr_liveness.js alignLivenessImage, then its 128x128 RGB 0..255 NCHW tensor; softmax class 0.
float FrLiveness(cv::dnn::Net& net, const cv::Mat& rgb, const cv::Rect2f& box) {
  const float W = static_cast<float>(rgb.cols), H = static_cast<float>(rgb.rows);
  const float scale = std::min((H - 1) / box.height, std::min((W - 1) / box.width, 2.7f));
  const float nw = box.width * scale, nh = box.height * scale;
  const float cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  float l = cx - nw / 2, t = cy - nh / 2, r = cx + nw / 2, b = cy + nh / 2;
  if (l < 0) { r -= l; l = 0; }
  if (t < 0) { b -= t; t = 0; }
  if (r > W - 1) { l -= r - W + 1; r = W - 1; }
  if (b > H - 1) { t -= b - H + 1; b = H - 1; }
  cv::Rect rect(std::max(static_cast<int>(l), 0), std::max(static_cast<int>(t), 0),
                std::min(static_cast<int>(r - l), rgb.cols - 1), std::min(static_cast<int>(b - t), rgb.rows - 1));
  rect &= cv::Rect(0, 0, rgb.cols, rgb.rows);
  cv::Mat face;
  cv::resize(rgb(rect), face, cv::Size(128, 128));
  cv::Mat blob = cv::dnn::blobFromImage(face, 1.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
  net.setInput(blob);
  cv::Mat out = net.forward();
  const float a = out.at<float>(0, 0), c = out.at<float>(0, 1), m = std::max(a, c);
  return std::exp(a - m) / (std::exp(a - m) + std::exp(c - m));
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = std::string(FACEGATE_FACEDATA), list, scores_file, which = "human";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--root" || a == "--list" || a == "--scores" || a == "--net") && i + 1 < argc) {
      (a == "--root" ? root : a == "--list" ? list : a == "--net" ? which : scores_file) = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: liveness_attacks [--root DIR] [--list liveness.tsv] [--scores FILE.tsv] [--net human|fr]\n");
      return 2;
    }
  }
  if (which != "human" && which != "fr") {
    std::fprintf(stderr, "--net is human (the engine's) or fr (faceplugin's fr_liveness.onnx)\n");
    return 2;
  }
  if (list.empty()) list = (fs::path(root) / "liveness.tsv").string();
  std::ifstream in(list);
  if (!in) {
    std::fprintf(stderr, "cannot read %s; pass --root with the facedata folder or --list\n", list.c_str());
    return 2;
  }
  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  if (!engine.ok()) {
    std::fprintf(stderr, "cannot load the models: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const Grant grant = policy::Gate::AuthorizeResearch("liveness-attacks");
  cv::dnn::Net fr;
  if (which == "fr") {
    auto files = nn::ModelFiles::Open(config.model_dir, config.lock_file);
    auto bytes = files.ok() ? files->Read("faceplugin-face-recognition-js", "model/fr_liveness.onnx")
                            : Result<std::string>(files.status());
    if (!bytes.ok()) {
      std::fprintf(stderr, "cannot read fr_liveness.onnx: %s\n", bytes.status().ToString().c_str());
      return 1;
    }
    fr = cv::dnn::readNetFromONNX(std::vector<uchar>(bytes->begin(), bytes->end()));
  }
  const vision::LivenessThresholds th;
  std::ofstream scores;
  if (!scores_file.empty()) {
    scores.open(scores_file);
    scores << "path\tlabel\tantispoof\tliveness\tverdict\n";
  }
  std::map<std::string, Kind> kinds;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string path, label;
    std::getline(f, path, '\t');
    std::getline(f, label, '\t');
    Kind& k = kinds[label];
    ++k.images;
    ++n;
    auto img = vision::ReadImageFile((fs::path(root) / path).string());
    if (!img.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), img.status().ToString().c_str());
      return 1;
    }
    auto faces = (*engine)->Detect(grant, *img);
    if (!faces.ok() || faces->empty()) {
      ++k.no_face;
      continue;
    }
    auto r = (*engine)->Liveness(grant, *img, faces->front(), th);  // largest first
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), r.status().ToString().c_str());
      return 1;
    }
    if (which == "fr") {
      const float p = FrLiveness(fr, *img, faces->front().detection.box);
      r->antispoof = r->liveness = p;
      r->verdict = p >= 0.5f ? vision::LivenessVerdict::kReal : vision::LivenessVerdict::kSpoof;
    }
    k.real += r->verdict == vision::LivenessVerdict::kReal;
    k.spoof += r->verdict == vision::LivenessVerdict::kSpoof;
    k.unsure += r->verdict == vision::LivenessVerdict::kUnsure;
    k.scores.push_back(std::min(r->antispoof, r->liveness));
    if (scores.is_open())
      scores << path << '\t' << label << '\t' << r->antispoof << '\t' << r->liveness << '\t'
             << vision::ToString(r->verdict) << '\n';
  }
  const Kind& live = kinds["live"];
  const int live_seen = live.images - live.no_face;
  const double bpcer = live_seen ? 100.0 * (live_seen - live.real) / live_seen : 0;
  if (which == "fr")
    std::printf("%d images; fr_liveness.onnx, REAL at class 0 >= 0.5\n", n);
  else
    std::printf("%d images; thresholds spoof_below %.2f, real_from %.2f\n", n, th.spoof_below, th.real_from);
  std::printf("| kind | images | no face | REAL | SPOOF | UNSURE | APCER / BPCER | ROC AUC (live vs kind) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  double worst_apcer = 0;
  for (const auto& [name, k] : kinds) {
    const int seen = k.images - k.no_face;
    if (name == "live") {
      std::printf("| live | %d | %d | %d | %d | %d | BPCER %.1f%% | |\n", k.images, k.no_face, k.real, k.spoof,
                  k.unsure, bpcer);
      continue;
    }
    const double apcer = seen ? 100.0 * k.real / seen : 0;
    worst_apcer = std::max(worst_apcer, apcer);
    std::printf("| %s | %d | %d | %d | %d | %d | APCER %.1f%% | %.2f |\n", name.c_str(), k.images, k.no_face, k.real,
                k.spoof, k.unsure, apcer, Auc(live.scores, k.scores));
  }
  std::printf("ACER (worst kind's APCER + BPCER) / 2: %.1f%%\n", (worst_apcer + bpcer) / 2);
  return 0;
}
