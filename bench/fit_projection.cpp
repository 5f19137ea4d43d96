// Fits the 512 -> 128 projection of the feature net's output (vision/projection.h) on
// facedata's UTKFace crops, under a research grant (REQ P3), and writes it into data/
// (projection.json, projection_mean.f32, projection_axes.f32; data/README.md), from which
// the build generates the C++ definitions (scripts/embed-data.py):
//   build/bench/fit_projection --emit data
// then record the new files' sha256 in data/README.md (scripts/embed-data.py sums --data data).
// The crops are not the LFW photos that verification and identification accuracy are
// measured on, so the projection is not fitted to the test data. What is written is a mean
// and 128 principal axes over all crops: no vector of any one face.
#include <facegate/vision.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "data_files.h"
#include "facedata_faces.h"
#include "nn/model_files.h"
#include "nn/nets.h"
#include "policy/gate.h"
#include "vision/align.h"
#include "vision/image_ops.h"

using namespace facegate;

namespace {

bool WriteF32(const std::string& path, const std::vector<float>& v) {
  return bench::WriteF32(path, v, "%.8g");  // the precision of the former C++ literals
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = FACEGATE_FACEDATA, emit;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 < argc && a == "--root") root = argv[++i];
    else if (i + 1 < argc && a == "--emit") emit = argv[++i];
    else {
      std::fprintf(stderr, "usage: fit_projection [--root FACEDATA] [--emit DATA_DIR]\n");
      return 2;
    }
  }
  const std::vector<std::string> files = bench::UtkFaceFiles(root);
  auto engine = bench::LoadEngine();
  auto model_files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  if (!engine || !model_files.ok()) {
    if (!model_files.ok()) std::fprintf(stderr, "%s\n", model_files.status().ToString().c_str());
    return 1;
  }
  auto net = nn::FeatureNet::Load(*model_files);
  if (!net.ok()) {
    std::fprintf(stderr, "%s\n", net.status().ToString().c_str());
    return 1;
  }
  const Grant grant = policy::Gate::AuthorizeResearch("facedata: utkface projection fit");
  cv::Mat data(static_cast<int>(files.size()), nn::kFeatureDim, CV_32F, cv::Scalar(0));
  std::vector<char> found(files.size(), 0);
  bench::ForEachCentreFace(*engine, grant, files, [&](size_t i, const cv::Mat& img, const vision::Face& face) {
    const cv::Mat chip = vision::FivePointChip(vision::ToFloatRgb(img), face.landmarks);
    auto f = (*net)->Run(chip);
    if (!f.ok()) return;
    cv::Mat row = data.row(static_cast<int>(i));
    std::copy(f->begin(), f->end(), row.ptr<float>());
    cv::normalize(row, row);
    found[i] = 1;
  });
  cv::Mat rows;
  for (size_t i = 0; i < files.size(); ++i)
    if (found[i]) rows.push_back(data.row(static_cast<int>(i)));
  std::printf("crops %zu, with a face %d\n", files.size(), rows.rows);
  if (rows.rows <= kTemplateDim) {
    std::fprintf(stderr, "need more than %d faces to fit %d axes\n", kTemplateDim, kTemplateDim);
    return 1;
  }
  cv::PCA pca(rows, cv::noArray(), cv::PCA::DATA_AS_ROW, kTemplateDim);
  double kept = 0, total = 0;
  {
    cv::PCA all(rows, cv::noArray(), cv::PCA::DATA_AS_ROW);
    for (int i = 0; i < all.eigenvalues.rows; ++i) {
      total += all.eigenvalues.at<float>(i);
      if (i < kTemplateDim) kept += all.eigenvalues.at<float>(i);
    }
  }
  std::printf("variance kept by %d axes: %.4f\n", kTemplateDim, kept / total);
  if (emit.empty()) return 0;
  std::vector<float> mean(nn::kFeatureDim), axes(size_t(kTemplateDim) * nn::kFeatureDim);
  for (int i = 0; i < nn::kFeatureDim; ++i) mean[i] = pca.mean.at<float>(i);
  for (int k = 0; k < kTemplateDim; ++k)
    for (int i = 0; i < nn::kFeatureDim; ++i)
      axes[size_t(k) * nn::kFeatureDim + i] = pca.eigenvectors.at<float>(k, i);
  {
    std::ofstream out(emit + "/projection.json", std::ios::trunc);
    char kept_text[16];
    std::snprintf(kept_text, sizeof kept_text, "%.4f", kept / total);
    out << "{\n"
        << "  \"source\": \"pca128-utkface" << rows.rows << "\",\n"
        << "  \"faces\": " << rows.rows << ",\n"
        << "  \"variance_kept\": " << kept_text << ",\n"
        << "  \"model\": \"faceplugin-face-recognition-js 0.0.1 model/fr_feature.onnx, "
           "five-point chip\",\n"
        << "  \"feature_dim\": " << nn::kFeatureDim << ",\n"
        << "  \"template_dim\": " << kTemplateDim << "\n"
        << "}\n";
    out.close();
    if (!out) {
      std::fprintf(stderr, "cannot write %s/projection.json\n", emit.c_str());
      return 1;
    }
  }
  if (!WriteF32(emit + "/projection_mean.f32", mean) ||
      !WriteF32(emit + "/projection_axes.f32", axes))
    return 1;
  std::printf("wrote %s/projection.json, projection_mean.f32, projection_axes.f32: record their\n"
              "sha256 in data/README.md (python3 scripts/embed-data.py sums --data %s), then rebuild\n",
              emit.c_str(), emit.c_str());
  return 0;
}
