// The analysis API (Engine::Analyze, REQ SC3, AN1): what it returns cannot carry identity, its
// crop is face-api's, its numbers are plausible and repeatable on a real photo; and the
// accuracy bookkeeping of `eval attributes`.
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <type_traits>

#include "policy/gate.h"
#include "vision/attributes.h"
#include "vision/attributes_eval.h"
#include "engine_suite.h"

namespace facegate::vision {
namespace {

// ---- REQ AN1: FaceAttributes holds attributes only --------------------------------------------

// Exactly five members (a structured binding of any other count does not compile): where the
// face is, how sure the detector was, age, gender, expression. None is big enough for a 128-D
// template (512 bytes), a 68-point landmark set (544 bytes) or a crop.
static_assert(std::is_trivially_copyable_v<FaceAttributes>, "plain values, no pointers to pixels");
static_assert(sizeof(FaceAttributes) == sizeof(cv::Rect2f) + 3 * sizeof(float) +
                                            sizeof(std::array<float, kExpressionCount>),
              "a new FaceAttributes member must be reviewed against REQ AN1");
static_assert(sizeof(FaceAttributes) < sizeof(std::array<float, 128>) / 4);

TEST(FaceAttributes, HoldsOnlyBoxScoreAgeGenderAndExpression) {
  FaceAttributes a;
  auto& [box, score, age, p_female, expression] = a;
  static_assert(std::is_same_v<decltype(box), cv::Rect2f>);
  static_assert(std::is_same_v<decltype(score), float>);
  static_assert(std::is_same_v<decltype(age), float>);
  static_assert(std::is_same_v<decltype(p_female), float>);
  static_assert(std::is_same_v<decltype(expression), std::array<float, 7>>);
  EXPECT_EQ(expression.size(), 7u);
  EXPECT_STREQ(kExpressionLabels[0], "neutral");
  EXPECT_STREQ(kExpressionLabels[6], "surprised");
}

// ---- face-api's attribute crop -----------------------------------------------------------------

Landmarks68 Square(float x0, float y0, float side) {
  Landmarks68 lm;
  for (int i = 0; i < 68; ++i) lm[i] = {x0 + side * (i % 2), y0 + side * ((i / 2) % 2)};
  return lm;
}

TEST(AttributeBox, IsTheLandmarkBoxGrownByTheMarginAboutItsCentre) {
  const cv::Rect2f b = AttributeBox(Square(10, 20, 50), 0.2f);
  EXPECT_FLOAT_EQ(b.x, 5);
  EXPECT_FLOAT_EQ(b.y, 15);
  EXPECT_FLOAT_EQ(b.width, 60);
  EXPECT_FLOAT_EQ(b.height, 60);
  const cv::Rect2f none = AttributeBox(Square(10, 20, 50), 0.f);
  EXPECT_FLOAT_EQ(none.width, 50);
}

TEST(ClipAtImageBorders, ClipsTheUnflooredBoxThenFloors) {
  // face-api: x = max(-2.5, 0) = 0, w = min(-2.5 + 10.9 - 0, 100) = 8.4 -> 8.
  EXPECT_EQ(ClipAtImageBorders({-2.5f, 3.7f, 10.9f, 10.6f}, {100, 100}), cv::Rect(0, 3, 8, 10));
  // Beyond the right and bottom edges: w = min(95.5 + 10 - 95.5, 100 - 95.5) = 4.5 -> 4.
  EXPECT_EQ(ClipAtImageBorders({95.5f, 96.2f, 10, 10}, {100, 100}), cv::Rect(95, 96, 4, 3));
  EXPECT_TRUE(ClipAtImageBorders({120, 5, 10, 10}, {100, 100}).empty());
}

TEST(AttributeInput, Is112SquareFloatAndEmptyOutsideTheImage) {
  cv::Mat rgbf(200, 300, CV_32FC3, cv::Scalar(10, 20, 30));
  const cv::Mat in = AttributeInput(rgbf, Square(100, 50, 80), 0.2f);
  ASSERT_EQ(in.size(), cv::Size(112, 112));
  EXPECT_EQ(in.type(), CV_32FC3);
  EXPECT_NEAR(in.at<cv::Vec3f>(56, 56)[2], 30, 1e-4);
  EXPECT_TRUE(AttributeInput(rgbf, Square(1000, 1000, 50), 0.2f).empty());
}

// ---- Engine::Analyze on a real photo -----------------------------------------------------------

class AnalyzeTest : public EngineSuite {};

const char* kLfwPhoto = "/lfw/Rafael_Ramirez/Rafael_Ramirez_0001.jpg";

TEST_F(AnalyzeTest, GivesPlausibleDeterministicAttributesOnAnLfwPhoto) {
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("lfw-unit-test");
  auto img = ReadImageFile(std::string(FACEGATE_FACEDATA) + kLfwPhoto);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  StageTimings timings;
  auto faces = engine_->Analyze(grant, *img, &timings);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  ASSERT_GE(faces->size(), 1u);
  const FaceAttributes& f = faces->front();  // largest first: the photo's subject
  EXPECT_GT(f.box.area(), 50.f * 50.f);
  EXPECT_GE(f.detection_score, 0.5f);
  EXPECT_GE(f.age, 15.f);
  EXPECT_LE(f.age, 90.f);
  EXPECT_GE(f.p_female, 0.f);
  EXPECT_LE(f.p_female, 1.f);
  EXPECT_NEAR(std::accumulate(f.expression.begin(), f.expression.end(), 0.f), 1.f, 1e-5f);
  EXPECT_GT(timings.detect_ms, 0);
  EXPECT_GT(timings.embed_ms, 0);
  std::printf("age %.1f, p_female %.3f, top expression %s\n", f.age, f.p_female,
              kExpressionLabels[std::max_element(f.expression.begin(), f.expression.end()) -
                                f.expression.begin()]);

  auto again = engine_->Analyze(grant, *img);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), faces->size());
  EXPECT_EQ(again->front().age, f.age);
  EXPECT_EQ(again->front().p_female, f.p_female);
  EXPECT_EQ(again->front().expression, f.expression);
}

