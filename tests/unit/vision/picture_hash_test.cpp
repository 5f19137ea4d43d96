// The picture hash an analysis window remembers to count a picture sent again once (REQ AN2):
// the same picture sent again is the same hash, a light re-encoding mostly stays within
// kSamePictureBits, and photos of different people never do. How often a heavier re-encoding, a
// rescaled or a mirrored copy is caught is printed (the detection box moves with them). Measured on the first photo of the first 150 people of
// facedata/lfw with the engine's own detection boxes (what Service::Analyze hashes); the figures
// are printed for docs/statistics.md ("Repeats").
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "engine_suite.h"
#include "policy/gate.h"
#include "vision/picture_hash.h"

namespace facegate::vision {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> FirstPhotos(size_t n) {
  std::vector<std::string> people;
  for (const auto& e : fs::directory_iterator(std::string(FACEGATE_FACEDATA) + "/lfw"))
    if (e.is_directory()) people.push_back(e.path().string());
  std::sort(people.begin(), people.end());
  std::vector<std::string> out;
  for (const std::string& p : people) {
    if (out.size() == n) break;
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(p)) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    if (!files.empty()) out.push_back(files.front());
  }
  return out;
}

// The hashes of every face the engine finds in `rgb`, largest first.
std::vector<std::string> HashesOf(Engine& engine, const cv::Mat& rgb, bool mirror = false) {
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis("picture-hash-test");
  auto faces = engine.Analyze(grant, rgb);
  std::vector<std::string> out;
  if (faces.ok())
    for (const FaceAttributes& f : *faces) out.push_back(PictureHash(rgb, f.box, mirror));
  return out;
}

// The distance from `h` to the nearest of `others` (a photo may hold a second, smaller face:
// Service::Analyze compares each face with every face seen).
int Nearest(const std::string& h, const std::vector<std::string>& others) {
  int best = 1 << 20;
  for (const std::string& o : others) best = std::min(best, PictureHashDistance(h, o));
  return best;
}

cv::Mat Reencoded(const cv::Mat& rgb, int quality) {
  std::vector<uint8_t> buf;
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  cv::Mat back = cv::imdecode(buf, cv::IMREAD_COLOR), out;
  cv::cvtColor(back, out, cv::COLOR_BGR2RGB);
  return out;
}

class PictureHashTest : public EngineSuite {};

TEST(PictureHash, IsSixtyFourHexDigitsAndEmptyForATinyBox) {
  cv::Mat rgb(64, 64, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::randu(rgb, cv::Scalar::all(0), cv::Scalar::all(255));
  const std::string h = PictureHash(rgb, cv::Rect2f(8, 8, 40, 40));
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(PictureHashDistance(h, h), 0);
  EXPECT_EQ(PictureHash(rgb, cv::Rect2f(62, 62, 30, 30)), "");  // 2x2 inside the image
  EXPECT_GT(PictureHashDistance(h, ""), 256);
}

TEST_F(PictureHashTest, AN2_TheSamePictureSentAgainMatchesAndOtherPeopleDoNot) {
  const std::vector<std::string> photos = FirstPhotos(150);
  std::vector<std::string> hashes;
  int checked = 0, exact_max = 0;
  int caught_q90 = 0, caught_q60 = 0, caught_small = 0, caught_mirror = 0;
  for (const std::string& path : photos) {
    cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR), rgb;
    ASSERT_FALSE(bgr.empty()) << path;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    const std::vector<std::string> all = HashesOf(*engine_, rgb);
    if (all.empty()) continue;
    const std::string h = all.front();
    hashes.push_back(h);
    if (checked >= 40) continue;  // the copies of the first 40 faces
    ++checked;
    exact_max = std::max(exact_max, Nearest(h, HashesOf(*engine_, rgb.clone())));
    cv::Mat smaller, flipped;
    cv::resize(rgb, smaller, cv::Size(), 0.7, 0.7, cv::INTER_AREA);
    cv::flip(rgb, flipped, 1);
    caught_q90 += Nearest(h, HashesOf(*engine_, Reencoded(rgb, 90))) <= kSamePictureBits;
    caught_q60 += Nearest(h, HashesOf(*engine_, Reencoded(rgb, 60))) <= kSamePictureBits;
    caught_small += Nearest(h, HashesOf(*engine_, smaller)) <= kSamePictureBits;
    // A mirrored picture is compared through its mirrored hash (Service::Analyze does both).
    caught_mirror += Nearest(h, HashesOf(*engine_, flipped, true)) <= kSamePictureBits;
  }
  ASSERT_GE(hashes.size(), 140u);
  int other_min = 1 << 20, close = 0, pairs = 0;
  for (size_t i = 0; i < hashes.size(); ++i)
    for (size_t j = i + 1; j < hashes.size(); ++j) {
      const int d = PictureHashDistance(hashes[i], hashes[j]);
      other_min = std::min(other_min, d);
      close += d <= kSamePictureBits;
      ++pairs;
    }
  std::printf("the same picture counted again, of %d faces: sent again %d, re-encoded q90 %d, q60 %d, "
              "scaled 0.7x %d, mirrored %d; different people (%d pairs): nearest %d bits, %d within %d\n",
              checked, checked, caught_q90, caught_q60, caught_small, caught_mirror, pairs, other_min, close,
              kSamePictureBits);
  EXPECT_EQ(exact_max, 0) << "the same bytes must give the same hash";
  EXPECT_GE(caught_q90, checked * 3 / 4) << "a light re-encoding must mostly be caught";
  EXPECT_EQ(close, 0) << "two different people's pictures would count as one";
}

}  // namespace
}  // namespace facegate::vision
