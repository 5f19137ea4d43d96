// Per-key request rate limit (token bucket), so one client cannot starve the others.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace facegate::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `per_second` tokens are added each second up to `burst`; rate <= 0 disables the limit.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}

  // Takes one token for `who`. False when the bucket is empty; then `retry_after_s`
  // is how long until the next token (whole seconds, at least 1, for Retry-After).
  bool Allow(const std::string& who, int* retry_after_s, Clock::time_point now = Clock::now()) {
    return Take(who, 1.0, retry_after_s, now);
  }
  // Takes `cost` tokens (e.g. megapixels of decode work) for `who`; a cost above the burst is
  // never allowed.
  bool Take(const std::string& who, double cost, int* retry_after_s, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace facegate::server