TEST_F(AnalyzeTest, FaceApiOptionsDifferFromTheDefaultOnlyByFlipAveraging) {
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("lfw-unit-test");
  auto img = ReadImageFile(std::string(FACEGATE_FACEDATA) + kLfwPhoto);
  ASSERT_TRUE(img.ok());
  auto plain = engine_->Analyze(grant, *img, AnalysisOptions::FaceApi());
  auto flipped = engine_->Analyze(grant, *img);  // the default: face-api's crop, flip-averaged
  ASSERT_TRUE(plain.ok() && flipped.ok());
  ASSERT_EQ(plain->size(), flipped->size());
  // Same face, same box; the mirrored view moves the estimate but not by much.
  EXPECT_EQ(plain->front().box, flipped->front().box);
  EXPECT_NE(plain->front().age, flipped->front().age);
  EXPECT_NEAR(plain->front().age, flipped->front().age, 10.f);
}

TEST_F(AnalyzeTest, RefusesAnEmptyOrNonRgbImageAndABadMargin) {
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("unit");
  EXPECT_EQ(engine_->Analyze(grant, cv::Mat()).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(engine_->Analyze(grant, cv::Mat(50, 50, CV_8UC1)).status().kind(),
            ErrorKind::kInvalidInput);
  AnalysisOptions bad;
  bad.box_margin = -1;
  EXPECT_EQ(engine_->Analyze(grant, cv::Mat(50, 50, CV_8UC3), bad).status().kind(),
            ErrorKind::kInvalidInput);
}

TEST_F(AnalyzeTest, FindsNoFaceInAPlainImage) {
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("unit");
  auto faces = engine_->Analyze(grant, cv::Mat(240, 320, CV_8UC3, cv::Scalar(90, 120, 150)));
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  EXPECT_TRUE(faces->empty());
}

// A UTKFace crop cut tight to the face, where the SSD and its framed retries find nothing: the
// RFB-320 fallback finds it, so it gets an age and gender (docs/attributes.md: no face on
// facedata/utkface 9 -> 2 of 400).
TEST_F(AnalyzeTest, ATightCropTheSsdMissesIsFoundByTheRfbFallback) {
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("utkface-unit-test");
  auto img = ReadImageFile(std::string(FACEGATE_FACEDATA) + "/utkface/17_0_0_20170104011953696.jpg.chip.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EngineConfig ssd_only;
  ssd_only.model_dir = FACEGATE_MODELS;
  ssd_only.lock_file = FACEGATE_LOCK;
  ssd_only.detector = Detector::kSsd;
  auto ssd = Engine::Load(ssd_only);
  ASSERT_TRUE(ssd.ok()) << ssd.status().ToString();
  auto without = (*ssd)->Analyze(grant, *img);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_TRUE(without->empty()) << "the SSD now finds this face: pick another crop it misses";
  auto with = engine_->Analyze(grant, *img);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  ASSERT_EQ(with->size(), 1u);
  EXPECT_GT((*with)[0].age, 5.f);
  EXPECT_LT((*with)[0].age, 40.f);  // a 17-year-old
}

// ---- eval attributes bookkeeping ----------------------------------------------------------------

TEST(AgeBands, FollowTheIssuesBands) {
  EXPECT_EQ(AgeBandOf(0), 0);
  EXPECT_EQ(AgeBandOf(12), 0);
  EXPECT_EQ(AgeBandOf(13), 1);
  EXPECT_EQ(AgeBandOf(19), 1);
  EXPECT_EQ(AgeBandOf(20), 2);
  EXPECT_EQ(AgeBandOf(39), 2);
  EXPECT_EQ(AgeBandOf(40), 3);
  EXPECT_EQ(AgeBandOf(59), 3);
  EXPECT_EQ(AgeBandOf(60), 4);
  EXPECT_STREQ(AgeBandName(4), "60+");
}

TEST(ReadAttributeSamples, ReadsLinesAndNamesABadOne) {
  const std::string file = ::testing::TempDir() + "/attrs.tsv";
  std::ofstream(file) << "# comment\na.jpg\t31\tF\nb.jpg\t5\tM\n";
  auto s = ReadAttributeSamples(file);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].path, "a.jpg");
  EXPECT_EQ((*s)[0].age, 31);
  EXPECT_TRUE((*s)[0].female);
  EXPECT_FALSE((*s)[1].female);
  std::ofstream(file) << "a.jpg\t31\tF\nb.jpg\tten\tM\n";
  auto bad = ReadAttributeSamples(file);
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
  std::ofstream(file) << "a.jpg\t31\tX\n";
  EXPECT_EQ(ReadAttributeSamples(file).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(ReadAttributeSamples(file + ".missing").status().kind(), ErrorKind::kNotFound);
}

TEST(SummariseAttributes, CountsMissedFacesAsGenderErrorsAndAveragesAgeOverFound) {
  const std::vector<AttributeSample> s = {{"a", 10, true}, {"b", 30, false}, {"c", 34, true},
                                          {"d", 70, false}};
  const std::vector<AttributePrediction> p = {
      {true, 12, 0.9f}, {true, 25, 0.8f}, {true, 34, 0.6f}, {false, 0, 0}};
  const AttributeReport r = SummariseAttributes(s, p);
  EXPECT_EQ(r.overall.photos, 4);
  EXPECT_EQ(r.overall.no_face, 1);
  EXPECT_DOUBLE_EQ(r.overall.age_mae, (2 + 5 + 0) / 3.0);
  EXPECT_DOUBLE_EQ(r.overall.age_bias, (2 - 5 + 0) / 3.0);
  EXPECT_DOUBLE_EQ(r.overall.gender_accuracy, 2 / 4.0);  // b wrong, d missed
  EXPECT_DOUBLE_EQ(r.overall.gender_accuracy_found, 2 / 3.0);
  ASSERT_EQ(r.bands.size(), 5u);
  EXPECT_EQ(r.bands[0].photos, 1);
  EXPECT_EQ(r.bands[2].photos, 2);
  EXPECT_DOUBLE_EQ(r.bands[2].age_mae, 2.5);
  EXPECT_EQ(r.bands[4].no_face, 1);
  EXPECT_EQ(r.no_face_paths, std::vector<std::string>{"d"});
}

TEST(AgeCorrection, RecoversALineAndCrossValidationNeverSeesTheScoredFold) {
  std::vector<AttributeSample> s;
  std::vector<AttributePrediction> p;
  for (int i = 0; i < 50; ++i) {
    s.push_back({"x", 10 + i, false});
    p.push_back({true, (10 + i - 4.f) / 1.25f, 0});  // true = 1.25 * predicted + 4
  }
  const AgeLine line = FitAgeLine(s, p, std::vector<bool>(s.size(), true));
  EXPECT_NEAR(line.slope, 1.25, 1e-6);  // predictions are float
  EXPECT_NEAR(line.intercept, 4, 1e-4);
  // An exact line survives cross-validation unchanged.
  for (const auto& c : CrossValidatedAgeCorrection(s, p, 5)) EXPECT_TRUE(c.found);
  EXPECT_NEAR(SummariseAttributes(s, CrossValidatedAgeCorrection(s, p, 5)).overall.age_mae, 0, 1e-4);
  // One wild label moves only the other folds' lines: its own fold is corrected by a line fitted
  // without it, so its own error stays large (no peeking).
  s[0].age = 90;
  const auto cv = CrossValidatedAgeCorrection(s, p, 5);
  EXPECT_GT(std::fabs(cv[0].age - 90), 70);
}

}  // namespace
}  // namespace facegate::vision
