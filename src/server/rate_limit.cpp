#include "server/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace facegate::server {

bool RateLimiter::Take(const std::string& who, double cost, int* retry_after_s, Clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  // Bounded memory: forget full buckets when many callers were seen (a full bucket is the default).
  if (buckets_.size() > 100000) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double elapsed = std::chrono::duration<double>(now - it->second.at).count();
      it = it->second.tokens + elapsed * rate_ >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(who, Bucket{burst_, now});
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.at = now;
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return true;
  }
  if (retry_after_s)
    *retry_after_s = std::max(1, static_cast<int>(std::ceil((std::min(cost, burst_) - b.tokens) / rate_)));
  return false;
}

}  // namespace facegate::server
