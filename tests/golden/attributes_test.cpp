// The attribute nets and the analysis pipeline against face-api (make-golden.js runs
// withFaceExpressions().withAgeAndGender() on the demo images). Nets: within 1e-4 on face-api's
// own input tensors. Crop: our AttributeInput from face-api's landmarks equals face-api's tensor.
// Pipeline: Engine::Analyze with AnalysisOptions::FaceApi() on jpeg-js pixels gives face-api's
// age, gender and expressions (docs/attributes.md).
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"
#include "policy/gate.h"
#include "vision/attributes.h"
#include "vision/image_ops.h"

namespace facegate::golden {
namespace {

constexpr float kNetTolerance = 1e-4f;

Result<nn::ModelFiles> Files() { return nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK); }

TEST(GoldenAgeGenderNet, EqualsFaceApiWithin1e4OnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::AgeGenderNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst_age = 0, worst_p = 0;
  const auto cases = NetCases("age_gender");
  ASSERT_FALSE(cases.empty()) << "regenerate the goldens: node tools/reference/make-golden.js "
                              << Dir() << " --force";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    cv::Mat input = ReadTensorImage(c.at("input"), 112, 112);
    std::vector<float> want = ReadF32(c.at("output"), 3);  // age, p_male, p_female
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float age = std::fabs(got->age - want[0]);
    const float p = std::max(std::fabs(got->p_male - want[1]), std::fabs(got->p_female - want[2]));
    EXPECT_LE(age, kNetTolerance) << "age: ours " << got->age << ", face-api " << want[0];
    EXPECT_LE(p, kNetTolerance) << "gender probabilities";
    worst_age = std::max(worst_age, age);
    worst_p = std::max(worst_p, p);
  }
  RecordProperty("max_age_diff", std::to_string(worst_age));
  RecordProperty("max_gender_diff", std::to_string(worst_p));
  std::printf("age/gender: %zu faces, max abs diff age %.3g years, gender %.3g\n", cases.size(),
              worst_age, worst_p);
}

TEST(GoldenExpressionNet, EqualsFaceApiWithin1e4OnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::ExpressionNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst = 0;
  const auto cases = NetCases("face_expression");
  ASSERT_FALSE(cases.empty()) << "regenerate the goldens: node tools/reference/make-golden.js "
                              << Dir() << " --force";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    // Our label order is face-api's.
    for (int i = 0; i < nn::ExpressionNet::kClasses; ++i) {
      EXPECT_EQ(c.at("labels")[i].get<std::string>(), nn::ExpressionNet::kLabels[i]);
      EXPECT_STREQ(vision::kExpressionLabels[i], nn::ExpressionNet::kLabels[i]);
    }
    cv::Mat input = ReadTensorImage(c.at("input"), 112, 112);
    std::vector<float> want = ReadF32(c.at("output"), 7);
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float diff = MaxAbsDiff(got->data(), want.data(), 7);
    EXPECT_LE(diff, kNetTolerance);
    worst = std::max(worst, diff);
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("expression: %zu faces, max abs diff %.3g\n", cases.size(), worst);
}

