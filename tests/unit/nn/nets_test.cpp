// The three face-api nets load from the verified cache, validate their input, are
// deterministic and thread-safe, and give sane answers on real LFW photos. (Exact
// agreement with face-api's JavaScript is the golden tests' job.)
#include "nn/nets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <thread>

using facegate::ErrorKind;
using namespace facegate::nn;

namespace {

class Nets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto files = ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    auto rec = RecognitionNet::Load(*files);
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    auto lm = LandmarkNet::Load(*files);
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    auto ssd = SsdNet::Load(*files);
    ASSERT_TRUE(ssd.ok()) << ssd.status().ToString();
    recognition_ = std::move(rec).value().release();
    landmarks_ = std::move(lm).value().release();
    ssd_ = std::move(ssd).value().release();
  }
  static void TearDownTestSuite() {
    delete recognition_;
    delete landmarks_;
    delete ssd_;
  }
  static RecognitionNet* recognition_;
  static LandmarkNet* landmarks_;
  static SsdNet* ssd_;
};
RecognitionNet* Nets::recognition_ = nullptr;
LandmarkNet* Nets::landmarks_ = nullptr;
SsdNet* Nets::ssd_ = nullptr;

cv::Mat Noise(int size, unsigned seed) {
  cv::Mat m(size, size, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0.f, 255.f);
  return m;
}

// An LFW photo as float RGB 0..255 (LFW images are 250x250 with the face in the middle).
cv::Mat Photo(const std::string& person, int index) {
  char name[16];
  std::snprintf(name, sizeof name, "_%04d.jpg", index);
  const std::string path = std::string(FACEGATE_FACEDATA) + "/lfw/" + person + "/" + person + name;
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  EXPECT_FALSE(bgr.empty()) << path;
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(rgb, CV_32FC3);
  return rgb;
}

