// faceplugin's RFB-320 face detector (fr_detect.onnx), the engine's first detection pass, against
// ONNX Runtime: the net on the reference's exact input tensors, our resize of the same pixels,
// and the faces our pass keeps (docs/golden.md). Data: tools/reference/make-golden-detect.js.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/detection.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"

namespace facegate::golden {
namespace {

constexpr int kW = nn::RfbNet::kInputWidth, kH = nn::RfbNet::kInputHeight, kPriors = nn::RfbNet::kPriors;

const nlohmann::json& DetectIndex() {
  static const nlohmann::json index = [] {
    const std::string bytes = ReadBytes("detect.json");
    if (bytes.empty()) return nlohmann::json();
    return nlohmann::json::parse(bytes);
  }();
  return index;
}

std::vector<nlohmann::json> Images() {
  std::vector<nlohmann::json> out;
  if (DetectIndex().is_null()) return out;
  for (const auto& im : DetectIndex().at("images")) out.push_back(im);
  return out;
}

std::unique_ptr<nn::RfbNet> LoadNet() {
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  if (!files.ok()) return nullptr;
  auto net = nn::RfbNet::Load(*files);
  EXPECT_TRUE(net.ok()) << net.status().ToString();
  return net.ok() ? std::move(net).value() : nullptr;
}

TEST(GoldenRfbNet, ScoresAndBoxesOfAllPriorsEqualOnnxRuntimeWithin1e4) {
  auto net = LoadNet();
  ASSERT_NE(net, nullptr);
  const auto images = Images();
  ASSERT_EQ(images.size(), 10u) << "six demo photos and four crops of sample1";
  float worst_score = 0, worst_box = 0;
  for (const auto& im : images) {
    SCOPED_TRACE(im.at("source").get<std::string>());
    const cv::Mat input = ReadTensorImage(im.at("input"), kH, kW);
    const std::vector<float> scores = ReadF32(im.at("scores"), kPriors);
    const std::vector<float> boxes = ReadF32(im.at("boxes"), kPriors * 4);
    ASSERT_FALSE(input.empty() || scores.empty() || boxes.empty());
    auto out = net->Run(input);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->scores.size(), size_t(kPriors));
    float ds = 0, db = 0;
    for (int i = 0; i < kPriors; ++i) {
      ds = std::max(ds, std::abs(out->scores[i] - scores[i]));
      const cv::Rect2f& b = out->boxes[i];
      const float got[4] = {b.x, b.y, b.x + b.width, b.y + b.height};
      for (int k = 0; k < 4; ++k) db = std::max(db, std::abs(got[k] - boxes[4 * i + k]));
    }
    EXPECT_LE(ds, 1e-4f);
    EXPECT_LE(db, 1e-4f);
    worst_score = std::max(worst_score, ds);
    worst_box = std::max(worst_box, db);
  }
  RecordProperty("max_abs_diff_scores", std::to_string(worst_score));
  RecordProperty("max_abs_diff_boxes", std::to_string(worst_box));
  std::printf("rfb net: %zu images x %d priors, max abs diff scores %.3g, boxes %.3g\n", images.size(),
              kPriors, worst_score, worst_box);
}

TEST(GoldenRfbNet, OurStretchTo320x240GivesTheReferenceInput) {
  float worst = 0;
  const auto images = Images();
  ASSERT_FALSE(images.empty());
  for (const auto& im : images) {
    SCOPED_TRACE(im.at("source").get<std::string>());
    const cv::Mat rgb = ReadRgb(im.at("rgb"), im.at("width"), im.at("height"));
    const cv::Mat want = ReadTensorImage(im.at("input"), kH, kW);
    ASSERT_FALSE(rgb.empty() || want.empty());
    cv::Mat got;
    cv::resize(vision::ToFloatRgb(rgb), got, cv::Size(kW, kH), 0, 0, cv::INTER_LINEAR);
    const float diff = MaxAbsDiff(got.ptr<float>(), want.ptr<float>(), size_t(kW) * kH * 3);
    EXPECT_LE(diff, 1e-3f) << "the pass must stretch as cv::resize INTER_LINEAR does";
    worst = std::max(worst, diff);
  }
  std::printf("rfb input: max abs diff %.3g (0..255 scale)\n", worst);
}

TEST(GoldenRfbPass, FacesKeptEqualTheReferenceOnJpegJsPixels) {
  auto net = LoadNet();
  ASSERT_NE(net, nullptr);
  const auto images = Images();
  ASSERT_FALSE(images.empty());
  const float min_score = DetectIndex().at("settings").at("min_score");
  EXPECT_EQ(min_score, vision::kRfbMinScore);
  EXPECT_EQ(DetectIndex().at("settings").at("nms_iou").get<float>(), vision::kRfbIouThreshold);
  float worst_iou = 1, worst_score = 0;
  int faces = 0;
  for (const auto& im : images) {
    SCOPED_TRACE(im.at("source").get<std::string>());
    const int w = im.at("width"), h = im.at("height");
    const cv::Mat rgb = ReadRgb(im.at("rgb"), w, h);
    ASSERT_FALSE(rgb.empty());
    auto got = vision::DetectRfbPass(*net, vision::ToFloatRgb(rgb), min_score, vision::kRfbRawBox);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const auto& want = im.at("faces");
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const auto& b = want[i].at("box");
      const cv::Rect2f ref = cv::Rect2f(b[0], b[1], b[2], b[3]) & cv::Rect2f(0, 0, float(w), float(h));
      // Both in descending score order; pair by index, as NMS keeps them.
      const float iou = vision::IntersectionOverUnion((*got)[i].box, ref);
      EXPECT_GE(iou, 0.999f) << "face " << i;
      worst_iou = std::min(worst_iou, iou);
      worst_score = std::max(worst_score, std::abs((*got)[i].score - want[i].at("score").get<float>()));
      ++faces;
    }
  }
  EXPECT_LE(worst_score, 1e-4f);
  EXPECT_EQ(faces, 26) << "22 demo faces and one per crop";
  std::printf("rfb pass: %d faces, min IoU %.5f, max score diff %.3g\n", faces, worst_iou, worst_score);
}

}  // namespace
}  // namespace facegate::golden
