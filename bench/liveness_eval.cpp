// Liveness on genuine LFW photos and on the three spoof kinds made from them
// (vision/spoof_images.h): rates of REAL / SPOOF / UNSURE per kind at the engine's
// thresholds (the shipped fr_liveness score), score quantiles of every liveness net, and
// per-image scores.
// Research use of labelled data under a research grant (REQ P3): nothing is stored.
//   build/bench/liveness_eval [--root DIR] [--limit N] [--scores FILE.tsv]
//                             [--spoof-below X] [--real-from Y]
// One photo per LFW person (the first, sorted); the photo-in-photo scene is the next person's
// photo, blurred. Figures: docs/liveness.md.
#include <facegate/vision.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "policy/gate.h"
#include "vision/liveness.h"
#include "vision/spoof_images.h"

namespace fs = std::filesystem;
using namespace facegate;

namespace {

struct Tally {
  int images = 0, no_face = 0;
  std::array<int, 3> verdicts{};  // real, spoof, unsure
  std::vector<float> fr, antispoof, liveness;  // fr_liveness (the verdict's), human-models' two
};

float Quantile(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = std::string(FACEGATE_FACEDATA);
  std::string scores_file;
  int limit = 0;
  vision::LivenessThresholds th;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--root") root = next();
    else if (a == "--limit") limit = std::stoi(next());
    else if (a == "--scores") scores_file = next();
    else if (a == "--spoof-below") th.spoof_below = std::stof(next());
    else if (a == "--real-from") th.real_from = std::stof(next());
    else {
      std::fprintf(stderr,
                   "usage: liveness_eval [--root DIR] [--limit N] [--scores FILE.tsv] "
                   "[--spoof-below X] [--real-from Y]\n");
      return 2;
    }
  }
  if (!th.Check().ok()) {
    std::fprintf(stderr, "%s\n", th.Check().ToString().c_str());
    return 2;
  }
  std::vector<std::string> photos;
  const fs::path lfw = fs::path(root) / "lfw";
  if (!fs::is_directory(lfw)) {
    std::fprintf(stderr, "%s is not a directory; pass --root with the facedata folder\n",
                 lfw.c_str());
    return 2;
  }
  std::vector<fs::path> people;
  for (const auto& e : fs::directory_iterator(lfw)) {
    if (e.is_directory()) people.push_back(e.path());
  }
  std::sort(people.begin(), people.end());
  for (const auto& p : people) {
    std::vector<std::string> jpgs;
    for (const auto& e : fs::directory_iterator(p)) {
      if (e.path().extension() == ".jpg") jpgs.push_back(e.path());
    }
    std::sort(jpgs.begin(), jpgs.end());
    if (!jpgs.empty()) photos.push_back(jpgs.front());
  }
  if (limit > 0 && static_cast<size_t>(limit) < photos.size()) photos.resize(limit);

  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  if (!engine.ok()) {
    std::fprintf(stderr, "cannot load the models: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const Grant grant = policy::Gate::AuthorizeResearch("lfw-liveness-eval");
  std::ofstream scores;
  if (!scores_file.empty()) {
    scores.open(scores_file);
    scores << "kind\tphoto\tfr_liveness\tantispoof\tliveness\tverdict\n";
  }
  const std::array<const char*, 4> kinds = {"real", vision::ToString(vision::SpoofKind::kPhotoInPhoto),
                                            vision::ToString(vision::SpoofKind::kScreenMoire),
                                            vision::ToString(vision::SpoofKind::kFlatPrint)};
  std::map<std::string, Tally> tally;
  for (size_t i = 0; i < photos.size(); ++i) {
    auto img = vision::ReadImageFile(photos[i]);
    if (!img.ok()) continue;
    auto scene = vision::ReadImageFile(photos[(i + 1) % photos.size()]);
    for (int k = 0; k < 4; ++k) {
      cv::Mat probe = k == 0 ? *img
                             : vision::MakeSpoof(static_cast<vision::SpoofKind>(k - 1), *img,
                                                 scene.ok() ? *scene : cv::Mat(), 1000 + i);
      Tally& t = tally[kinds[k]];
      ++t.images;
      auto faces = (*engine)->Detect(grant, probe);
      if (!faces.ok() || faces->empty()) {
        ++t.no_face;
        continue;
      }
      auto r = (*engine)->ScoreLiveness(grant, probe, faces->front());
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", photos[i].c_str(), r.status().ToString().c_str());
        return 1;
      }
      const vision::LivenessVerdict verdict = vision::JudgeLiveness(r->fr_liveness, th);
      ++t.verdicts[static_cast<int>(verdict)];
      t.fr.push_back(r->fr_liveness);
      t.antispoof.push_back(r->antispoof);
      t.liveness.push_back(r->liveness);
      if (scores.is_open()) {
        scores << kinds[k] << '\t' << fs::relative(photos[i], root).string() << '\t' << r->fr_liveness << '\t'
               << r->antispoof << '\t' << r->liveness << '\t' << vision::ToString(verdict) << '\n';
      }
    }
    if ((i + 1) % 50 == 0) std::fprintf(stderr, "%zu/%zu photos\n", i + 1, photos.size());
  }
  std::printf("liveness_eval: %zu LFW photos, thresholds spoof_below %.3f real_from %.3f\n",
              photos.size(), th.spoof_below, th.real_from);
  std::printf("%-15s %6s %7s %7s %7s %7s  %-20s %-20s %-20s\n", "kind", "images", "no_face", "REAL",
              "SPOOF", "UNSURE", "fr_liveness p10/50/90", "antispoof p10/50/90", "liveness p10/50/90");
  for (const char* k : kinds) {
    const Tally& t = tally[k];
    const double n = std::max<size_t>(1, t.antispoof.size());
    std::printf("%-15s %6d %7d %6.1f%% %6.1f%% %6.1f%%  %.2f/%.2f/%.2f       %.2f/%.2f/%.2f       %.2f/%.2f/%.2f\n",
                k, t.images, t.no_face, 100 * t.verdicts[0] / n, 100 * t.verdicts[1] / n,
                100 * t.verdicts[2] / n, Quantile(t.fr, 0.1), Quantile(t.fr, 0.5), Quantile(t.fr, 0.9),
                Quantile(t.antispoof, 0.1), Quantile(t.antispoof, 0.5),
                Quantile(t.antispoof, 0.9), Quantile(t.liveness, 0.1), Quantile(t.liveness, 0.5),
                Quantile(t.liveness, 0.9));
  }
  std::printf("(rates are of the images where a face was found)\n");
  return 0;
}
