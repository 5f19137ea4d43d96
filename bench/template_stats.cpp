// Per-dimension mean and spread of the engine's templates over facedata's UTKFace crops,
// under a research grant (REQ P3): the statistics gallery::SyntheticFaces draws from, so the
// search benchmarks meet the geometry of real templates without holding any.
//   build/bench/template_stats            # prints the two arrays for src/gallery/synthetic.cpp
// Also prints the typical different-person distance the synthetic identities keep.
#include <facegate/vision.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "facedata_faces.h"
#include "policy/gate.h"

using namespace facegate;

int main(int argc, char** argv) {
  std::string root = argc > 2 && std::string(argv[1]) == "--root" ? argv[2] : FACEGATE_FACEDATA;
  const std::vector<std::string> files = bench::UtkFaceFiles(root);
  auto engine = bench::LoadEngine();
  if (!engine) return 1;
  const Grant grant = policy::Gate::AuthorizeResearch("facedata: utkface template statistics");
  std::vector<std::vector<float>> v(files.size());
  bench::ForEachCentreFace(*engine, grant, files, [&](size_t i, const cv::Mat& img, const vision::Face& face) {
    auto t = engine->Extract(grant, img, face);
    if (t.ok()) v[i].assign(t->values().begin(), t->values().end());
  });
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
              engine->model_version().c_str(), n, dist[dist.size() / 2]);
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
