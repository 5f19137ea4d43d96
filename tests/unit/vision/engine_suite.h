// One real Engine per test suite: the pinned models from FACEGATE_MODELS, checked
// against models.lock, loaded once in SetUpTestSuite and shared by the suite's tests.
#pragma once

#include <facegate/vision.h>
#include <gtest/gtest.h>

namespace facegate::vision {

class EngineSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineConfig config;
    config.model_dir = FACEGATE_MODELS;
    config.lock_file = FACEGATE_LOCK;
    auto engine = Engine::Load(config);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value().release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  inline static Engine* engine_ = nullptr;
};

}  // namespace facegate::vision
