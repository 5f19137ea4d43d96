// The age/gender and expression nets load from the verified cache, refuse a wrong input,
// are deterministic and give distributions. (Equality with face-api is the golden tests' job:
// tests/golden/attributes_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <thread>

#include "nn/nets.h"

using facegate::ErrorKind;
using namespace facegate::nn;

namespace {

class AttributeNets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto files = ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    auto ag = AgeGenderNet::Load(*files);
    ASSERT_TRUE(ag.ok()) << ag.status().ToString();
    auto ex = ExpressionNet::Load(*files);
    ASSERT_TRUE(ex.ok()) << ex.status().ToString();
    age_gender_ = std::move(ag).value().release();
    expression_ = std::move(ex).value().release();
  }
  static void TearDownTestSuite() {
    delete age_gender_;
    delete expression_;
  }
  static AgeGenderNet* age_gender_;
  static ExpressionNet* expression_;
};
AgeGenderNet* AttributeNets::age_gender_ = nullptr;
ExpressionNet* AttributeNets::expression_ = nullptr;

cv::Mat Noise(int size, unsigned seed) {
  cv::Mat m(size, size, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0.f, 255.f);
  return m;
}

TEST_F(AttributeNets, RefuseAnInputOfTheWrongSizeOrType) {
  EXPECT_EQ(age_gender_->Run(Noise(100, 1)).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(expression_->Run(Noise(150, 1)).status().kind(), ErrorKind::kInvalidInput);
  cv::Mat bytes(112, 112, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_EQ(age_gender_->Run(bytes).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(expression_->Run(bytes).status().kind(), ErrorKind::kInvalidInput);
}

TEST_F(AttributeNets, GiveProbabilityDistributionsAndAFiniteAge) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const cv::Mat input = Noise(112, seed);
    auto ag = age_gender_->Run(input);
    ASSERT_TRUE(ag.ok()) << ag.status().ToString();
    EXPECT_TRUE(std::isfinite(ag->age));
    EXPECT_NEAR(ag->p_male + ag->p_female, 1.f, 1e-6f);
    EXPECT_GE(ag->p_female, 0.f);
    auto ex = expression_->Run(input);
    ASSERT_TRUE(ex.ok()) << ex.status().ToString();
    EXPECT_NEAR(std::accumulate(ex->begin(), ex->end(), 0.f), 1.f, 1e-5f);
    for (float p : *ex) EXPECT_GE(p, 0.f);
  }
}

TEST_F(AttributeNets, DifferentInputsGiveDifferentOutputs) {
  auto a = age_gender_->Run(Noise(112, 1));
  auto b = age_gender_->Run(cv::Mat(112, 112, CV_32FC3, cv::Scalar(128, 128, 128)));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->age, b->age);
  auto c = expression_->Run(Noise(112, 1));
  auto d = expression_->Run(cv::Mat(112, 112, CV_32FC3, cv::Scalar(128, 128, 128)));
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_NE(*c, *d);
}

TEST_F(AttributeNets, AreDeterministicUnderConcurrentCalls) {
  const cv::Mat input = Noise(112, 7);
  auto want_ag = age_gender_->Run(input);
  auto want_ex = expression_->Run(input);
  ASSERT_TRUE(want_ag.ok() && want_ex.ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        auto ag = age_gender_->Run(input);
        auto ex = expression_->Run(input);
        if (!ag.ok() || !ex.ok() || ag->age != want_ag->age || ag->p_female != want_ag->p_female ||
            *ex != *want_ex) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ExpressionLabels, AreFaceApisOrder) {
  // face-api's FACE_EXPRESSION_LABELS (dist/face-api.node-wasm.js).
  const char* want[] = {"neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"};
  for (int i = 0; i < ExpressionNet::kClasses; ++i) EXPECT_STREQ(ExpressionNet::kLabels[i], want[i]);
}

}  // namespace
