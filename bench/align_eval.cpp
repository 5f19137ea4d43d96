// Verification accuracy of each recognizer (face-api's net with each AlignMode, and the
// feature net, the default) on facedata/lfw-pairs.tsv: 10-fold
// cross-validated accuracy (threshold chosen on 9 folds, tested on the 10th;
// Euclidean distance), the mean fold threshold (the calibrated verification
// threshold), TAR at FAR 1% and 0.1%, and the photos with no face (their pairs
// count as errors). The labelled person is the face nearest the photo centre.
// Research use of labelled data under a research grant (REQ P3).
//   build-*/bench/align_eval [facedata_dir]
#include <facegate/vision.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "policy/gate.h"
#include "vision/detection.h"
#include "vision/metrics.h"

using namespace facegate;

namespace {

struct Pair {
  std::string a, b;
  bool same = false;
  int fold = 0;
};

struct Mode {
  vision::Recognizer recognizer;
  vision::AlignMode align;
  const char* name;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : FACEGATE_FACEDATA;
  std::vector<Pair> pairs;
  std::set<std::string> photos;
  {
    std::ifstream in(root + "/lfw-pairs.tsv");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream s(line);
      Pair p;
      int same = 0;
      if (!(s >> p.a >> p.b >> same >> p.fold)) continue;
      p.same = same == 1;
      pairs.push_back(p);
      photos.insert(p.a);
      photos.insert(p.b);
    }
  }
  if (pairs.empty()) {
    std::fprintf(stderr, "no pairs read from %s/lfw-pairs.tsv\n", root.c_str());
    return 1;
  }
  const std::vector<Mode> modes = {
      {vision::Recognizer::kFaceApi, vision::AlignMode::kFaceApiCrop, "face-api net, face-api crop"},
      {vision::Recognizer::kFaceApi, vision::AlignMode::kSimilarity,
       "face-api net, similarity (dlib chip, 5-point)"},
      {vision::Recognizer::kFeatureNet, vision::AlignMode::kSimilarity,
       "feature net, five-point 112 chip, PCA 128"}};
  std::vector<std::unique_ptr<vision::Engine>> engines;
  for (const Mode& mode : modes) {
    vision::EngineConfig config;
    config.model_dir = FACEGATE_MODELS;
    config.lock_file = FACEGATE_LOCK;
    config.recognizer = mode.recognizer;
    config.align = mode.align;
    auto engine = vision::Engine::Load(config);
    if (!engine.ok()) {
      std::fprintf(stderr, "cannot load the models: %s\n", engine.status().ToString().c_str());
      return 1;
    }
    engines.push_back(std::move(engine).value());
  }
  const Grant grant = policy::Gate::AuthorizeResearch("facedata: lfw-pairs verification");
  const auto t0 = std::chrono::steady_clock::now();
  // photo -> one template per mode (absent: no face found).
  std::map<std::string, std::vector<Template>> templates;
  int no_face = 0;
  for (const std::string& rel : photos) {
    auto img = vision::ReadImageFile(root + "/" + rel);
    if (!img.ok()) {
      std::fprintf(stderr, "%s\n", img.status().ToString().c_str());
      return 1;
    }
    // Detection does not depend on the alignment: detect once.
    auto faces = engines[0]->Detect(grant, *img);
    if (!faces.ok()) {
      std::fprintf(stderr, "%s: %s\n", rel.c_str(), faces.status().ToString().c_str());
      return 1;
    }
    const int centre = vision::NearestToCentre(*faces, img->size());
    if (centre < 0) {
      ++no_face;
      std::printf("no face: %s\n", rel.c_str());
      continue;
    }
    std::vector<Template> per_mode;
    for (auto& engine : engines) {
      auto t = engine->Extract(grant, *img, (*faces)[centre]);
      if (!t.ok()) {
        std::fprintf(stderr, "%s: %s\n", rel.c_str(), t.status().ToString().c_str());
        return 1;
      }
      per_mode.push_back(*t);
    }
    templates.emplace(rel, std::move(per_mode));
  }
  std::printf("photos %zu, no face %d; pairs %zu (10 folds)\n\n", photos.size(), no_face,
              pairs.size());
  std::printf(
      "| recognizer | 10-fold accuracy | mean fold threshold | TAR@FAR=1%% | TAR@FAR=0.1%% "
      "| pairs lost to no face |\n|---|---|---|---|---|---|\n");
  for (size_t m = 0; m < modes.size(); ++m) {
    std::vector<vision::ScoredPair> scored;
    int lost = 0;
    for (const Pair& p : pairs) {
      vision::ScoredPair s;
      s.same = p.same;
      s.fold = p.fold;
      auto a = templates.find(p.a), b = templates.find(p.b);
      if (a == templates.end() || b == templates.end()) {
        s.failed = true;
        ++lost;
      } else {
        s.distance = a->second[m].DistanceTo(b->second[m]);
      }
      scored.push_back(s);
    }
    const auto cv = vision::CrossValidate(scored, 10);
    const auto far1 = vision::TarAtFarTarget(scored, 0.01);
    const auto far01 = vision::TarAtFarTarget(scored, 0.001);
    std::printf("| %s | %.2f%% ± %.2f | %.4f | %.2f%% | %.2f%% | %d |\n", modes[m].name,
                100 * cv.mean_accuracy, 100 * cv.stddev_accuracy, cv.mean_threshold, 100 * far1.tar,
                100 * far01.tar, lost);
  }
  std::printf("\nelapsed %.0f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
