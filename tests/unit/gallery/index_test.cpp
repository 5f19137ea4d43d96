// The scope index (REQ SC2): exact search is exact, removals are immediate even
// under concurrent search (REQ C4, S7), the IVF index keeps recall on face-like data.
#include "gallery/index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "gallery/synthetic.h"

namespace facegate::gallery {
namespace {

std::vector<Values> RandomVectors(std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  std::vector<Values> out(n);
  for (auto& v : out)
    for (float& x : v) x = u(rng);
  return out;
}

// What CompreFace does: every distance in double precision, full sort.
std::vector<Hit> NaiveDouble(const std::vector<Values>& data, const Values& q, std::size_t k) {
  std::vector<std::pair<double, int64_t>> all;
  for (std::size_t i = 0; i < data.size(); ++i) {
    double s = 0;
    for (int d = 0; d < kDim; ++d) {
      double diff = double(data[i][d]) - double(q[d]);
      s += diff * diff;
    }
    all.emplace_back(std::sqrt(s), int64_t(i));
  }
  std::sort(all.begin(), all.end());
  std::vector<Hit> out;
  for (std::size_t i = 0; i < std::min(k, all.size()); ++i)
    out.push_back(Hit{all[i].second, float(all[i].first)});
  return out;
}

void ExpectSameHits(const std::vector<Hit>& got, const std::vector<Hit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id) << "rank " << i;
    EXPECT_NEAR(got[i].distance, want[i].distance, 1e-5) << "rank " << i;
  }
}

TEST(Distance, SimdKernelAgreesWithPortableKernel) {
  auto data = RandomVectors(1001, 1);  // odd count exercises the tail loop
  std::vector<float> flat;
  for (auto& v : data) flat.insert(flat.end(), v.begin(), v.end());
  std::vector<float> fast(data.size()), slow(data.size());
  SquaredDistances(data[0].data(), flat.data(), data.size(), fast.data());
  bool was = ForcePortableKernel(true);
  SquaredDistances(data[0].data(), flat.data(), data.size(), slow.data());
  ForcePortableKernel(was);
  for (std::size_t i = 0; i < data.size(); ++i) EXPECT_NEAR(fast[i], slow[i], 1e-5f * slow[i] + 1e-7f);
  EXPECT_EQ(fast[0], 0.0f);
}

TEST(Index, ExactSearchEqualsNaiveDoublePrecisionSearch) {
  auto data = RandomVectors(3000, 2);
  auto queries = RandomVectors(40, 3);
  Index index;
  for (std::size_t i = 0; i < data.size(); ++i) ASSERT_TRUE(index.Add(int64_t(i), data[i]).ok());
  for (bool portable : {false, true}) {
    bool was = ForcePortableKernel(portable);
    for (const auto& q : queries) {
      auto got = index.Search(q, 10);
      ASSERT_TRUE(got.ok());
      ExpectSameHits(*got, NaiveDouble(data, q, 10));
    }
    ForcePortableKernel(was);
  }
  EXPECT_FALSE(index.Stats().approximate);
}

TEST(Index, FewerTemplatesThanKReturnsAllOfThem) {
  auto data = RandomVectors(3, 4);
  Index index;
  for (std::size_t i = 0; i < data.size(); ++i) ASSERT_TRUE(index.Add(int64_t(i), data[i]).ok());
  auto got = index.Search(data[1], 10);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0], (Hit{1, 0.0f}));
  Index empty;
  EXPECT_TRUE(empty.Search(data[0], 5)->empty());
}

