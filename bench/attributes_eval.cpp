// Age and gender accuracy of the attribute pipeline on facedata/attributes.tsv (UTKFace crops),
// per age band, for face-api's pipeline as is and for the variants tried to beat it: test-time
// flip averaging, other crop margins, and a linear age correction checked by 5-fold
// cross-validation (fitted on 4/5 of the photos, scored on the other 1/5, for every fold).
// Detection and landmarks run once per photo; each variant re-cuts the crop and reruns the
// attribute nets, exactly as Engine::Analyze does (vision/attributes.h). The last rows run
// faceplugin's SSR-Net age and gender nets (fr_age.onnx, fr_gender.onnx, pinned in models.lock)
// on their own crop of the same detection box, as lib/fr_age.js and lib/fr_gender.js do. Nothing
// is stored; research use of labelled data (REQ P3).
//   build-*/bench/attributes_eval [facedata_dir]
#include <facegate/vision.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

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

// lib/fr_age.js alignAgeImage: the box scaled by up to `scale` about its centre (less where the
// photo is smaller), shifted inside the photo.
cv::Rect SsrCrop(const cv::Rect2f& b, int cols, int rows, float scale_value) {
  const float W = static_cast<float>(cols), H = static_cast<float>(rows);
  const float scale = std::min({(H - 1) / b.height, (W - 1) / b.width, scale_value});
  const float nw = b.width * scale, nh = b.height * scale;
  const float cx = b.x + b.width / 2, cy = b.y + b.height / 2;
  float l = cx - nw / 2, t = cy - nh / 2, r = cx + nw / 2, btm = cy + nh / 2;
  if (l < 0) { r -= l; l = 0; }
  if (t < 0) { btm -= t; t = 0; }
  if (r > W - 1) { l -= r - W + 1; r = W - 1; }
  if (btm > H - 1) { t -= btm - H + 1; btm = H - 1; }
  cv::Rect rect(std::max(static_cast<int>(l), 0), std::max(static_cast<int>(t), 0),
                std::max(static_cast<int>(r - l), 1), std::max(static_cast<int>(btm - t), 1));
  return rect & cv::Rect(0, 0, cols, rows);
}

// One SSR-Net (age or gender): its nine outputs in lib/fr_age.js's order, merged by its mergeAge
// (s1 = s2 = s3 = 3, lambda_local = lambda_d = 1) times v.
struct SsrNet {
  cv::dnn::Net net;
  double Run(const cv::Mat& rgb8, const cv::Rect2f& box, double v) {
    cv::Mat face, f;
    cv::resize(rgb8(SsrCrop(box, rgb8.cols, rgb8.rows, 1.4f)), face, cv::Size(64, 64));
    face.convertTo(f, CV_32FC3, 1.0 / 255);
    f -= cv::Scalar(0.485, 0.456, 0.406);
    cv::divide(f, cv::Scalar(0.229, 0.224, 0.225), f);
    net.setInput(cv::dnn::blobFromImage(f));
    static const std::vector<std::string> kOut = {
        "prob_stage_1",  "prob_stage_2",  "prob_stage_3",        "stage1_delta_k",      "stage2_delta_k",
        "stage3_delta_k", "index_offset_stage1", "index_offset_stage2", "index_offset_stage3"};
    std::vector<cv::Mat> outs;
    net.forward(outs, kOut);
    std::vector<float> x;
    for (const auto& o : outs) x.insert(x.end(), o.ptr<float>(), o.ptr<float>() + o.total());
    double a = 0, b = 0, c = 0;
    for (int i = 0; i < 3; ++i) a += (i + x[12 + i]) * x[i];
    a /= 3 * (1 + x[9]);
    for (int i = 0; i < 3; ++i) b += (i + x[15 + i]) * x[3 + i];
    b = b / (3 * (1 + x[9])) / (3 * (1 + x[10]));
    for (int i = 0; i < 3; ++i) c += (i + x[18 + i]) * x[6 + i];
    c = c / (3 * (1 + x[9])) / (3 * (1 + x[10])) / (3 * (1 + x[11]));
    return (a + b + c) * v;
  }
};

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
  auto rfb = nn::RfbNet::Load(*files);
  if (!ssd.ok() || !lm.ok() || !ag.ok() || !ex.ok() || !rfb.ok()) return std::fprintf(stderr, "load failed\n"), 1;
  SsrNet ssr_age, ssr_gender;
  for (auto [net, file] : {std::pair{&ssr_age, "model/fr_age.onnx"}, std::pair{&ssr_gender, "model/fr_gender.onnx"}}) {
    auto bytes = files->Read(nn::kFeatureNetPackage, file);
    if (!bytes.ok()) return std::fprintf(stderr, "%s\n", bytes.status().ToString().c_str()), 1;
    net->net = cv::dnn::readNetFromONNX(std::vector<uchar>(bytes->begin(), bytes->end()));
  }
  // faceplugin's SSR-Net pair: P(female) as 1 - gender (SSR-Net's IMDB-WIKI label 1 is male), and
  // the same read the other way round, so the table shows which way the net was trained.
  std::vector<vision::AttributePrediction> fr(samples->size()), fr_flipped(samples->size());

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
    // As Engine::Analyze: the SSD first, RFB-320 where it finds nothing.
    auto dets = vision::DetectFacesSsdFirst(**ssd, rfb->get(), rgbf, 0.5f, vision::DetectStrategy{});
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
    const double age = ssr_age.Run(*rgb, (*dets)[best].box, 101);
    const double g = ssr_gender.Run(*rgb, (*dets)[best].box, 1);
    fr[i] = {true, static_cast<float>(age), static_cast<float>(1 - g)};
    fr_flipped[i] = {true, static_cast<float>(age), static_cast<float>(g)};
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
  PrintReport("faceplugin SSR-Net (female = 1 - g)", vision::SummariseAttributes(*samples, fr));
  PrintReport("faceplugin SSR-Net (female = g)", vision::SummariseAttributes(*samples, fr_flipped));
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
