// DrowsinessMonitor on synthetic sequences: blinks and long closures counted, PERCLOS computed
// over the sliding window, yawns, and the level raised and lowered with its reason.
#include "vision/drowsiness.h"

#include <gtest/gtest.h>

#include <optional>

namespace facegate::vision {
namespace {

EyeState Eyes(EyeOpenness state, float mar = 0.05f) {
  EyeState s;
  s.box = {100, 100, 200, 200};
  s.detection_score = 0.9f;
  s.left_ear = s.right_ear = state == EyeOpenness::kClosed ? 0.1f : 0.3f;
  s.mar = mar;
  s.state = state;
  return s;
}
const std::optional<EyeState> kOpen = Eyes(EyeOpenness::kOpen);
const std::optional<EyeState> kClosed = Eyes(EyeOpenness::kClosed);
const std::optional<EyeState> kNoFace = std::nullopt;

// Feeds frames every `step` ms in [from, to) with the same face.
class Feed {
 public:
  explicit Feed(DrowsinessConfig c = {}, int64_t step = 40) : m(c), step_(step) {}
  Feed& Hold(const std::optional<EyeState>& f, int64_t ms) {
    for (int64_t end = t + ms; t < end; t += step_) EXPECT_TRUE(m.Add(t, f).ok());
    return *this;
  }
  const DrowsinessReport& r() const { return m.report(); }
  DrowsinessMonitor m;
  int64_t t = 0;

 private:
  int64_t step_;
};

TEST(DrowsinessMonitor, CountsBlinksBetweenFiftyAndFiveHundredMilliseconds) {
  Feed f;
  f.Hold(kOpen, 2000).Hold(kClosed, 120).Hold(kOpen, 2000).Hold(kClosed, 400).Hold(kOpen, 2000);
  EXPECT_EQ(f.r().blinks, 2);
  EXPECT_EQ(f.r().long_closures, 0);
  // A single closed frame at 40 ms is jitter: shorter than blink_min_ms = 50.
  f.Hold(kClosed, 40).Hold(kOpen, 1000);
  EXPECT_EQ(f.r().blinks, 2);
  EXPECT_EQ(f.r().blinks_in_window, 2);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone);
}

TEST(DrowsinessMonitor, RaisesHighDuringALongClosureAndHoldsItAfterwards) {
  Feed f;
  f.Hold(kOpen, 3000).Hold(kClosed, 480);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone);
  EXPECT_EQ(f.r().long_closures, 0);
  f.Hold(kClosed, 600);  // now closed for about 1.1 s: a micro-sleep, alert before reopening
  EXPECT_EQ(f.r().level, DrowsinessLevel::kHigh);
  EXPECT_EQ(f.r().long_closures, 1);
  EXPECT_GT(f.r().closed_now_ms, 1000);
  EXPECT_NE(f.r().reason.find("micro-sleep"), std::string::npos) << f.r().reason;
  f.Hold(kOpen, 1000);
  EXPECT_EQ(f.r().long_closures, 1);  // not counted a second time on reopening
  EXPECT_EQ(f.r().blinks, 0);
  EXPECT_EQ(f.r().closed_now_ms, 0);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kHigh) << "held for microsleep_hold_ms";
  f.Hold(kOpen, 10'000);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kLow) << f.r().reason;  // still in the 60 s window
  f.Hold(kOpen, 60'000);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone) << f.r().reason;
  EXPECT_EQ(f.r().long_closures_in_window, 0);
}

TEST(DrowsinessMonitor, ComputesPerclosAsTheClosedShareOfTheWindow) {
  DrowsinessConfig c;
  c.window_ms = 10'000;
  c.min_observed_ms = 5'000;
  Feed f(c);
  f.Hold(kOpen, 3000);
  EXPECT_FALSE(f.r().perclos.has_value()) << "only 3 s seen of the 5 s needed";
  EXPECT_NE(f.r().reason.find("not enough"), std::string::npos);
  // 10 cycles of 800 ms open + 200 ms closed (blinks): 20% closed.
  for (int i = 0; i < 10; ++i) f.Hold(kOpen, 800).Hold(kClosed, 200);
  ASSERT_TRUE(f.r().perclos.has_value());
  EXPECT_NEAR(*f.r().perclos, 0.2, 0.01);
  EXPECT_EQ(f.r().blinks, 9);  // the tenth closure has not reopened yet
  EXPECT_EQ(f.r().level, DrowsinessLevel::kHigh) << "PERCLOS 20% >= 15%";
  EXPECT_NE(f.r().reason.find("PERCLOS"), std::string::npos) << f.r().reason;
  // 10 s of open eyes slide every closure out of the window.
  f.Hold(kOpen, 10'200);
  EXPECT_NEAR(*f.r().perclos, 0.0, 0.01);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone);
  EXPECT_EQ(f.r().blinks, 10);
  EXPECT_EQ(f.r().blinks_in_window, 0);
}

TEST(DrowsinessMonitor, LowBetweenThePerclosThresholds) {
  DrowsinessConfig c;
  c.window_ms = 10'000;
  c.min_observed_ms = 5'000;
  Feed f(c);
  for (int i = 0; i < 12; ++i) f.Hold(kOpen, 880).Hold(kClosed, 120);  // 12% closed
  f.Hold(kOpen, 40);
  ASSERT_TRUE(f.r().perclos.has_value());
  EXPECT_NEAR(*f.r().perclos, 0.12, 0.015);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kLow) << f.r().reason;
}