TEST(Index, RejectsBadInputAndDuplicateIds) {
  auto data = RandomVectors(2, 5);
  Index index;
  ASSERT_TRUE(index.Add(7, data[0]).ok());
  EXPECT_EQ(index.Add(7, data[1]).kind(), ErrorKind::kConflict);
  Values nan = data[1];
  nan[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(index.Add(8, nan).kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(index.Search(nan, 1).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(index.Search(data[0], 0).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(index.Size(), 1u);
}

TEST(Index, RemoveIsImmediate) {
  auto data = RandomVectors(500, 6);
  Index index;
  for (std::size_t i = 0; i < data.size(); ++i) ASSERT_TRUE(index.Add(int64_t(i), data[i]).ok());
  for (int64_t id : {0, 499, 250, 17}) {
    ASSERT_TRUE(index.Remove(id));
    EXPECT_FALSE(index.Contains(id));
    auto got = index.Search(data[id], data.size());
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->size(), index.Size());
    for (const Hit& h : *got) EXPECT_NE(h.id, id);
  }
  EXPECT_FALSE(index.Remove(0));  // already gone
  EXPECT_EQ(index.Size(), 496u);
  // Every remaining template is still found by its own values (swap-remove kept them intact).
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!index.Contains(int64_t(i))) continue;
    EXPECT_EQ((*index.Search(data[i], 1))[0].id, int64_t(i));
  }
  ASSERT_TRUE(index.Add(0, data[0]).ok());  // an id may come back after removal
  EXPECT_EQ((*index.Search(data[0], 1))[0].id, 0);
}

// Searches race with removals (and, in the IVF case, with a rebuild). A search
// that starts after Remove(id) returned must never return id.
void RunConcurrentRemovals(bool approximate) {
  SyntheticFaces faces(7);
  const std::size_t n = 6000;
  std::vector<Values> data(n);
  for (auto& v : data) v = faces.Capture(faces.Identity());
  IndexOptions opt;
  opt.approximate_from = 1000;
  Index index(opt);
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(index.Add(int64_t(i), data[i]).ok());
  if (approximate) {
    ASSERT_TRUE(index.Rebuild().ok());
  }

  std::vector<std::atomic<uint64_t>> removed_at(n);  // 0 = present, else removal epoch
  std::atomic<uint64_t> epoch{0};
  std::atomic<int64_t> last_removed{-1};
  std::atomic<bool> done{false};
  std::atomic<int> violations{0}, searches{0};

  auto searcher = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    while (!done.load()) {
      const int64_t last = last_removed.load();
      // Probe with a template that was just removed (it would be its own top hit).
      int64_t target = last < 0 ? 0 : last - int64_t(rng() % 3);
      if (target < 0) target = 0;
      const uint64_t start = epoch.load();
      auto got = index.Search(data[target], 5);
      if (!got.ok()) {
        violations++;
        continue;
      }
      for (const Hit& h : *got) {
        const uint64_t r = removed_at[h.id].load();
        if (r != 0 && r <= start) violations++;
      }
      searches++;
    }
  };
  std::thread s1(searcher, 1), s2(searcher, 2);
  std::thread rebuilder;
  if (approximate) {
    rebuilder = std::thread([&] { EXPECT_TRUE(index.RebuildApproximate(64).ok()); });
  }
  for (std::size_t i = 0; i < n; i += 3) {  // remove every third template
    ASSERT_TRUE(index.Remove(int64_t(i)));
    removed_at[i].store(epoch.fetch_add(1) + 1);
    last_removed.store(int64_t(i));
    if (i % 30 == 0) {  // let searches interleave with the removals
      const int seen = searches.load();
      while (searches.load() == seen) std::this_thread::yield();
    }
  }
  done = true;
  s1.join();
  s2.join();
  if (rebuilder.joinable()) rebuilder.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(searches.load(), 20);
  EXPECT_EQ(index.Size(), n - (n + 2) / 3);
  for (std::size_t i = 0; i < n; i += 3) EXPECT_FALSE(index.Contains(int64_t(i)));
}

TEST(Index, ConcurrentSearchNeverReturnsRemovedTemplateExact) { RunConcurrentRemovals(false); }
TEST(Index, ConcurrentSearchNeverReturnsRemovedTemplateDuringIvfRebuild) {
  RunConcurrentRemovals(true);
}

TEST(Index, ApproximateIndexKeepsRecallOnFaceLikeData) {
  SyntheticFaces faces(8);
  const std::size_t people = 20000;
  std::vector<Values> identity(people);
  Index index;
  for (std::size_t i = 0; i < people; ++i) {
    identity[i] = faces.Identity();
    ASSERT_TRUE(index.Add(int64_t(i), faces.Capture(identity[i])).ok());
  }
  ASSERT_TRUE(index.RebuildApproximate(128).ok());
  ASSERT_TRUE(index.Stats().approximate);
  // The default rule: 3 * sqrt(lists) lists scanned per query.
  EXPECT_EQ(index.Stats().probes, 34u);
  int agree = 0, right_person = 0;
  const int queries = 400;
  for (int q = 0; q < queries; ++q) {
    const int64_t who = q * 47 % people;
    Values probe = faces.Capture(identity[who]);
    auto approx = index.Search(probe, 1);
    auto exact = index.SearchExact(probe, 1);
    ASSERT_TRUE(approx.ok() && exact.ok());
    agree += (*approx)[0].id == (*exact)[0].id;
    right_person += (*approx)[0].id == who;
  }
  EXPECT_GE(agree, queries * 98 / 100);
  EXPECT_GE(right_person, queries * 98 / 100);
  // Memory stays near the float32 payload (512 bytes) per template.
  EXPECT_LT(index.MemoryBytes() / people, 700u);
}

TEST(Index, SizeRuleSwitchesBetweenExactAndIvf) {
  IndexOptions opt;
  opt.approximate_from = 2000;
  EXPECT_EQ(ListsFor(opt, 1999), 0u);
  EXPECT_EQ(ListsFor(opt, 1'000'000), 1024u);
  EXPECT_EQ(ListsFor(opt, 100'000), 256u);
  SyntheticFaces faces(9);
  std::vector<Values> data(2400);
  Index index(opt);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = faces.Capture(faces.Identity());
    ASSERT_TRUE(index.Add(int64_t(i), data[i]).ok());
  }
  ASSERT_TRUE(index.NeedsRebuild());
  ASSERT_TRUE(index.Rebuild().ok());
  EXPECT_TRUE(index.Stats().approximate);
  EXPECT_FALSE(index.NeedsRebuild());
  // Adds after training go to their nearest list and are found.
  Values extra = faces.Capture(faces.Identity());
  ASSERT_TRUE(index.Add(99999, extra).ok());
  EXPECT_EQ((*index.Search(extra, 1))[0].id, 99999);
  for (int64_t i = 0; i < 1500; ++i) ASSERT_TRUE(index.Remove(i));
  ASSERT_TRUE(index.NeedsRebuild());
  ASSERT_TRUE(index.Rebuild().ok());
  EXPECT_FALSE(index.Stats().approximate);
  EXPECT_EQ(index.Size(), 901u);
  for (int64_t i = 1500; i < 2400; ++i) EXPECT_EQ((*index.Search(data[i], 1))[0].id, i);
}

}  // namespace
}  // namespace facegate::gallery
