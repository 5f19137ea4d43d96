// DrowsinessMonitor (vision/drowsiness.h): time-weighted eye states in a sliding window.
#include "vision/drowsiness.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace facegate::vision {
namespace {

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000.0);
  return buf;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

Status CheckConfig(const DrowsinessConfig& c) {
  if (c.blink_min_ms < 0 || c.blink_max_ms < c.blink_min_ms) {
    return Status::InvalidInput("DrowsinessConfig: need 0 <= blink_min_ms <= blink_max_ms");
  }
  if (c.microsleep_ms < c.blink_max_ms) {
    return Status::InvalidInput("DrowsinessConfig: microsleep_ms must be >= blink_max_ms");
  }
  if (c.window_ms <= 0 || c.min_observed_ms < 0 || c.min_observed_ms > c.window_ms) {
    return Status::InvalidInput(
        "DrowsinessConfig: need window_ms > 0 and 0 <= min_observed_ms "
        "<= window_ms");
  }
  if (c.max_frame_gap_ms <= 0) {
    return Status::InvalidInput("DrowsinessConfig: max_frame_gap_ms must be positive");
  }
  if (!(c.perclos_low > 0 && c.perclos_low <= c.perclos_high && c.perclos_high <= 1)) {
    return Status::InvalidInput("DrowsinessConfig: need 0 < perclos_low <= perclos_high <= 1");
  }
  return Status::Ok();
}

}  // namespace

const char* ToString(DrowsinessLevel level) {
  switch (level) {
    case DrowsinessLevel::kNone:
      return "none";
    case DrowsinessLevel::kLow:
      return "low";
    case DrowsinessLevel::kHigh:
      return "high";
  }
  return "none";
}

DrowsinessMonitor::DrowsinessMonitor(DrowsinessConfig config)
    : config_(config), config_status_(CheckConfig(config)) {}

void DrowsinessMonitor::CloseSpan(int64_t t_ms) {
  if (!last_t_ || last_eyes_ == Eyes::kUnknown) return;
  // The last frame's state lasts until this frame, but no longer than max_frame_gap_ms.
  const int64_t end = std::min(t_ms, *last_t_ + config_.max_frame_gap_ms);
  if (end <= *last_t_) return;
  if (!spans_.empty() && spans_.back().eyes == last_eyes_ && spans_.back().end == *last_t_) {
    spans_.back().end = end;
  } else {
    spans_.push_back({*last_t_, end, last_eyes_});
  }
}

void DrowsinessMonitor::Evict(int64_t now_ms) {
  const int64_t from = now_ms - config_.window_ms;
  while (!spans_.empty() && spans_.front().end <= from) spans_.pop_front();
  if (!spans_.empty() && spans_.front().begin < from) spans_.front().begin = from;
  for (auto* times : {&blink_times_, &long_closure_times_, &yawn_times_}) {
    while (!times->empty() && times->front() < from) times->pop_front();
  }
}

void DrowsinessMonitor::Evaluate(int64_t now_ms) {
  DrowsinessReport& r = report_;
  int64_t open = 0, closed = 0;
  for (const Span& s : spans_) (s.eyes == Eyes::kClosed ? closed : open) += s.end - s.begin;
  r.observed_ms = open + closed;
  r.perclos.reset();
  if (r.observed_ms > 0 && r.observed_ms >= config_.min_observed_ms) {
    r.perclos = static_cast<double>(closed) / static_cast<double>(r.observed_ms);
  }
  r.blinks_in_window = static_cast<int>(blink_times_.size());
  r.long_closures_in_window = static_cast<int>(long_closure_times_.size());
  r.yawns_in_window = static_cast<int>(yawn_times_.size());

  const std::string window = Seconds(config_.window_ms);
  std::vector<std::string> high, low;
  if (r.closed_now_ms > config_.microsleep_ms) {
    high.push_back("eyes closed for " + Seconds(r.closed_now_ms) + " (micro-sleep)");
  } else if (!long_closure_times_.empty() &&
             now_ms - long_closure_times_.back() <= config_.microsleep_hold_ms) {
    high.push_back("a long eye closure (micro-sleep) " +
                   Seconds(now_ms - long_closure_times_.back()) + " ago");
  } else if (r.long_closures_in_window > 0) {
    low.push_back(std::to_string(r.long_closures_in_window) + " long eye closure(s) in the last " +
                  window);
  }
  if (r.perclos) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "eyes closed %.0f%% of the last %s (PERCLOS", *r.perclos * 100,
                  window.c_str());
    if (*r.perclos >= config_.perclos_high) {
      high.push_back(std::string(buf) + " >= " + std::to_string(int(config_.perclos_high * 100)) +
                     "%)");
    } else if (*r.perclos >= config_.perclos_low) {
      low.push_back(std::string(buf) + " >= " + std::to_string(int(config_.perclos_low * 100)) +
                    "%)");
    }
  }
  if (config_.yawns_low > 0 && r.yawns_in_window >= config_.yawns_low) {
    low.push_back(std::to_string(r.yawns_in_window) + " yawns in the last " + window);
  }
  if (!high.empty()) {
    r.level = DrowsinessLevel::kHigh;
    high.insert(high.end(), low.begin(), low.end());
    r.reason = Join(high);
  } else if (!low.empty()) {
    r.level = DrowsinessLevel::kLow;
    r.reason = Join(low);
  } else {
    r.level = DrowsinessLevel::kNone;
    r.reason = r.perclos ? "no sign of drowsiness"
                         : "not enough of the eyes seen yet (" + Seconds(r.observed_ms) + " of " +
                               Seconds(config_.min_observed_ms) + ")";
  }
}