TEST(DrowsinessMonitor, FramesWithoutAFaceAreNotCountedAsOpenOrClosed) {
  DrowsinessConfig c;
  c.window_ms = 10'000;
  c.min_observed_ms = 5'000;
  Feed f(c);
  f.Hold(kOpen, 4000).Hold(kClosed, 1000).Hold(kNoFace, 5000);
  ASSERT_TRUE(f.r().perclos.has_value());
  EXPECT_EQ(f.r().observed_ms, 5000);
  EXPECT_NEAR(*f.r().perclos, 0.2, 0.01);
  // The closure was long (1 s before the face was lost) and ended when the face stayed away.
  EXPECT_EQ(f.r().long_closures, 1);
  EXPECT_EQ(f.r().closed_now_ms, 0);
}

TEST(DrowsinessMonitor, ABriefLossOfTheFaceDoesNotEndAClosure) {
  Feed f;
  f.Hold(kOpen, 2000).Hold(kClosed, 200).Hold(kNoFace, 160).Hold(kClosed, 80).Hold(kOpen, 500);
  EXPECT_EQ(f.r().blinks, 1);  // one closure of 440 ms, not two
  EXPECT_EQ(f.r().long_closures, 0);
}

TEST(DrowsinessMonitor, AWinkIsNotAClosure) {
  Feed f;
  f.Hold(kOpen, 2000).Hold(Eyes(EyeOpenness::kOneClosed), 2000).Hold(kOpen, 1000);
  EXPECT_EQ(f.r().blinks, 0);
  EXPECT_EQ(f.r().long_closures, 0);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone);
}

TEST(DrowsinessMonitor, CountsYawnsHeldLongerThanASecondAndRaisesLowOnTwo) {
  Feed f;
  const std::optional<EyeState> yawning = Eyes(EyeOpenness::kOpen, 0.7f);
  const std::optional<EyeState> talking = Eyes(EyeOpenness::kOpen, 0.3f);
  f.Hold(kOpen, 2000).Hold(yawning, 800).Hold(talking, 2000);
  EXPECT_EQ(f.r().yawns, 0) << "0.8 s is not a yawn";
  f.Hold(yawning, 2500).Hold(kOpen, 2000);
  EXPECT_EQ(f.r().yawns, 1) << "counted once however long it lasts";
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone);
  f.Hold(yawning, 1500).Hold(kOpen, 2000);
  EXPECT_EQ(f.r().yawns, 2);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kLow);
  EXPECT_NE(f.r().reason.find("2 yawns"), std::string::npos) << f.r().reason;
  f.Hold(kOpen, 60'000);
  EXPECT_EQ(f.r().yawns_in_window, 0);
  EXPECT_EQ(f.r().level, DrowsinessLevel::kNone);
}

TEST(DrowsinessMonitor, RefusesTimeGoingBackwardsAndABadConfig) {
  DrowsinessMonitor m;
  ASSERT_TRUE(m.Add(1000, kOpen).ok());
  const Status back = m.Add(999, kOpen);
  EXPECT_EQ(back.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(back.message().find("time order"), std::string::npos);
  DrowsinessConfig c;
  c.perclos_low = 0.5;
  c.perclos_high = 0.2;
  DrowsinessMonitor bad(c);
  EXPECT_EQ(bad.Add(0, kOpen).kind(), ErrorKind::kInvalidInput);
}

TEST(DrowsinessMonitor, AGapBetweenFramesCountsAtMostMaxFrameGap) {
  DrowsinessConfig c;
  c.window_ms = 20'000;
  c.min_observed_ms = 1'000;
  DrowsinessMonitor m(c);
  ASSERT_TRUE(m.Add(0, kOpen).ok());
  ASSERT_TRUE(m.Add(5000, kOpen).ok());  // 5 s without frames: only 1 s assumed open
  EXPECT_EQ(m.report().observed_ms, 1000);
}

}  // namespace
}  // namespace facegate::vision