// From face-api's own landmarks, our crop box and 112x112 input equal face-api's.
TEST(GoldenAttributeCrop, FromFaceApisLandmarksEqualsFaceApisInputTensor) {
  const nlohmann::json& index = Index();
  ASSERT_FALSE(index.is_null());
  float worst = 0;
  int faces = 0;
  for (const auto& image : index.at("images")) {
    cv::Mat rgbf = vision::ToFloatRgb(ReadRgb(image.at("rgb"), image.at("width"), image.at("height")));
    ASSERT_FALSE(rgbf.empty());
    for (size_t i = 0; i < image.at("faces").size(); ++i) {
      SCOPED_TRACE(image.at("name").get<std::string>() + " face " + std::to_string(i));
      const auto& f = image.at("faces")[i];
      ASSERT_TRUE(f.contains("attributes_crop_box")) << "regenerate the goldens (--force)";
      vision::Landmarks68 lm;
      for (int p = 0; p < 68; ++p) lm[p] = {f.at("landmarks")[p][0], f.at("landmarks")[p][1]};
      const cv::Rect crop = vision::ClipAtImageBorders(vision::AttributeBox(lm, 0.2f), rgbf.size());
      const auto& want_box = f.at("attributes_crop_box");
      EXPECT_EQ(crop, cv::Rect(want_box[0], want_box[1], want_box[2], want_box[3]));
      const std::string name = image.at("name").get<std::string>() + ".face" + std::to_string(i) +
                               ".attributes.input.f32";
      cv::Mat want = ReadTensorImage(name, 112, 112);
      cv::Mat got = vision::AttributeInput(rgbf, lm, 0.2f);
      ASSERT_EQ(got.size(), want.size());
      const float diff = static_cast<float>(cv::norm(got, want, cv::NORM_INF));
      // float32 rounding of the TF bilinear weights (measured 0.005); a one-pixel crop shift
      // moves values by tens of levels.
      EXPECT_LE(diff, 0.02f) << "input tensor (0..255)";
      worst = std::max(worst, diff);
      ++faces;
    }
  }
  std::printf("attribute crop: %d faces, max abs diff %.3g (0..255)\n", faces, worst);
}

cv::Rect2f BoxOf(const nlohmann::json& j) { return {j[0], j[1], j[2], j[3]}; }

float IoU(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

// The whole analysis on face-api's decoded pixels, face by face.
TEST(GoldenAnalysis, OnFaceApisDecodedPixelsGivesFaceApisAttributes) {
  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  config.min_detection_score = 0.5f;
  config.detector = vision::Detector::kSsd;  // face-api's detector, as the reference ran
  auto engine = vision::Engine::Load(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("golden");
  const nlohmann::json& index = Index();
  ASSERT_FALSE(index.is_null());
  float worst_age = 0, worst_p = 0, worst_expr = 0;
  for (const auto& image : index.at("images")) {
    SCOPED_TRACE(image.at("name").get<std::string>());
    cv::Mat rgb = ReadRgb(image.at("rgb"), image.at("width"), image.at("height"));
    auto faces = (*engine)->Analyze(grant, rgb, vision::AnalysisOptions::FaceApi());
    ASSERT_TRUE(faces.ok()) << faces.status().ToString();
    const auto& want = image.at("faces");
    ASSERT_EQ(faces->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE("face-api face " + std::to_string(i));
      const auto& w = want[i];
      ASSERT_TRUE(w.contains("age")) << "regenerate the goldens (--force)";
      const auto best = std::max_element(faces->begin(), faces->end(), [&](auto& a, auto& b) {
        return IoU(a.box, BoxOf(w.at("box"))) < IoU(b.box, BoxOf(w.at("box")));
      });
      EXPECT_GE(IoU(best->box, BoxOf(w.at("box"))), 0.999f);
      const float age = std::fabs(best->age - w.at("age").get<float>());
      const float gp = w.at("gender_probability").get<float>();
      const float want_female = w.at("gender").get<std::string>() == "female" ? gp : 1 - gp;
      const float p = std::fabs(best->p_female - want_female);
      float expr = 0;
      for (int k = 0; k < vision::kExpressionCount; ++k) {
        expr = std::max(expr, std::fabs(best->expression[k] -
                                        w.at("expressions").at(vision::kExpressionLabels[k]).get<float>()));
      }
      // Same pixels, same landmarks (to 2.5e-4 px), same floored crop: float noise only.
      EXPECT_LE(age, 1e-2f) << "age";
      EXPECT_LE(p, 1e-3f) << "p_female";
      EXPECT_LE(expr, 1e-3f) << "expression";
      worst_age = std::max(worst_age, age);
      worst_p = std::max(worst_p, p);
      worst_expr = std::max(worst_expr, expr);
    }
  }
  std::printf("analysis, jpeg-js pixels: max diff age %.3g years, p_female %.3g, expression %.3g\n",
              worst_age, worst_p, worst_expr);
}

}  // namespace
}  // namespace facegate::golden
