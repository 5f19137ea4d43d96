// VideoReader (vision/video.h): frames sampled at the documented rate of video time
// (docs/analysis-video.md), clear errors for missing files, non-videos and absent cameras.
#include "vision/video.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <vector>

namespace facegate::vision {
namespace {

namespace fs = std::filesystem;

class VideoReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fg-video-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // `n` frames at `fps`; frame i is a flat grey of level 4 * i (readable back after MJPG).
  std::string Write(int n, double fps) {
    const std::string path = (dir_ / "clip.avi").string();
    cv::VideoWriter w(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(64, 48));
    EXPECT_TRUE(w.isOpened());
    for (int i = 0; i < n; ++i) w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(4 * i)));
    w.release();
    return path;
  }
  fs::path dir_;
};

int FrameIndex(const cv::Mat& rgb) { return cvRound(cv::mean(rgb)[0] / 4); }

TEST_F(VideoReaderTest, SamplesFramesAtTheRequestedRateOfVideoTime) {
  const std::string path = Write(50, 25);  // 2 s at 25 fps
  auto r = VideoReader::OpenFile(path, 5);  // every 5th frame exactly
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ((*r)->stream_fps(), 25);
  std::vector<int> indices;
  std::vector<int64_t> times;
  cv::Mat rgb;
  int64_t t = 0;
  for (;;) {
    auto more = (*r)->Next(&rgb, &t);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_EQ(rgb.type(), CV_8UC3);
    indices.push_back(FrameIndex(rgb));
    times.push_back(t);
  }
  EXPECT_EQ(indices, (std::vector<int>{0, 5, 10, 15, 20, 25, 30, 35, 40, 45}));
  EXPECT_EQ(times, (std::vector<int64_t>{0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800}));
  EXPECT_EQ((*r)->frames_read(), 50);
  EXPECT_EQ((*r)->position_ms(), 2000);

  // Rate 0: every frame.
  auto all = VideoReader::OpenFile(path, 0);
  ASSERT_TRUE(all.ok());
  int n = 0;
  while (*(*all)->Next(&rgb, &t)) ++n;
  EXPECT_EQ(n, 50);
}

TEST_F(VideoReaderTest, AN3_MissingFilesNonVideosAndAbsentCamerasAreClearErrors) {
  auto missing = VideoReader::OpenFile((dir_ / "none.mp4").string(), 2);
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
  std::ofstream((dir_ / "text.mp4").string()) << "not a video";
  auto text = VideoReader::OpenFile((dir_ / "text.mp4").string(), 2);
  EXPECT_EQ(text.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(text.status().message().find("convert it with ffmpeg"), std::string::npos);
  auto cam = VideoReader::OpenCamera(63, 2);
  EXPECT_EQ(cam.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(cam.status().message().find("/dev/video63"), std::string::npos);
  EXPECT_EQ(VideoReader::OpenCamera(-1, 2).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(VideoReader::OpenFile(Write(5, 25), std::numeric_limits<double>::infinity()).status().kind(), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace facegate::vision
