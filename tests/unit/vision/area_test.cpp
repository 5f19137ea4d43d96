// The collection area (REQ D2): its checks name what is wrong, its centre-inside test holds on
// the edges, and with the real engine a face outside the area is dropped at detection, before
// any landmark, while a face inside gets the landmarks Detect would give it.
#include <facegate/vision.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "engine_suite.h"
#include "policy/gate.h"
#include "../../support/requirement.h"

namespace facegate::vision {
namespace {

using ::testing::HasSubstr;

CollectionArea Area(std::vector<cv::Point2f> points) { return CollectionArea{std::move(points)}; }

// A box of side 10 px centred at (cx, cy) in a 100x100 frame.
cv::Rect2f BoxAt(float cx, float cy) { return {cx - 5, cy - 5, 10, 10}; }
const cv::Size kFrame(100, 100);

// ---- Check --------------------------------------------------------------------------------

TEST(AreaTest, EmptyAreaIsTheWholeFrameAndPasses) {
  const CollectionArea whole;
  EXPECT_TRUE(whole.Check().ok());
  EXPECT_TRUE(whole.Contains(BoxAt(1, 1), kFrame));
  EXPECT_TRUE(whole.Contains(BoxAt(99, 50), kFrame));
}

TEST(AreaTest, ASquareAndAConcavePolygonPass) {
  EXPECT_TRUE(Area({{0, 0}, {1, 0}, {1, 1}, {0, 1}}).Check().ok());
  // An L shape, listed clockwise and anticlockwise.
  const std::vector<cv::Point2f> l = {{0.1f, 0.1f}, {0.5f, 0.1f}, {0.5f, 0.5f}, {0.9f, 0.5f},
                                      {0.9f, 0.9f}, {0.1f, 0.9f}};
  EXPECT_TRUE(Area(l).Check().ok());
  EXPECT_TRUE(Area({l.rbegin(), l.rend()}).Check().ok());
}

TEST(AreaTest, FewerThanThreePointsAreRefused) {
  const Status s = Area({{0.1f, 0.1f}, {0.9f, 0.9f}}).Check();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(s.message(), HasSubstr("has 2 points; give at least 3"));
}

TEST(AreaTest, APointOutsideTheUnitSquareIsRefusedAndNamed) {
  const Status s = Area({{0.1f, 0.1f}, {0.9f, 0.1f}, {1.2f, 0.5f}, {0.1f, 0.9f}}).Check();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(s.message(), HasSubstr("point 2 (1.2, 0.5) lies outside [0,1]"));
  const Status negative = Area({{0.1f, -0.01f}, {0.9f, 0.1f}, {0.1f, 0.9f}}).Check();
  EXPECT_THAT(negative.message(), HasSubstr("point 0 "));
  const Status nan = Area({{0.1f, 0.1f}, {NAN, 0.1f}, {0.1f, 0.9f}}).Check();
  EXPECT_EQ(nan.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(nan.message(), HasSubstr("point 1 "));
}

TEST(AreaTest, ARepeatedPointIsRefusedAndNamed) {
  const Status s = Area({{0.1f, 0.1f}, {0.9f, 0.1f}, {0.9f, 0.1f}, {0.1f, 0.9f}}).Check();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(s.message(), HasSubstr("point 2 (0.9, 0.1) repeats point 1"));
}

TEST(AreaTest, PointsOnOneLineHaveZeroAreaAndAreRefused) {
  const Status s = Area({{0.1f, 0.1f}, {0.5f, 0.5f}, {0.9f, 0.9f}}).Check();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(s.message(), HasSubstr("zero area"));
}

TEST(AreaTest, ASelfIntersectingPolygonIsRefusedNamingTheCrossingEdges) {
  // A bow tie: edge 0-1 crosses edge 2-3.
  const Status bow = Area({{0.1f, 0.1f}, {0.9f, 0.9f}, {0.9f, 0.1f}, {0.1f, 0.8f}}).Check();
  EXPECT_EQ(bow.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(bow.message(), HasSubstr("intersects itself: the edge from point 0 to point 1 meets the "
                                       "edge from point 2 to point 3"));
  // Two edges that touch at a point that is not a shared vertex: point 4 lies on edge 0-1.
  const Status touch =
      Area({{0.1f, 0.1f}, {0.9f, 0.1f}, {0.9f, 0.9f}, {0.5f, 0.9f}, {0.5f, 0.1f}, {0.1f, 0.9f}}).Check();
  EXPECT_EQ(touch.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(touch.message(), HasSubstr("intersects itself"));
  // An edge that folds back along the previous one (a spike).
  const Status spike = Area({{0.1f, 0.1f}, {0.9f, 0.1f}, {0.5f, 0.1f}, {0.5f, 0.9f}}).Check();
  EXPECT_EQ(spike.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(spike.message(), HasSubstr("intersects itself"));
}

// ---- Contains -----------------------------------------------------------------------------

TEST(AreaTest, ContainsJudgesTheBoxCentreWithTheBoundaryInside) {
  const CollectionArea middle = Area({{0.2f, 0.2f}, {0.8f, 0.2f}, {0.8f, 0.8f}, {0.2f, 0.8f}});
  EXPECT_TRUE(middle.Contains(BoxAt(50, 50), kFrame));
  EXPECT_TRUE(middle.Contains(BoxAt(20, 50), kFrame));  // on the left edge
  EXPECT_TRUE(middle.Contains(BoxAt(80, 80), kFrame));  // on a corner
  EXPECT_TRUE(middle.Contains(BoxAt(50, 80), kFrame));  // on the bottom edge
  EXPECT_FALSE(middle.Contains(BoxAt(19.9f, 50), kFrame));
  EXPECT_FALSE(middle.Contains(BoxAt(50, 80.1f), kFrame));
  EXPECT_FALSE(middle.Contains(BoxAt(10, 10), kFrame));
  // A box that overlaps the area but whose centre is outside is outside.
  EXPECT_FALSE(middle.Contains(cv::Rect2f(0, 30, 30, 30), kFrame));
  // A box that reaches outside but whose centre is inside is inside.
  EXPECT_TRUE(middle.Contains(cv::Rect2f(10, 10, 40, 40), kFrame));
}

TEST(AreaTest, ContainsScalesTheCentreByTheFrameSize) {
  const CollectionArea left = Area({{0, 0}, {0.5f, 0}, {0.5f, 1}, {0, 1}});
  const cv::Rect2f box(150, 100, 40, 40);  // centre (170, 120)
  EXPECT_TRUE(left.Contains(box, cv::Size(640, 480)));   // 170/640 = 0.27
  EXPECT_FALSE(left.Contains(box, cv::Size(300, 480)));  // 170/300 = 0.57
  EXPECT_FALSE(left.Contains(box, cv::Size(0, 0)));
}

TEST(AreaTest, ContainsHonoursTheNotchOfAConcaveArea) {
  // The L shape: the square (0.5..0.9, 0.1..0.5) is its notch, outside.
  const CollectionArea l = Area({{0.1f, 0.1f}, {0.5f, 0.1f}, {0.5f, 0.5f}, {0.9f, 0.5f}, {0.9f, 0.9f},
                                 {0.1f, 0.9f}});
  EXPECT_TRUE(l.Contains(BoxAt(30, 30), kFrame));
  EXPECT_TRUE(l.Contains(BoxAt(70, 70), kFrame));
  EXPECT_FALSE(l.Contains(BoxAt(70, 30), kFrame));
  EXPECT_TRUE(l.Contains(BoxAt(70, 50), kFrame));  // on the notch's lower edge
  // A triangle's slanted edge.
  const CollectionArea tri = Area({{0, 0}, {1, 0}, {0, 1}});
  EXPECT_TRUE(tri.Contains(BoxAt(40, 40), kFrame));
  EXPECT_TRUE(tri.Contains(BoxAt(50, 50), kFrame));  // on the hypotenuse
  EXPECT_FALSE(tri.Contains(BoxAt(60, 60), kFrame));
}

// ---- JSON ---------------------------------------------------------------------------------

TEST(AreaTest, JsonRoundTripsWithShortNumbers) {
  auto a = CollectionArea::FromJson("[[0.2,0.2],[0.8,0.2],[0.8,0.8],[0.2,0.8]]");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->polygon.size(), 4u);
  EXPECT_EQ(a->polygon[1], cv::Point2f(0.8f, 0.2f));
  EXPECT_EQ(a->ToJson(), "[[0.2,0.2],[0.8,0.2],[0.8,0.8],[0.2,0.8]]");
  auto again = CollectionArea::FromJson(a->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->polygon, a->polygon);
  auto whole = CollectionArea::FromJson("[]");
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE(whole->polygon.empty());
  EXPECT_EQ(whole->ToJson(), "[]");
}

TEST(AreaTest, BadJsonIsRefusedSayingWhatIsWrong) {
  EXPECT_THAT(CollectionArea::FromJson("[[0.2,0.2],").status().message(), HasSubstr("not valid JSON"));
  EXPECT_THAT(CollectionArea::FromJson("{\"x\":1}").status().message(), HasSubstr("not a JSON array"));
  const Status bad_point = CollectionArea::FromJson("[[0.2,0.2],[0.8],[0.8,0.8]]").status();
  EXPECT_EQ(bad_point.kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(bad_point.message(), HasSubstr("point 1 of the collection area is [0.8], not [x,y]"));
  EXPECT_THAT(CollectionArea::FromJson("[[0.2,0.2],[\"a\",0],[0.8,0.8]]").status().message(),
              HasSubstr("point 1 "));
  // Parsed but not a valid area: Check's message.
  EXPECT_THAT(CollectionArea::FromJson("[[0.2,0.2],[1.5,0.2],[0.8,0.8]]").status().message(),
              HasSubstr("point 1 (1.5, 0.2) lies outside [0,1]"));
}

// ---- With the engine ----------------------------------------------------------------------

// An LFW photo with one face on the left half of a 500x250 frame, the right half grey.
class AreaEngineTest : public EngineSuite {
 protected:
  static cv::Mat OneFaceOnTheLeft() {
    auto photo =
        ReadImageFile(std::string(FACEGATE_FACEDATA) + "/lfw/Rafael_Ramirez/Rafael_Ramirez_0001.jpg");
    EXPECT_TRUE(photo.ok()) << photo.status().ToString();
    cv::Mat frame(250, 500, CV_8UC3, cv::Scalar(110, 110, 110));
    photo->copyTo(frame(cv::Rect(0, 0, 250, 250)));
    return frame;
  }
  static CollectionArea LeftHalf() { return Area({{0, 0}, {0.5f, 0}, {0.5f, 1}, {0, 1}}); }
  static CollectionArea RightHalf() { return Area({{0.5f, 0}, {1, 0}, {1, 1}, {0.5f, 1}}); }
};

TEST_F(AreaEngineTest, D2_AFaceOutsideTheAreaIsNeverLandmarkedOrReturned) {
  const Grant grant = policy::Gate::AuthorizeResearch("area-unit-test");
  const cv::Mat frame = OneFaceOnTheLeft();
  auto all = engine_->Detect(grant, frame);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u) << "the frame should hold exactly one face";
  REQUIREMENT("D2");
  int dropped = -1;
  StageTimings timings;
  timings.landmarks_ms = -1;  // DetectInArea runs no landmark stage, so leaves this alone
  auto in_right = engine_->DetectInArea(grant, frame, RightHalf(), &timings, &dropped);
  ASSERT_TRUE(in_right.ok()) << in_right.status().ToString();
  EXPECT_TRUE(in_right->empty());
  EXPECT_EQ(dropped, 1);
  EXPECT_GT(timings.detect_ms, 0);
  EXPECT_EQ(timings.landmarks_ms, -1);
}

TEST_F(AreaEngineTest, D2_AFaceInsideTheAreaIsReturnedAndNothingDropped) {
  const Grant grant = policy::Gate::AuthorizeResearch("area-unit-test");
  const cv::Mat frame = OneFaceOnTheLeft();
  REQUIREMENT("D2");
  int dropped = -1;
  auto in_left = engine_->DetectInArea(grant, frame, LeftHalf(), nullptr, &dropped);
  ASSERT_TRUE(in_left.ok()) << in_left.status().ToString();
  ASSERT_EQ(in_left->size(), 1u);
  EXPECT_EQ(dropped, 0);
  EXPECT_TRUE(LeftHalf().Contains((*in_left)[0].box, frame.size()));
  // The empty area is the whole frame.
  auto whole = engine_->DetectInArea(grant, frame, CollectionArea{}, nullptr, &dropped);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->size(), 1u);
  EXPECT_EQ(dropped, 0);
}

TEST_F(AreaEngineTest, D2_DetectInAreaThenLandmarkGiveDetectsLandmarks) {
  const Grant grant = policy::Gate::AuthorizeResearch("area-unit-test");
  const cv::Mat frame = OneFaceOnTheLeft();
  auto faces = engine_->Detect(grant, frame);
  ASSERT_TRUE(faces.ok());
  ASSERT_EQ(faces->size(), 1u);
  REQUIREMENT("D2");
  auto dets = engine_->DetectInArea(grant, frame, LeftHalf());
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_EQ((*dets)[0].box, (*faces)[0].detection.box);
  StageTimings timings;
  auto face = engine_->Landmark(grant, frame, (*dets)[0], &timings);
  ASSERT_TRUE(face.ok()) << face.status().ToString();
  EXPECT_GT(timings.landmarks_ms, 0);
  EXPECT_EQ(face->detection.score, (*faces)[0].detection.score);
  for (size_t i = 0; i < 68; ++i) {
    EXPECT_NEAR(face->landmarks[i].x, (*faces)[0].landmarks[i].x, 1e-3) << i;
    EXPECT_NEAR(face->landmarks[i].y, (*faces)[0].landmarks[i].y, 1e-3) << i;
  }
  // And the face is ready for Extract: the same template as from Detect's face.
  auto a = engine_->Extract(grant, frame, *face);
  auto b = engine_->Extract(grant, frame, (*faces)[0]);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < a->values().size(); ++i) EXPECT_NEAR(a->values()[i], b->values()[i], 1e-5) << i;
}

TEST_F(AreaEngineTest, DetectInAreaRefusesAnInvalidAreaAndLandmarkAnEmptyBox) {
  const Grant grant = policy::Gate::AuthorizeResearch("area-unit-test");
  const cv::Mat frame = OneFaceOnTheLeft();
  int dropped = -1;
  auto bad = engine_->DetectInArea(grant, frame, Area({{0.1f, 0.1f}, {0.9f, 0.9f}}), nullptr, &dropped);
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_THAT(bad.status().message(), HasSubstr("at least 3"));
  EXPECT_EQ(dropped, 0);
  EXPECT_EQ(engine_->DetectInArea(grant, cv::Mat(), LeftHalf()).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(engine_->Landmark(grant, frame, Detection{}).status().kind(), ErrorKind::kInvalidInput);
  // A box wholly outside the image.
  const Detection off{cv::Rect2f(600, 300, 50, 50), 0.9f};
  EXPECT_EQ(engine_->Landmark(grant, frame, off).status().kind(), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace facegate::vision
