// The pixel and box arithmetic the face-api nets expect: TF resize, padding to
// a square, crops, NMS, SSD box mapping, choosing the centre face.
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "vision/detection.h"
#include "vision/image_ops.h"

namespace facegate::vision {
namespace {

TEST(ResizeBilinearTf, MatchesHandComputedThreeToTwo) {
  cv::Mat in = (cv::Mat_<float>(3, 3) << 0, 1, 2, 3, 4, 5, 6, 7, 8);
  cv::Mat out = ResizeBilinearTf(in, 2, 2);
  // src = dst * 3/2: (0,0)->(0,0); (0,1)->x=1.5; (1,0)->y=1.5; (1,1)->(1.5,1.5).
  EXPECT_FLOAT_EQ(out.at<float>(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(out.at<float>(0, 1), 1.5f);
  EXPECT_FLOAT_EQ(out.at<float>(1, 0), 4.5f);
  EXPECT_FLOAT_EQ(out.at<float>(1, 1), 6.0f);
  // cv::resize uses half-pixel centres and gives other values.
  cv::Mat cv_out;
  cv::resize(in, cv_out, cv::Size(2, 2), 0, 0, cv::INTER_LINEAR);
  EXPECT_NE(cv_out.at<float>(0, 0), out.at<float>(0, 0));
}

TEST(ResizeBilinearTf, UpscaleClampsAtTheLastRowAndColumn) {
  cv::Mat in = (cv::Mat_<float>(2, 2) << 0, 10, 20, 30);
  cv::Mat out = ResizeBilinearTf(in, 4, 4);
  EXPECT_FLOAT_EQ(out.at<float>(0, 1), 5.0f);   // x = 0.5
  EXPECT_FLOAT_EQ(out.at<float>(0, 3), 10.0f);  // x = 1.5 clamps to column 1
  EXPECT_FLOAT_EQ(out.at<float>(3, 3), 30.0f);
}

TEST(ResizeBilinearTf, KeepsThreeChannelsApart) {
  cv::Mat in(3, 3, CV_32FC3, cv::Scalar(1, 2, 3));
  cv::Mat out = ResizeBilinearTf(in, 5, 7);
  EXPECT_EQ(out.size(), cv::Size(5, 7));
  EXPECT_EQ(out.at<cv::Vec3f>(6, 4), cv::Vec3f(1, 2, 3));
}

TEST(PadToSquare, CentredPutsTheRoundedHalfAfter) {
  // A crop (ROI) of a larger image: the padding is zeros, not its neighbours.
  cv::Mat parent(6, 7, CV_32FC1, cv::Scalar(9));
  cv::Mat tall = parent(cv::Rect(2, 0, 3, 6));
  tall.setTo(1);
  PaddedSquare sq = PadToSquare(tall, PadPlacement::kCentred);
  ASSERT_EQ(sq.image.size(), cv::Size(6, 6));
  EXPECT_EQ(sq.offset_x, 1);  // diff 3: round(1.5) = 2 after, 1 before
  EXPECT_EQ(sq.offset_y, 0);
  EXPECT_EQ(sq.image.at<float>(0, 0), 0);
  EXPECT_EQ(sq.image.at<float>(0, 1), 1);
  EXPECT_EQ(sq.image.at<float>(0, 3), 1);
  EXPECT_EQ(sq.image.at<float>(0, 4), 0);
}

TEST(PadToSquare, BottomRightPutsAllPaddingAfter) {
  cv::Mat wide(2, 5, CV_32FC1, cv::Scalar(1));
  PaddedSquare sq = PadToSquare(wide, PadPlacement::kBottomRight);
  ASSERT_EQ(sq.image.size(), cv::Size(5, 5));
  EXPECT_EQ(sq.offset_y, 0);
  EXPECT_EQ(sq.image.at<float>(1, 4), 1);
  EXPECT_EQ(sq.image.at<float>(2, 0), 0);
}

TEST(CropClipped, FloorsThenClipsAtTheBorders) {
  cv::Mat img(10, 10, CV_32FC1, cv::Scalar(0));
  cv::Rect used;
  cv::Mat crop = CropClipped(img, cv::Rect2f(-5.5f, 3.7f, 20.9f, 10.2f), &used);
  // floor: x=-6 y=3 w=20 h=10; clip: x=0, w=min(14,10)=10; y=3, h=min(10,7)=7.
  EXPECT_EQ(used, cv::Rect(0, 3, 10, 7));
  EXPECT_EQ(crop.size(), cv::Size(10, 7));
  EXPECT_TRUE(CropClipped(img, cv::Rect2f(20, 20, 5, 5)).empty());
}

TEST(NonMaxSuppression, KeepsTheBestOfOverlappingBoxes) {
  std::vector<cv::Rect2f> boxes = {
      {0, 0, 10, 10}, {1, 1, 10, 10}, {50, 50, 10, 10}, {0, 0, 10, 10}, {100, 100, 5, 5}};
  std::vector<float> scores = {0.8f, 0.9f, 0.7f, 0.5f, 0.3f};
  auto kept = NonMaxSuppression(boxes, scores, 100, 0.5f, 0.5f);
  // 1 (0.9) beats 0 (IoU 0.68); 2 is apart; 3 scores exactly 0.5 (not > 0.5); 4 too low.
  EXPECT_EQ(kept, (std::vector<int>{1, 2}));
  EXPECT_EQ(NonMaxSuppression(boxes, scores, 1, 0.5f, 0.5f), (std::vector<int>{1}));
  EXPECT_EQ(NonMaxSuppression(boxes, scores, 100, 0.5f, 0.2f), (std::vector<int>{1, 2, 4}));
}

TEST(NonMaxSuppression, KeepsBoxesOverlappingAtMostTheThreshold) {
  // IoU of these two is 50/150 = 1/3.
  std::vector<cv::Rect2f> boxes = {{0, 0, 10, 10}, {5, 0, 10, 10}};
  std::vector<float> scores = {0.9f, 0.8f};
  EXPECT_EQ(NonMaxSuppression(boxes, scores, 100, 0.5f, 0.5f).size(), 2u);
  EXPECT_EQ(NonMaxSuppression(boxes, scores, 100, 0.3f, 0.5f).size(), 1u);
  EXPECT_NEAR(IntersectionOverUnion(boxes[0], boxes[1]), 1.0f / 3, 1e-6);
}

TEST(SsdBoxToImage, ScalesBySquareSideAndClipsToTheImage) {
  // A 200x100 photo was padded bottom to 200x200.
  cv::Rect2f b = SsdBoxToImage(cv::Rect2f(0.1f, 0.2f, 0.3f, 0.4f), 200, cv::Size(200, 100));
  EXPECT_FLOAT_EQ(b.x, 20);
  EXPECT_FLOAT_EQ(b.y, 40);
  EXPECT_FLOAT_EQ(b.width, 60);
  EXPECT_FLOAT_EQ(b.height, 60);  // 40..120 clipped to 40..100
  cv::Rect2f out = SsdBoxToImage(cv::Rect2f(-0.1f, 0.9f, 0.3f, 0.3f), 200, cv::Size(200, 200));
  EXPECT_FLOAT_EQ(out.x, 0);
  EXPECT_FLOAT_EQ(out.width, 40);
  EXPECT_FLOAT_EQ(out.height, 20);
}

Face FaceAt(float x, float y, float w) {
  Face f;
  f.detection.box = cv::Rect2f(x, y, w, w);
  f.detection.score = 0.9f;
  return f;
}

TEST(NearestToCentre, PicksTheFaceInTheMiddleNotTheLargest) {
  std::vector<Face> faces = {FaceAt(0, 0, 120), FaceAt(100, 100, 50), FaceAt(200, 10, 40)};
  EXPECT_EQ(NearestToCentre(faces, cv::Size(250, 250)), 1);
  EXPECT_EQ(NearestToCentre({}, cv::Size(250, 250)), -1);
}

TEST(SortLargestFirst, OrdersByBoxArea) {
  std::vector<Face> faces = {FaceAt(0, 0, 20), FaceAt(0, 0, 80), FaceAt(0, 0, 50)};
  SortLargestFirst(faces);
  EXPECT_EQ(faces[0].detection.box.width, 80);
  EXPECT_EQ(faces[2].detection.box.width, 20);
}

}  // namespace
}  // namespace facegate::vision
