#include "gallery/index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "gallery/kmeans.h"
#include "gallery/top_k.h"

namespace facegate::gallery {
namespace {

// One inverted list: vectors stored contiguously, ids alongside.
struct List {
  std::vector<float> vecs;
  std::vector<int64_t> ids;
  std::vector<uint8_t> codes;  // IVF only: 8-bit codes scanned before float re-ranking
};

// int8 scalar quantiser: per-dimension offset, one step for all dimensions (so
// code distances rank like float distances up to a constant factor).
struct Quantiser {
  std::array<float, kDim> lo{};
  float step = 1;
  void Encode(const float* v, uint8_t* out) const {
    for (int d = 0; d < kDim; ++d) {
      const float c = std::round((v[d] - lo[d]) / step);
      out[d] = static_cast<uint8_t>(std::clamp(c, 0.0f, 255.0f));
    }
  }
  static Quantiser Fit(const float* pts, std::size_t n) {
    Quantiser q;
    std::array<float, kDim> hi;
    q.lo.fill(std::numeric_limits<float>::infinity());
    hi.fill(-std::numeric_limits<float>::infinity());
    for (std::size_t i = 0; i < n; ++i)
      for (int d = 0; d < kDim; ++d) {
        q.lo[d] = std::min(q.lo[d], pts[i * kDim + d]);
        hi[d] = std::max(hi[d], pts[i * kDim + d]);
      }
    float range = 1e-6f;
    for (int d = 0; d < kDim; ++d) range = std::max(range, hi[d] - q.lo[d]);
    q.step = range / 255.0f;
    return q;
  }
};

struct Loc {
  uint32_t list;
  uint32_t pos;
};

bool AllFinite(Vector v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

std::size_t NearestPow2(double x) {
  if (x <= 1) return 1;
  double lo = std::exp2(std::floor(std::log2(x)));
  return static_cast<std::size_t>(x / lo < 1.5 ? lo : 2 * lo);
}

// Scans one list into the top-k, 256 distances at a time.
void ScanList(const float* q, const List& list, TopK& top) {
  constexpr std::size_t kChunk = 256;
  float d[kChunk];
  const std::size_t n = list.ids.size();
  for (std::size_t start = 0; start < n; start += kChunk) {
    std::size_t m = std::min(kChunk, n - start);
    SquaredDistances(q, list.vecs.data() + start * kDim, m, d);
    for (std::size_t i = 0; i < m; ++i) top.Push(d[i], list.ids[start + i]);
  }
}

std::vector<Hit> Finish(TopK& top) {
  std::vector<Hit> out;
  for (const auto& [d2, id] : top.Sorted()) out.push_back(Hit{id, std::sqrt(d2)});
  return out;
}

}  // namespace

struct Index::State {
  IndexOptions opt;
  // Writer-preferring lock: a writer holds `turnstile` while it waits for
  // `mu`, and readers pass the turnstile before taking `mu` shared, so a
  // stream of searches cannot delay a Remove indefinitely (REQ C4, S7).
  mutable std::mutex turnstile;
  mutable std::shared_mutex mu;
  std::mutex rebuild_mu;  // one Rebuild at a time

  std::vector<List> lists{1};
  std::vector<float> centroids;  // lists.size() * kDim when IVF, else empty
  std::unordered_map<int64_t, Loc> where;
  std::size_t trained_at = 0;
  std::size_t probes_override = 0;
  Quantiser quant;

  std::shared_lock<std::shared_mutex> ReadLock() const {
    { std::lock_guard<std::mutex> t(turnstile); }
    return std::shared_lock<std::shared_mutex>(mu);
  }

  bool approximate() const { return !centroids.empty(); }

  std::size_t Probes() const {
    const std::size_t lists_n = lists.size();
    if (!approximate()) return 1;
    std::size_t p = probes_override;
    if (p == 0) {
      p = static_cast<std::size_t>(std::lround(opt.probe_fraction * lists_n));
      p = std::max(p, opt.min_probes);
    }
    return std::clamp<std::size_t>(p, 1, lists_n);
  }

  uint32_t NearestList(const float* v) const {
    if (!approximate()) return 0;
    return NearestCentroid(v, centroids.data(), lists.size());
  }