cv::Mat Resized(const cv::Mat& m, int size) {
  cv::Mat out;
  cv::resize(m, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  return out;
}

// The best SSD box, in the photo's pixels (the photo is square so no padding is needed).
std::pair<cv::Rect2f, float> BestFace(SsdNet& ssd, const cv::Mat& photo) {
  auto out = ssd.Run(Resized(photo, SsdNet::kInputSize));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return {};
  size_t best = 0;
  for (size_t i = 1; i < out->scores.size(); ++i) {
    if (out->scores[i] > out->scores[best]) best = i;
  }
  cv::Rect2f b = out->boxes[best];
  const float s = static_cast<float>(photo.cols);
  return {cv::Rect2f(b.x * s, b.y * s, b.width * s, b.height * s), out->scores[best]};
}

cv::Mat Crop(const cv::Mat& photo, cv::Rect2f box, int size) {
  cv::Rect r = cv::Rect(box) & cv::Rect(0, 0, photo.cols, photo.rows);
  return Resized(photo(r), size);
}

float Distance(const std::array<float, 128>& a, const std::array<float, 128>& b) {
  double s = 0;
  for (int i = 0; i < 128; ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return static_cast<float>(std::sqrt(s));
}

}  // namespace

TEST_F(Nets, RefuseInputOfTheWrongSizeOrType) {
  auto rec = recognition_->Run(Noise(149, 1));
  EXPECT_EQ(rec.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(rec.status().message().find("150x150 CV_32FC3"), std::string::npos)
      << rec.status().message();
  cv::Mat bytes(150, 150, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_EQ(recognition_->Run(bytes).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(recognition_->Run(cv::Mat()).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(landmarks_->Run(Noise(150, 1)).status().kind(), ErrorKind::kInvalidInput);
  cv::Mat grey(112, 112, CV_32FC1, cv::Scalar(0));
  EXPECT_EQ(landmarks_->Run(grey).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(ssd_->Run(Noise(256, 1)).status().kind(), ErrorKind::kInvalidInput);
}

TEST_F(Nets, AcceptNonContiguousViews) {
  cv::Mat big = Noise(300, 7);
  cv::Mat view = big(cv::Rect(10, 20, 150, 150));
  auto a = recognition_->Run(view);
  auto b = recognition_->Run(view.clone());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST_F(Nets, GiveTheSameOutputForTheSameInput) {
  cv::Mat x = Noise(150, 2);
  auto a = recognition_->Run(x);
  auto b = recognition_->Run(x);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto c = recognition_->Run(Noise(150, 3));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);

  cv::Mat y = Noise(112, 2);
  auto la = landmarks_->Run(y), lb = landmarks_->Run(y);
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_EQ(*la, *lb);

  cv::Mat z = Noise(512, 2);
  auto sa = ssd_->Run(z), sb = ssd_->Run(z);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(sa->scores, sb->scores);
}

TEST_F(Nets, AreSafeToCallFromSeveralThreads) {
  std::vector<cv::Mat> inputs = {Noise(150, 11), Noise(150, 12)};
  std::vector<std::array<float, 128>> serial;
  for (const auto& x : inputs) serial.push_back(*recognition_->Run(x));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(inputs.size(), 0);
  for (size_t t = 0; t < inputs.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto d = recognition_->Run(inputs[t]);
        if (!d.ok() || *d != serial[t]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0}));
}

TEST_F(Nets, SsdFindsTheFaceInTheMiddleOfAnLfwPhoto) {
  cv::Mat photo = Photo("Padraig_Harrington", 1);
  auto out = ssd_->Run(Resized(photo, SsdNet::kInputSize));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->boxes.size(), size_t(SsdNet::kAnchors));
  ASSERT_EQ(out->scores.size(), size_t(SsdNet::kAnchors));
  for (float s : out->scores) ASSERT_TRUE(s >= 0.f && s <= 1.f);
  auto [box, score] = BestFace(*ssd_, photo);
  EXPECT_GT(score, 0.5f);
  const float cx = (box.x + box.width / 2) / photo.cols, cy = (box.y + box.height / 2) / photo.rows;
  EXPECT_NEAR(cx, 0.5f, 0.1f);
  EXPECT_NEAR(cy, 0.5f, 0.1f);
  EXPECT_GT(box.width, 0.2f * photo.cols);
  EXPECT_LT(box.width, 0.8f * photo.cols);
}

TEST_F(Nets, SsdFindsNoConfidentFaceInNoise) {
  auto out = ssd_->Run(Noise(512, 5));
  ASSERT_TRUE(out.ok());
  EXPECT_LT(*std::max_element(out->scores.begin(), out->scores.end()), 0.5f);
}

TEST_F(Nets, LandmarksPutEyesAboveNoseAboveMouth) {
  cv::Mat photo = Photo("Padraig_Harrington", 1);
  auto [box, score] = BestFace(*ssd_, photo);
  ASSERT_GT(score, 0.5f);
  auto pts = landmarks_->Run(Crop(photo, box, 112));
  ASSERT_TRUE(pts.ok()) << pts.status().ToString();
  auto x = [&](int i) { return (*pts)[2 * i]; };
  auto y = [&](int i) { return (*pts)[2 * i + 1]; };
  for (int i = 0; i < 68; ++i) {
    EXPECT_GT(x(i), -0.1f);
    EXPECT_LT(x(i), 1.1f);
    EXPECT_GT(y(i), -0.1f);
    EXPECT_LT(y(i), 1.1f);
  }
  const float eyes_y = (y(36) + y(39) + y(42) + y(45)) / 4;
  const float mouth_y = (y(48) + y(54)) / 2;
  EXPECT_LT(eyes_y, y(30));   // nose tip below the eyes
  EXPECT_LT(y(30), mouth_y);  // and above the mouth
  EXPECT_LT(x(36), x(45));    // right eye (image left) left of the left eye
  EXPECT_GT(x(30), x(39));    // nose tip between the inner eye corners
  EXPECT_LT(x(30), x(42));
}

TEST_F(Nets, RecognitionPutsTheSamePersonCloserThanAnother) {
  auto descriptor = [&](const std::string& person, int index) {
    cv::Mat photo = Photo(person, index);
    auto [box, score] = BestFace(*ssd_, photo);
    EXPECT_GT(score, 0.5f) << person << index;
    auto d = recognition_->Run(Crop(photo, box, 150));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return *d;
  };
  const auto a1 = descriptor("Padraig_Harrington", 1);
  const auto a2 = descriptor("Padraig_Harrington", 2);
  const auto b1 = descriptor("Abdoulaye_Wade", 1);
  const auto b2 = descriptor("Abdoulaye_Wade", 2);
  const float same = std::max(Distance(a1, a2), Distance(b1, b2));
  const float other =
      std::min({Distance(a1, b1), Distance(a1, b2), Distance(a2, b1), Distance(a2, b2)});
  std::printf("same-person distance <= %.3f, other-person distance >= %.3f\n", same, other);
  EXPECT_LT(same, other);
  EXPECT_LT(same, 0.6f);  // face-api's threshold
  EXPECT_GT(other, 0.6f);
}
