#include "gallery/kmeans.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

#include "gallery/distance.h"

namespace facegate::gallery {

uint32_t NearestCentroid(const float* v, const float* centroids, std::size_t lists) {
  constexpr std::size_t kChunk = 256;
  float d[kChunk];
  float best = std::numeric_limits<float>::infinity();
  uint32_t arg = 0;
  for (std::size_t start = 0; start < lists; start += kChunk) {
    const std::size_t m = std::min(kChunk, lists - start);
    SquaredDistances(v, centroids + start * kDim, m, d);
    for (std::size_t i = 0; i < m; ++i) {
      if (d[i] < best) {
        best = d[i];
        arg = static_cast<uint32_t>(start + i);
      }
    }
  }
  return arg;
}

void AssignNearest(const float* points, std::size_t n, const float* centroids, std::size_t lists,
                   uint32_t* out, int threads) {
  auto work = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      out[i] = NearestCentroid(points + i * kDim, centroids, lists);
  };
  const std::size_t t = std::clamp<std::size_t>(threads, 1, 64);
  if (t == 1 || n < 1024) return work(0, n);
  std::vector<std::thread> pool;
  const std::size_t per = (n + t - 1) / t;
  for (std::size_t j = 0; j < t; ++j)
    pool.emplace_back(work, std::min(n, j * per), std::min(n, (j + 1) * per));
  for (auto& th : pool) th.join();
}

std::vector<float> TrainKMeans(const float* points, std::size_t n, std::size_t lists,
                               int iterations, int threads, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<float> c(lists * kDim);
  for (std::size_t j = 0; j < lists; ++j)
    std::copy_n(points + perm[j] * kDim, kDim, c.begin() + j * kDim);

  std::vector<uint32_t> assign(n);
  std::vector<double> sums(lists * kDim);
  std::vector<std::size_t> counts(lists);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  for (int it = 0; it < iterations; ++it) {
    AssignNearest(points, n, c.data(), lists, assign.data(), threads);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      double* s = sums.data() + std::size_t(assign[i]) * kDim;
      const float* p = points + i * kDim;
      for (int d = 0; d < kDim; ++d) s[d] += p[d];
      ++counts[assign[i]];
    }
    for (std::size_t j = 0; j < lists; ++j) {
      float* cj = c.data() + j * kDim;
      if (counts[j] == 0) {
        std::copy_n(points + pick(rng) * kDim, kDim, cj);
        continue;
      }
      const double inv = 1.0 / double(counts[j]);
      for (int d = 0; d < kDim; ++d) cj[d] = float(sums[j * kDim + d] * inv);
    }
  }
  return c;
}

}  // namespace facegate::gallery
