// Driver drowsiness over time from per-frame eye states (analysis scenario, issue 3): blinks,
// long closures (micro-sleeps), PERCLOS over a sliding window, yawns, and a level with its
// reason. Pure logic on timestamps and EyeState values: it sees no pixels and keeps no frame
// (REQ AN3), only the last window of open/closed spans. Method: docs/drowsiness.md.
#pragma once

#include <facegate/status.h>
#include <facegate/vision.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace facegate::vision {

struct DrowsinessConfig {
  int64_t blink_min_ms = 50;    // shorter closures are landmark jitter, not counted
  int64_t blink_max_ms = 500;   // closures up to this long are blinks
  int64_t microsleep_ms = 500;  // closures longer than this are long closures (micro-sleeps)
  int64_t window_ms = 60'000;   // PERCLOS and event-count window
  int64_t min_observed_ms =
      10'000;  // PERCLOS is reported once the window saw this much of the eyes
  int64_t max_frame_gap_ms = 1'000;  // a frame's state lasts until the next, at most this long
  double perclos_low = 0.08;         // PERCLOS at or above: LOW (Wierwille et al. 1994: 0.08-0.15)
  double perclos_high = 0.15;        // PERCLOS at or above: HIGH
  int64_t microsleep_hold_ms = 10'000;  // a micro-sleep keeps the level HIGH this long after it
  float yawn_mar = 0.5f;                // mouth aspect ratio above this is a mouth wide open
  int64_t yawn_min_ms = 1'000;          // held longer than this, it is a yawn
  int yawns_low = 2;                    // this many yawns in the window: LOW
};

enum class DrowsinessLevel { kNone, kLow, kHigh };
const char* ToString(DrowsinessLevel level);

struct DrowsinessReport {
  DrowsinessLevel level = DrowsinessLevel::kNone;
  std::string reason;     // why the level, e.g. "eyes closed for 1.2 s (micro-sleep)"
  int blinks = 0;         // since the start
  int long_closures = 0;  // since the start, counted when the eyes reopen or pass microsleep_ms
  int yawns = 0;          // since the start
  int blinks_in_window = 0;
  int long_closures_in_window = 0;
  int yawns_in_window = 0;
  std::optional<double> perclos;  // share of observed window time with eyes closed, in [0,1]
  int64_t observed_ms = 0;        // time in the window with a known eye state
  int64_t closed_now_ms = 0;      // length of the current closure, 0 when the eyes are not closed
};

// Fed one frame at a time in time order; report() is the state after the last frame.
class DrowsinessMonitor {
 public:
  explicit DrowsinessMonitor(DrowsinessConfig config = {});
  // One frame at `t_ms` (any monotonic clock): the driver's face, or nullopt when none was
  // found. kInvalidInput if time goes backwards or the config is inconsistent.
  Status Add(int64_t t_ms, const std::optional<EyeState>& face);
  const DrowsinessReport& report() const { return report_; }
  const DrowsinessConfig& config() const { return config_; }

 private:
  enum class Eyes { kUnknown, kOpen, kClosed };
  struct Span {
    int64_t begin, end;
    Eyes eyes;
  };
  void CloseSpan(int64_t t_ms);
  void Evict(int64_t now_ms);
  void Evaluate(int64_t now_ms);

  DrowsinessConfig config_;
  Status config_status_;
  DrowsinessReport report_;
  std::optional<int64_t> last_t_;
  Eyes last_eyes_ = Eyes::kUnknown;
  std::deque<Span> spans_;                // the window's eye-state spans
  std::optional<int64_t> closure_start_;  // first closed frame of the current closure
  int64_t last_closed_t_ = 0;
  bool closure_counted_long_ = false;  // the current closure already counted as long
  std::optional<int64_t> mouth_open_since_;
  bool yawn_counted_ = false;
  std::deque<int64_t> blink_times_, long_closure_times_, yawn_times_;
};

}  // namespace facegate::vision