Status DrowsinessMonitor::Add(int64_t t_ms, const std::optional<EyeState>& face) {
  FG_RETURN_IF_ERROR(config_status_);
  if (last_t_ && t_ms < *last_t_) {
    return Status::InvalidInput("frame time " + std::to_string(t_ms) + " ms is before the last (" +
                                std::to_string(*last_t_) + " ms); feed frames in time order");
  }
  CloseSpan(t_ms);
  Eyes eyes = Eyes::kUnknown;
  if (face) {
    if (face->state == EyeOpenness::kClosed) eyes = Eyes::kClosed;
    // One eye open is an awake driver (a wink, or a turned head hiding one eye's lid).
    if (face->state == EyeOpenness::kOpen || face->state == EyeOpenness::kOneClosed) {
      eyes = Eyes::kOpen;
    }
  }

  // Closures: from the first closed frame to the first open one. Unknown frames (no face,
  // unsure) inside a closure do not end it unless they last longer than max_frame_gap_ms.
  auto end_closure = [this](int64_t end) {
    const int64_t d = end - *closure_start_;
    if (d > config_.microsleep_ms) {
      if (!closure_counted_long_) {
        ++report_.long_closures;
        long_closure_times_.push_back(end);
      } else if (!long_closure_times_.empty()) {
        long_closure_times_.back() = end;  // the HIGH hold runs from the reopening
      }
    } else if (d >= config_.blink_min_ms && d <= config_.blink_max_ms) {
      ++report_.blinks;
      blink_times_.push_back(end);
    }
    closure_start_.reset();
  };
  if (closure_start_ && eyes != Eyes::kClosed &&
      (eyes == Eyes::kOpen || t_ms - last_closed_t_ > config_.max_frame_gap_ms)) {
    end_closure(t_ms - last_closed_t_ > config_.max_frame_gap_ms
                    ? last_closed_t_ + config_.max_frame_gap_ms
                    : t_ms);
  }
  if (eyes == Eyes::kClosed) {
    if (!closure_start_) {
      closure_start_ = t_ms;
      closure_counted_long_ = false;
    }
    last_closed_t_ = t_ms;
  }
  report_.closed_now_ms = closure_start_ ? t_ms - *closure_start_ : 0;
  if (closure_start_ && report_.closed_now_ms > config_.microsleep_ms && !closure_counted_long_) {
    // Counted as soon as it is long, so the alert does not wait for the eyes to reopen.
    ++report_.long_closures;
    long_closure_times_.push_back(t_ms);
    closure_counted_long_ = true;
  }

  // Yawns: the mouth held wide open for longer than yawn_min_ms, counted once.
  if (face && face->mar > config_.yawn_mar) {
    if (!mouth_open_since_) {
      mouth_open_since_ = t_ms;
      yawn_counted_ = false;
    }
    if (!yawn_counted_ && t_ms - *mouth_open_since_ > config_.yawn_min_ms) {
      ++report_.yawns;
      yawn_times_.push_back(t_ms);
      yawn_counted_ = true;
    }
  } else {
    mouth_open_since_.reset();
  }

  last_t_ = t_ms;
  last_eyes_ = eyes;
  Evict(t_ms);
  Evaluate(t_ms);
  return Status::Ok();
}

}  // namespace facegate::vision
