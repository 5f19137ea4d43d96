// Per-dimension mean and spread of the engine's templates over facedata's UTKFace crops,
// under a research grant (REQ P3): the statistics gallery::SyntheticFaces draws from, so the
// search benchmarks meet the geometry of real templates without holding any.
//   build/bench/template_stats            # prints the two arrays for src/gallery/synthetic.cpp
// Also prints the typical different-person distance the synthetic identities keep.
#include <facegate/vision.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "policy/gate.h"
#include "vision/detection.h"

using namespace facegate;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::string root = argc > 2 && std::string(argv[1]) == "--root" ? argv[2] : FACEGATE_FACEDATA;
  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(root + "/utkface")) files.push_back(f.path().string());
  std::sort(files.begin(), files.end());
  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  if (!engine.ok()) {
    std::fprintf(stderr, "cannot load the models: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const Grant grant = policy::Gate::AuthorizeResearch("facedata: utkface template statistics");
  std::vector<std::vector<float>> v(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < files.size();) {
      auto img = vision::ReadImageFile(files[i]);
      if (!img.ok()) continue;
      auto faces = (*engine)->Detect(grant, *img);
      if (!faces.ok()) continue;
      const int c = vision::NearestToCentre(*faces, img->size());
      if (c < 0) continue;
      auto t = (*engine)->Extract(grant, *img, (*faces)[c]);
      if (t.ok()) v[i].assign(t->values().begin(), t->values().end());
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  std::vector<double> mean(kTemplateDim, 0), sq(kTemplateDim, 0);
  int n = 0;
  for (const auto& x : v) {
    if (x.empty()) continue;
    ++n;
    for (int d = 0; d < kTemplateDim; ++d) mean[d] += x[d], sq[d] += double(x[d]) * x[d];
  }
  if (n < 2) {
    std::fprintf(stderr, "found faces in %d crops; need at least 2\n", n);
    return 1;
  }
  std::vector<double> dist;
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = i + 1; j < v.size(); ++j) {
      if (v[i].empty() || v[j].empty()) continue;
      double s = 0;
      for (int d = 0; d < kTemplateDim; ++d) s += double(v[i][d] - v[j][d]) * (v[i][d] - v[j][d]);
      dist.push_back(std::sqrt(s));
    }
  std::sort(dist.begin(), dist.end());
  std::printf("// %s over %d UTKFace crops; median different-person distance %.4f\n",
              (*engine)->model_version().c_str(), n, dist[dist.size() / 2]);
  std::printf("constexpr float kMean[kDim] = {");
  for (int d = 0; d < kTemplateDim; ++d)
    std::printf("%s%.4f,", d % 8 == 0 ? "\n    " : " ", mean[d] / n);
  std::printf("\n};\nconstexpr float kSpread[kDim] = {");
  for (int d = 0; d < kTemplateDim; ++d) {
    const double m = mean[d] / n;
    std::printf("%s%.4f,", d % 8 == 0 ? "\n    " : " ", std::sqrt(std::max(0.0, sq[d] / n - m * m)));
  }
  std::printf("\n};\n");
  return 0;
}
