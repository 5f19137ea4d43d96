// The engine end to end on real LFW photos: it finds the face, and templates of
// one person lie closer together than templates of two people.
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "policy/gate.h"
#include "vision/detection.h"
#include "engine_suite.h"

namespace facegate::vision {
namespace {

std::string Lfw(const std::string& rel) {
  return std::string(FACEGATE_FACEDATA) + "/lfw/" + rel;
}

class EngineTest : public EngineSuite {
 protected:
  // The template of the centre face of an LFW photo.
  static Template CentreTemplate(const std::string& rel) {
    const Grant grant = policy::Gate::AuthorizeResearch("lfw-unit-test");
    auto img = ReadImageFile(Lfw(rel));
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    auto faces = engine_->Detect(grant, *img);
    EXPECT_TRUE(faces.ok()) << faces.status().ToString();
    EXPECT_FALSE(faces->empty()) << rel;
    const int i = NearestToCentre(*faces, img->size());
    auto t = engine_->Extract(grant, *img, (*faces)[i]);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return *t;
  }

};

TEST_F(EngineTest, DetectsTheFaceAndItsLandmarksInAnLfwPhoto) {
  const Grant grant = policy::Gate::AuthorizeResearch("lfw-unit-test");
  auto img = ReadImageFile(Lfw("Rafael_Ramirez/Rafael_Ramirez_0001.jpg"));
  ASSERT_TRUE(img.ok());
  StageTimings timings;
  auto faces = engine_->Detect(grant, *img, &timings);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  ASSERT_GE(faces->size(), 1u);
  const Face& f = (*faces)[NearestToCentre(*faces, img->size())];
  EXPECT_GT(f.detection.score, 0.5f);
  // LFW centres the labelled face in the 250x250 photo.
  const cv::Point2f centre(f.detection.box.x + f.detection.box.width / 2,
                           f.detection.box.y + f.detection.box.height / 2);
  EXPECT_NEAR(centre.x, 125, 30);
  EXPECT_NEAR(centre.y, 125, 40);
  // Eyes (36..47) above the mouth (48..67), left eye left of the right one, all in the box.
  EXPECT_LT(f.landmarks[36].x, f.landmarks[45].x);
  EXPECT_LT(f.landmarks[36].y, f.landmarks[57].y);
  EXPECT_GT(timings.detect_ms, 0);
  EXPECT_GT(timings.landmarks_ms, 0);
}

TEST_F(EngineTest, SamePersonIsCloserThanDifferentPeople) {
  const Template a1 = CentreTemplate("Rafael_Ramirez/Rafael_Ramirez_0001.jpg");
  const Template a2 = CentreTemplate("Rafael_Ramirez/Rafael_Ramirez_0002.jpg");
  const Template b = CentreTemplate("Ian_McKellen/Ian_McKellen_0003.jpg");
  EXPECT_EQ(a1.model(), engine_->model_version());
  const float same = a1.DistanceTo(a2);
  EXPECT_LT(same, a1.DistanceTo(b));
  EXPECT_LT(same, a2.DistanceTo(b));
  // The default recognizer's calibrated verification threshold (docs/vision.md).
  EXPECT_LT(same, 1.173f);
  EXPECT_GT(a1.DistanceTo(b), 1.173f);
}

TEST_F(EngineTest, ConcurrentCallsGiveTheSameTemplatesAsSequentialOnes) {
  const std::vector<std::string> photos = {"Rafael_Ramirez/Rafael_Ramirez_0001.jpg",
                                           "Ian_McKellen/Ian_McKellen_0003.jpg"};
  std::vector<Template> sequential;
  for (const auto& p : photos) sequential.push_back(CentreTemplate(p));
  std::vector<std::optional<Template>> parallel(photos.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < photos.size(); ++i) {
    threads.emplace_back([&, i] { parallel[i] = CentreTemplate(photos[i]); });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < photos.size(); ++i) {
    ASSERT_TRUE(parallel[i].has_value());
    EXPECT_LT(parallel[i]->DistanceTo(sequential[i]), 1e-5f) << photos[i];
  }
}

TEST_F(EngineTest, FindsTheFaceInATightCropThatThePlainPassMisses) {
  // face-api's single SSD pass finds nothing in this 200x200 UTKFace crop (best
  // score 0.29); framed with a border as wide as the photo, it scores 0.94.
  const Grant grant = policy::Gate::AuthorizeResearch("utkface-unit-test");
  auto img = ReadImageFile(std::string(FACEGATE_FACEDATA) +
                           "/utkface/100_1_2_20170105174847679.jpg.chip.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  auto faces = engine_->Detect(grant, *img);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  ASSERT_FALSE(faces->empty());
  const cv::Rect2f box = faces->front().detection.box;
  EXPECT_NEAR(box.x + box.width / 2, 100, 30);
  EXPECT_GT(box.width, 100);
}

TEST_F(EngineTest, FillsTheAlignAndEmbedTimings) {
  const Grant grant = policy::Gate::AuthorizeResearch("lfw-unit-test");
  auto img = ReadImageFile(Lfw("Ian_McKellen/Ian_McKellen_0003.jpg"));
  ASSERT_TRUE(img.ok());
  auto faces = engine_->Detect(grant, *img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  StageTimings timings;
  ASSERT_TRUE(engine_->Extract(grant, *img, faces->front(), &timings).ok());
  EXPECT_GT(timings.align_ms, 0);
  EXPECT_GT(timings.embed_ms, 0);
}

TEST_F(EngineTest, RefusesAnImageThatIsNotEightBitRgb) {
  const Grant grant = policy::Gate::AuthorizeResearch("lfw-unit-test");
  auto r = engine_->Detect(grant, cv::Mat());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput);
  r = engine_->Detect(grant, cv::Mat(10, 10, CV_8UC1, cv::Scalar(0)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput);
}

TEST(EngineLoad, NamesAMissingModelDirectory) {
  EngineConfig config;
  config.model_dir = "/nonexistent/models";
  config.lock_file = FACEGATE_LOCK;
  auto engine = Engine::Load(config);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace facegate::vision
