// Age and gender accuracy of the attribute pipeline on facedata/attributes.tsv (UTKFace crops),
// per age band, for face-api's pipeline as is and for the variants tried to beat it: test-time
// flip averaging, other crop margins, and a linear age correction checked by 5-fold
// cross-validation (fitted on 4/5 of the photos, scored on the other 1/5, for every fold).
// Detection and landmarks run once per photo; each variant re-cuts the crop and reruns the
// attribute nets, exactly as Engine::Analyze does (vision/attributes.h). Nothing is stored;
// research use of labelled data (REQ P3).
//   build-*/bench/attributes_eval [facedata_dir]
#include <facegate/vision.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/attributes.h"
#include "vision/attributes_eval.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"

using namespace facegate;

namespace {

struct Variant {
  std::string name;
  float margin;
  bool flip;
};

void PrintReport(const std::string& name, const vision::AttributeReport& r) {
  std::printf("%-34s MAE %5.2f (bias %+5.2f)  gender %5.1f%% (found %5.1f%%)  no face %d |", name.c_str(),
              r.overall.age_mae, r.overall.age_bias, 100 * r.overall.gender_accuracy,
              100 * r.overall.gender_accuracy_found, r.overall.no_face);
  for (const auto& b : r.bands) {
    std::printf(" %s: %.2f/%.0f%%", b.band.c_str(), b.age_mae, 100 * b.gender_accuracy);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : FACEGATE_FACEDATA;
  auto samples = vision::ReadAttributeSamples(root + "/attributes.tsv");
  if (!samples.ok()) return std::fprintf(stderr, "%s\n", samples.status().ToString().c_str()), 2;
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  if (!files.ok()) return std::fprintf(stderr, "%s\n", files.status().ToString().c_str()), 2;
  auto ssd = nn::SsdNet::Load(*files);
  auto lm = nn::LandmarkNet::Load(*files);
  auto ag = nn::AgeGenderNet::Load(*files);
  auto ex = nn::ExpressionNet::Load(*files);
  if (!ssd.ok() || !lm.ok() || !ag.ok() || !ex.ok()) return std::fprintf(stderr, "load failed\n"), 1;

  const std::vector<Variant> variants = {
      {"face-api (margin 0.2)", 0.2f, false}, {"flip (margin 0.2)", 0.2f, true},
      {"margin 0.1", 0.1f, false},            {"margin 0.3", 0.3f, false},
      {"margin 0.4", 0.4f, false},            {"flip, margin 0.3", 0.3f, true},
  };
  std::vector<std::vector<vision::AttributePrediction>> preds(
      variants.size(), std::vector<vision::AttributePrediction>(samples->size()));
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < samples->size(); ++i) {
    auto rgb = vision::ReadImageFile(root + "/" + (*samples)[i].path);
    if (!rgb.ok()) return std::fprintf(stderr, "%s\n", rgb.status().ToString().c_str()), 2;
    const cv::Mat rgbf = vision::ToFloatRgb(*rgb);
    auto dets = vision::DetectFaces(**ssd, rgbf, 0.5f, vision::DetectStrategy{});
    if (!dets.ok() || dets->empty()) continue;
    // The face nearest the centre, as eval attributes picks it.
    const cv::Point2f centre(rgbf.cols / 2.f, rgbf.rows / 2.f);
    size_t best = 0;
    double best_d = 1e30;
    for (size_t k = 0; k < dets->size(); ++k) {
      const cv::Rect2f& b = (*dets)[k].box;
      const double d = cv::norm(cv::Point2f(b.x + b.width / 2, b.y + b.height / 2) - centre);
      if (d < best_d) best_d = d, best = k;
    }
    auto landmarks = vision::DetectLandmarks(**lm, rgbf, (*dets)[best].box);
    if (!landmarks.ok()) continue;
    for (size_t v = 0; v < variants.size(); ++v) {
      const cv::Mat input = vision::AttributeInput(rgbf, *landmarks, variants[v].margin);
      if (input.empty()) continue;
      vision::AnalysisOptions o{variants[v].margin, variants[v].flip};
      auto a = vision::RunAttributeNets(**ag, **ex, input, o);
      if (a.ok()) preds[v][i] = {true, a->age, a->p_female};
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%zu photos of %s/attributes.tsv in %.1f s; cells: age MAE (years) / gender accuracy "
              "(no face = wrong)\n",
              samples->size(), root.c_str(), secs);
  for (size_t v = 0; v < variants.size(); ++v) {
    PrintReport(variants[v].name, vision::SummariseAttributes(*samples, preds[v]));
  }
  // Linear age correction: in-sample (optimistic) vs 5-fold cross-validated (honest).
  std::printf("\nlinear age correction (true ~ a * predicted + b):\n");
  for (size_t v = 0; v < variants.size(); ++v) {
    const auto line = vision::FitAgeLine(*samples, preds[v], std::vector<bool>(samples->size(), true));
    auto cv5 = vision::CrossValidatedAgeCorrection(*samples, preds[v], 5);
    auto fitted = preds[v];
    for (auto& p : fitted) if (p.found) p.age = static_cast<float>(line.Apply(p.age));
    std::printf("  %-26s a %.4f b %+.3f\n", variants[v].name.c_str(), line.slope, line.intercept);
    PrintReport("    in-sample fit", vision::SummariseAttributes(*samples, fitted));
    PrintReport("    5-fold cross-validated", vision::SummariseAttributes(*samples, cv5));
  }
  return 0;
}
