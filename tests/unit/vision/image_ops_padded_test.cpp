// The one-pass padded resize equals face-api's pad-then-resize exactly.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "vision/image_ops.h"

namespace facegate::vision {
namespace {

TEST(ImageOps, PaddedSquareResizeEqualsPadThenResize) {
  cv::RNG rng(7);
  for (cv::Size size : {cv::Size(640, 480), cv::Size(300, 500), cv::Size(512, 512), cv::Size(37, 91)}) {
    cv::Mat u8(size, CV_8UC3);
    rng.fill(u8, cv::RNG::UNIFORM, 0, 256);
    cv::Mat f;
    u8.convertTo(f, CV_32F);
    const PaddedSquare sq = PadToSquare(f, PadPlacement::kBottomRight);
    const cv::Mat expected = ResizeBilinearTf(sq.image, 512, 512);
    const int side = std::max(size.width, size.height);
    for (const cv::Mat& src : {u8, f}) {
      const cv::Mat got = ResizeBilinearTfPaddedSquare(src, side, 512);
      ASSERT_EQ(got.type(), CV_32FC3);
      EXPECT_EQ(cv::norm(got, expected, cv::NORM_INF), 0.0) << size << " depth " << src.depth();
    }
  }
}

}  // namespace
}  // namespace facegate::vision