  std::size_t Memory() const {
    std::size_t b = sizeof(State) + centroids.capacity() * sizeof(float);
    for (const List& l : lists)
      b += sizeof(List) + l.vecs.capacity() * sizeof(float) + l.ids.capacity() * sizeof(int64_t) +
           l.codes.capacity();
    // unordered_map: one heap node (next pointer + key + value, rounded by
    // malloc to 32 bytes) per entry plus one bucket pointer per bucket.
    b += where.size() * 32 + where.bucket_count() * sizeof(void*);
    return b;
  }
};

std::size_t ListsFor(const IndexOptions& options, std::size_t n) {
  if (n < options.approximate_from || n == 0) return 0;
  return std::max<std::size_t>(16, NearestPow2(options.lists_per_sqrt * std::sqrt(double(n))));
}

Index::Index(IndexOptions options) : s_(std::make_unique<State>()) { s_->opt = options; }
Index::~Index() = default;

Status Index::Add(int64_t id, Vector values) {
  if (!AllFinite(values))
    return Status::InvalidInput("template " + std::to_string(id) +
                                " has a non-finite value; re-extract it from the photo");
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  if (s_->where.contains(id))
    return Status::Conflict("template " + std::to_string(id) +
                            " is already in this index; remove it before adding it again");
  const uint32_t l = s_->NearestList(values.data());
  List& list = s_->lists[l];
  s_->where.emplace(id, Loc{l, static_cast<uint32_t>(list.ids.size())});
  list.ids.push_back(id);
  list.vecs.insert(list.vecs.end(), values.begin(), values.end());
  if (s_->approximate()) {
    list.codes.resize(list.ids.size() * kDim);
    s_->quant.Encode(values.data(), list.codes.data() + (list.ids.size() - 1) * kDim);
  }
  return Status::Ok();
}

bool Index::Remove(int64_t id) {
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  auto it = s_->where.find(id);
  if (it == s_->where.end()) return false;
  const Loc loc = it->second;
  List& list = s_->lists[loc.list];
  const std::size_t last = list.ids.size() - 1;
  if (loc.pos != last) {  // move the last entry into the hole
    list.ids[loc.pos] = list.ids[last];
    std::copy_n(list.vecs.begin() + last * kDim, kDim, list.vecs.begin() + loc.pos * kDim);
    s_->where[list.ids[loc.pos]].pos = loc.pos;
    if (!list.codes.empty())
      std::copy_n(list.codes.begin() + last * kDim, kDim, list.codes.begin() + loc.pos * kDim);
  }
  if (!list.codes.empty()) {
    std::fill_n(list.codes.begin() + last * kDim, kDim, uint8_t{0});
    list.codes.resize(last * kDim);
  }
  // Overwrite the removed values before shrinking (REQ S7: nothing lingers).
  std::fill_n(list.vecs.begin() + last * kDim, kDim, 0.0f);
  list.ids.pop_back();
  list.vecs.resize(last * kDim);
  s_->where.erase(it);
  return true;
}

bool Index::Contains(int64_t id) const {
  auto r = s_->ReadLock();
  return s_->where.contains(id);
}

Result<std::vector<Hit>> Index::Search(Vector query, std::size_t k) const {
  if (k == 0) return Status::InvalidInput("search asked for 0 results; ask for k >= 1");
  if (!AllFinite(query)) return Status::InvalidInput("probe template has a non-finite value");
  TopK top(k);
  auto r = s_->ReadLock();
  if (!s_->approximate()) {
    ScanList(query.data(), s_->lists[0], top);
    return Finish(top);
  }
  const std::size_t nl = s_->lists.size();
  const std::size_t probes = s_->Probes();
  std::vector<float> cd(nl);
  SquaredDistances(query.data(), s_->centroids.data(), nl, cd.data());
  std::vector<uint32_t> order(nl);
  for (uint32_t i = 0; i < nl; ++i) order[i] = i;
  std::nth_element(order.begin(), order.begin() + (probes - 1), order.end(),
                   [&](uint32_t a, uint32_t b) { return cd[a] < cd[b]; });
  // Scan the probed lists' 8-bit codes, keep the best `rerank` candidates by
  // position, then rank those by exact float distance.
  std::array<uint8_t, kDim> qc;
  s_->quant.Encode(query.data(), qc.data());
  TopK candidates(std::max(k, s_->opt.rerank));
  constexpr std::size_t kChunk = 256;
  int32_t cd2[kChunk];
  for (std::size_t p = 0; p < probes; ++p) {
    const List& l = s_->lists[order[p]];
    const std::size_t n = l.ids.size();
    for (std::size_t start = 0; start < n; start += kChunk) {
      const std::size_t m = std::min(kChunk, n - start);
      CodeDistances(qc.data(), l.codes.data() + start * kDim, m, cd2);
      for (std::size_t i = 0; i < m; ++i)
        candidates.Push(float(cd2[i]), int64_t(order[p]) << 32 | int64_t(start + i));
    }
  }
  for (const auto& [approx, where] : candidates.Sorted()) {
    const List& l = s_->lists[std::size_t(where >> 32)];
    const std::size_t pos = std::size_t(where & 0xffffffff);
    top.Push(SquaredDistance(query.data(), l.vecs.data() + pos * kDim), l.ids[pos]);
  }
  return Finish(top);
}

Result<std::vector<Hit>> Index::SearchExact(Vector query, std::size_t k) const {
  if (k == 0) return Status::InvalidInput("search asked for 0 results; ask for k >= 1");
  if (!AllFinite(query)) return Status::InvalidInput("probe template has a non-finite value");
  TopK top(k);
  auto r = s_->ReadLock();
  for (const List& l : s_->lists) ScanList(query.data(), l, top);
  return Finish(top);
}

std::size_t Index::Size() const {
  auto r = s_->ReadLock();
  return s_->where.size();
}

std::size_t Index::MemoryBytes() const {
  auto r = s_->ReadLock();
  return s_->Memory();
}

IndexStats Index::Stats() const {
  auto r = s_->ReadLock();
  IndexStats st;
  st.size = s_->where.size();
  st.approximate = s_->approximate();
  st.lists = s_->lists.size();
  st.probes = s_->Probes();
  st.trained_at = s_->trained_at;
  st.memory_bytes = s_->Memory();
  return st;
}

bool Index::NeedsRebuild() const {
  auto r = s_->ReadLock();
  const std::size_t n = s_->where.size();
  if (!s_->approximate()) return n >= s_->opt.approximate_from;
  return n < s_->opt.approximate_from / 2 || n >= 4 * s_->trained_at;
}

void Index::SetProbes(std::size_t probes) {
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  s_->probes_override = probes;
}

Status Index::Rebuild() {
  std::size_t n;
  {
    auto r = s_->ReadLock();
    n = s_->where.size();
  }
  const std::size_t lists = ListsFor(s_->opt, n);
  if (lists == 0) {  // back to (or stay) exact: one list, no centroids
    std::lock_guard<std::mutex> rb(s_->rebuild_mu);
    std::lock_guard<std::mutex> t(s_->turnstile);
    std::unique_lock<std::shared_mutex> w(s_->mu);
    if (!s_->approximate()) return Status::Ok();
    List all;
    all.ids.reserve(s_->where.size());
    all.vecs.reserve(s_->where.size() * kDim);
    for (List& l : s_->lists) {
      all.ids.insert(all.ids.end(), l.ids.begin(), l.ids.end());
      all.vecs.insert(all.vecs.end(), l.vecs.begin(), l.vecs.end());
      std::fill(l.vecs.begin(), l.vecs.end(), 0.0f);
    }
    for (uint32_t i = 0; i < all.ids.size(); ++i) s_->where[all.ids[i]] = Loc{0, i};
    s_->lists.assign(1, List{});
    s_->lists[0] = std::move(all);
    s_->centroids.clear();
    s_->centroids.shrink_to_fit();
    s_->trained_at = 0;
    return Status::Ok();
  }
  return RebuildApproximate(lists);
}

Status Index::RebuildApproximate(std::size_t lists) {
  if (lists == 0 || lists > (1u << 24))
    return Status::InvalidInput("IVF list count must be between 1 and 2^24");
  std::lock_guard<std::mutex> rb(s_->rebuild_mu);
  const IndexOptions& opt = s_->opt;
  std::mt19937_64 rng(opt.seed);

  // 1. Training sample (copied under a shared lock, Bernoulli per vector).
  std::vector<float> sample;
  {
    auto r = s_->ReadLock();
    const std::size_t n = s_->where.size();
    if (n < lists)
      return Status::InvalidInput("cannot train " + std::to_string(lists) + " lists on " +
                                  std::to_string(n) + " templates; add more or use fewer lists");
    const double want = double(std::min(n, lists * opt.train_per_list));
    std::bernoulli_distribution take(want / double(n));
    sample.reserve(std::size_t(want * 1.1 + 16) * kDim);
    for (const List& l : s_->lists)
      for (std::size_t i = 0; i < l.ids.size(); ++i)
        if (take(rng)) sample.insert(sample.end(), l.vecs.begin() + i * kDim,
                                     l.vecs.begin() + (i + 1) * kDim);
  }
  if (sample.size() / kDim < lists)
    return Status::InvalidInput("training sample smaller than the list count");

  // 2. k-means without any lock.
  Quantiser quant = Quantiser::Fit(sample.data(), sample.size() / kDim);
  std::vector<float> centroids =
      TrainKMeans(sample.data(), sample.size() / kDim, lists, opt.train_iterations,
                  opt.build_threads, rng());
  std::fill(sample.begin(), sample.end(), 0.0f);
  sample = {};

  // 3. Assign every current template, a chunk at a time: copy under a shared
  //    lock, assign unlocked. Entries moved by concurrent removals may be
  //    missed here; step 4 assigns those.
  std::unordered_map<int64_t, uint32_t> assigned;
  {
    auto r = s_->ReadLock();
    assigned.reserve(s_->where.size());
  }
  constexpr std::size_t kChunk = 8192;
  std::vector<float> buf;
  std::vector<int64_t> ids;
  std::vector<uint32_t> out;
  for (std::size_t li = 0;; ++li) {
    for (std::size_t start = 0;; start += kChunk) {
      {
        auto r = s_->ReadLock();
        if (li >= s_->lists.size()) goto swap;
        const List& l = s_->lists[li];
        if (start >= l.ids.size()) break;
        const std::size_t m = std::min(kChunk, l.ids.size() - start);
        ids.assign(l.ids.begin() + start, l.ids.begin() + start + m);
        buf.assign(l.vecs.begin() + start * kDim, l.vecs.begin() + (start + m) * kDim);
      }
      out.resize(ids.size());
      AssignNearest(buf.data(), ids.size(), centroids.data(), lists, out.data(), opt.build_threads);
      for (std::size_t i = 0; i < ids.size(); ++i) assigned[ids[i]] = out[i];
    }
  }
swap:
  std::fill(buf.begin(), buf.end(), 0.0f);
  // 4. Swap in under the exclusive lock: current contents, new lists.
  {
    std::lock_guard<std::mutex> t(s_->turnstile);
    std::unique_lock<std::shared_mutex> w(s_->mu);
    std::vector<uint32_t> counts(lists, 0);
    std::vector<std::vector<uint32_t>> dest(s_->lists.size());
    for (std::size_t li = 0; li < s_->lists.size(); ++li) {
      const List& l = s_->lists[li];
      dest[li].resize(l.ids.size());
      for (std::size_t i = 0; i < l.ids.size(); ++i) {
        auto it = assigned.find(l.ids[i]);
        const uint32_t to = it != assigned.end()
                                ? it->second
                                : NearestCentroid(l.vecs.data() + i * kDim, centroids.data(), lists);
        dest[li][i] = to;
        ++counts[to];
      }
    }
    std::vector<List> fresh(lists);
    for (std::size_t j = 0; j < lists; ++j) {
      fresh[j].ids.reserve(counts[j]);
      fresh[j].vecs.reserve(std::size_t(counts[j]) * kDim);
      fresh[j].codes.reserve(std::size_t(counts[j]) * kDim);
    }
    for (std::size_t li = 0; li < s_->lists.size(); ++li) {
      List& l = s_->lists[li];
      for (std::size_t i = 0; i < l.ids.size(); ++i) {
        List& f = fresh[dest[li][i]];
        s_->where[l.ids[i]] = Loc{dest[li][i], static_cast<uint32_t>(f.ids.size())};
        f.ids.push_back(l.ids[i]);
        f.vecs.insert(f.vecs.end(), l.vecs.begin() + i * kDim, l.vecs.begin() + (i + 1) * kDim);
        f.codes.resize(f.codes.size() + kDim);
        quant.Encode(l.vecs.data() + i * kDim, f.codes.data() + f.codes.size() - kDim);
      }
      std::fill(l.vecs.begin(), l.vecs.end(), 0.0f);  // REQ S7: no stale copies
    }
    s_->lists = std::move(fresh);
    s_->centroids = std::move(centroids);
    s_->quant = quant;
    s_->trained_at = s_->where.size();
  }
  return Status::Ok();
}

}  // namespace facegate::gallery
