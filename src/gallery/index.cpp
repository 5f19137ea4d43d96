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
#include <unordered_set>

#include "gallery/kmeans.h"
#include "gallery/top_k.h"

namespace facegate::gallery {
namespace {

// One inverted list: vectors stored contiguously, ids alongside.
struct List {
  std::vector<float> vecs;  // empty in compressed mode
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
  // The point a code stands for (compressed mode ranks by |query - this|).
  void Decode(const uint8_t* c, float* out) const {
    for (int d = 0; d < kDim; ++d) out[d] = lo[d] + step * float(c[d]);
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

// Grows a vector's capacity by an eighth (not the library's doubling) so that
// a compressed index's spare capacity stays near 12% of its codes.
template <typename T>
void GrowGently(std::vector<T>& v, std::size_t add) {
  if (v.size() + add <= v.capacity()) return;
  v.reserve(std::max(v.size() + add, v.capacity() + std::max<std::size_t>(v.capacity() / 8, 16 * add)));
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
  uint64_t generation = 0;  // bumped whenever centroids are swapped in
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
      p = static_cast<std::size_t>(
          std::lround(opt.probes_per_sqrt * std::sqrt(static_cast<double>(lists_n))));
      p = std::max(p, opt.min_probes);
    }
    return std::clamp<std::size_t>(p, 1, lists_n);
  }

  uint32_t NearestList(const float* v) const {
    if (!approximate()) return 0;
    return NearestCentroid(v, centroids.data(), lists.size());
  }

  bool compressed() const { return !opt.keep_floats; }

  // Template i of list l as floats: the stored copy, or the code's
  // reconstruction in compressed mode (scratch holds kDim floats).
  const float* Vec(const List& l, std::size_t i, float* scratch) const {
    if (!compressed()) return l.vecs.data() + i * kDim;
    quant.Decode(l.codes.data() + i * kDim, scratch);
    return scratch;
  }

  // Appends a template to list l (caller holds the exclusive lock).
  void Append(uint32_t l, int64_t id, const float* values) {
    List& list = lists[l];
    where.emplace(id, Loc{l, static_cast<uint32_t>(list.ids.size())});
    if (compressed()) {
      GrowGently(list.ids, 1);
      GrowGently(list.codes, kDim);
    } else {
      list.vecs.insert(list.vecs.end(), values, values + kDim);
    }
    list.ids.push_back(id);
    if (approximate()) {
      list.codes.resize(list.ids.size() * kDim);
      quant.Encode(values, list.codes.data() + (list.ids.size() - 1) * kDim);
    }
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
  if (s_->compressed() && !s_->approximate())
    return Status::InvalidInput("a compressed index must be trained on a sample (Train) before "
                                "the first template is added");
  s_->Append(s_->NearestList(values.data()), id, values.data());
  return Status::Ok();
}

Status Index::AddBatch(std::span<const int64_t> ids, std::span<const float> values) {
  if (values.size() != ids.size() * kDim)
    return Status::InvalidInput("AddBatch needs " + std::to_string(kDim) +
                                " values per id; got " + std::to_string(values.size()) +
                                " values for " + std::to_string(ids.size()) + " ids");
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!AllFinite(Vector(values.data() + i * kDim, kDim)))
      return Status::InvalidInput("template " + std::to_string(ids[i]) +
                                  " has a non-finite value; re-extract it from the photo");
  // Lists are found under a shared lock (centroids change only in a swap), so
  // searches continue while a large batch is assigned.
  std::vector<uint32_t> dest(ids.size(), 0);
  uint64_t centroids_at;
  {
    auto r = s_->ReadLock();
    if (s_->compressed() && !s_->approximate())
      return Status::InvalidInput("a compressed index must be trained on a sample (Train) before "
                                  "the first template is added");
    if (s_->approximate())
      AssignNearest(values.data(), ids.size(), s_->centroids.data(), s_->lists.size(), dest.data(),
                    s_->opt.build_threads);
    centroids_at = s_->generation;
  }
  std::unordered_set<int64_t> seen(ids.size());
  for (int64_t id : ids)
    if (!seen.insert(id).second)
      return Status::InvalidInput("template " + std::to_string(id) +
                                  " appears twice in one batch; add each id once");
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (s_->where.contains(ids[i]))
      return Status::Conflict("template " + std::to_string(ids[i]) +
                              " is already in this index; remove it before adding it again");
  const bool same = s_->generation == centroids_at;  // a Rebuild swapped in between: reassign
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const float* v = values.data() + i * kDim;
    s_->Append(same ? dest[i] : s_->NearestList(v), ids[i], v);
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
    if (!list.vecs.empty())
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
  if (!list.vecs.empty()) {
    std::fill_n(list.vecs.begin() + last * kDim, kDim, 0.0f);
    list.vecs.resize(last * kDim);
  }
  list.ids.pop_back();
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
  std::array<float, kDim> scratch;
  for (const auto& [approx, where] : candidates.Sorted()) {
    const List& l = s_->lists[std::size_t(where >> 32)];
    const std::size_t pos = std::size_t(where & 0xffffffff);
    top.Push(SquaredDistance(query.data(), s_->Vec(l, pos, scratch.data())), l.ids[pos]);
  }
  return Finish(top);
}

Result<std::vector<Hit>> Index::SearchExact(Vector query, std::size_t k) const {
  if (k == 0) return Status::InvalidInput("search asked for 0 results; ask for k >= 1");
  if (!AllFinite(query)) return Status::InvalidInput("probe template has a non-finite value");
  TopK top(k);
  auto r = s_->ReadLock();
  if (!s_->compressed()) {
    for (const List& l : s_->lists) ScanList(query.data(), l, top);
    return Finish(top);
  }
  constexpr std::size_t kChunk = 256;
  std::vector<float> buf(kChunk * kDim);
  float d[kChunk];
  for (const List& l : s_->lists)
    for (std::size_t start = 0; start < l.ids.size(); start += kChunk) {
      const std::size_t m = std::min(kChunk, l.ids.size() - start);
      for (std::size_t i = 0; i < m; ++i)
        s_->quant.Decode(l.codes.data() + (start + i) * kDim, buf.data() + i * kDim);
      SquaredDistances(query.data(), buf.data(), m, d);
      for (std::size_t i = 0; i < m; ++i) top.Push(d[i], l.ids[start + i]);
    }
  std::fill(buf.begin(), buf.end(), 0.0f);
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
  if (s_->compressed()) return s_->approximate() && n >= 4 * s_->trained_at;
  if (!s_->approximate()) return n >= s_->opt.approximate_from;
  return n < s_->opt.approximate_from / 2 || n >= 4 * s_->trained_at;
}

void Index::SetProbes(std::size_t probes) {
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  s_->probes_override = probes;
}

void Index::SetRerank(std::size_t rerank) {
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  s_->opt.rerank = std::max<std::size_t>(rerank, 1);
}

Status Index::Rebuild() {
  std::size_t n;
  {
    auto r = s_->ReadLock();
    n = s_->where.size();
  }
  if (s_->compressed()) {  // IVF only: retrain the lists for the current size
    IndexOptions o;
    {
      auto r = s_->ReadLock();
      if (!s_->approximate())
        return Status::InvalidInput("a compressed index must be trained on a sample (Train) first");
      o = s_->opt;
    }
    o.approximate_from = 0;
    const std::size_t lists = ListsFor(o, n);
    if (n < lists) return Status::Ok();  // too few templates to retrain: keep the lists
    return RebuildApproximate(lists);
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
  std::array<float, kDim> one;
  Quantiser kept;  // compressed mode: the codes stay as they are
  {
    auto r = s_->ReadLock();
    kept = s_->quant;
    const std::size_t n = s_->where.size();
    if (n < lists)
      return Status::InvalidInput("cannot train " + std::to_string(lists) + " lists on " +
                                  std::to_string(n) + " templates; add more or use fewer lists");
    const double want = double(std::min(n, lists * opt.train_per_list));
    std::bernoulli_distribution take(want / double(n));
    sample.reserve(std::size_t(want * 1.1 + 16) * kDim);
    for (const List& l : s_->lists)
      for (std::size_t i = 0; i < l.ids.size(); ++i)
        if (take(rng)) {
          const float* v = s_->Vec(l, i, one.data());
          sample.insert(sample.end(), v, v + kDim);
        }
  }
  if (sample.size() / kDim < lists)
    return Status::InvalidInput("training sample smaller than the list count");

  // 2. k-means without any lock.
  const Quantiser quant =
      s_->compressed() ? kept : Quantiser::Fit(sample.data(), sample.size() / kDim);
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
        buf.resize(m * kDim);
        for (std::size_t i = 0; i < m; ++i) {
          const float* v = s_->Vec(l, start + i, one.data());
          std::copy_n(v, kDim, buf.begin() + i * kDim);
        }
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
        const uint32_t to =
            it != assigned.end()
                ? it->second
                : NearestCentroid(s_->Vec(l, i, one.data()), centroids.data(), lists);
        dest[li][i] = to;
        ++counts[to];
      }
    }
    std::vector<List> fresh(lists);
    for (std::size_t j = 0; j < lists; ++j) {
      fresh[j].ids.reserve(counts[j]);
      if (!s_->compressed()) fresh[j].vecs.reserve(std::size_t(counts[j]) * kDim);
      fresh[j].codes.reserve(std::size_t(counts[j]) * kDim);
    }
    for (std::size_t li = 0; li < s_->lists.size(); ++li) {
      List& l = s_->lists[li];
      for (std::size_t i = 0; i < l.ids.size(); ++i) {
        List& f = fresh[dest[li][i]];
        s_->where[l.ids[i]] = Loc{dest[li][i], static_cast<uint32_t>(f.ids.size())};
        f.ids.push_back(l.ids[i]);
        if (s_->compressed()) {
          f.codes.insert(f.codes.end(), l.codes.begin() + i * kDim, l.codes.begin() + (i + 1) * kDim);
          continue;
        }
        f.vecs.insert(f.vecs.end(), l.vecs.begin() + i * kDim, l.vecs.begin() + (i + 1) * kDim);
        f.codes.resize(f.codes.size() + kDim);
        quant.Encode(l.vecs.data() + i * kDim, f.codes.data() + f.codes.size() - kDim);
      }
      std::fill(l.vecs.begin(), l.vecs.end(), 0.0f);  // REQ S7: no stale copies
      std::fill(l.codes.begin(), l.codes.end(), uint8_t{0});
    }
    s_->lists = std::move(fresh);
    s_->centroids = std::move(centroids);
    s_->quant = quant;
    s_->trained_at = s_->where.size();
    ++s_->generation;
  }
  one.fill(0.0f);
  return Status::Ok();
}

Status Index::Train(std::span<const float> sample, std::size_t lists) {
  const std::size_t n = sample.size() / kDim;
  if (sample.size() % kDim != 0)
    return Status::InvalidInput("training sample must hold " + std::to_string(kDim) +
                                " values per template");
  if (lists == 0 || lists > (1u << 24))
    return Status::InvalidInput("IVF list count must be between 1 and 2^24");
  if (n < lists)
    return Status::InvalidInput("cannot train " + std::to_string(lists) + " lists on " +
                                std::to_string(n) + " sample templates; give a larger sample");
  for (std::size_t i = 0; i < n; ++i)
    if (!AllFinite(Vector(sample.data() + i * kDim, kDim)))
      return Status::InvalidInput("training template " + std::to_string(i) +
                                  " has a non-finite value");
  std::lock_guard<std::mutex> rb(s_->rebuild_mu);
  {
    auto r = s_->ReadLock();
    if (!s_->where.empty())
      return Status::Conflict("Train needs an empty index; use Rebuild to retrain a filled one");
  }
  const IndexOptions& opt = s_->opt;
  std::mt19937_64 rng(opt.seed);
  const Quantiser quant = Quantiser::Fit(sample.data(), n);
  std::vector<float> centroids =
      TrainKMeans(sample.data(), n, lists, opt.train_iterations, opt.build_threads, rng());
  std::lock_guard<std::mutex> t(s_->turnstile);
  std::unique_lock<std::shared_mutex> w(s_->mu);
  if (!s_->where.empty())
    return Status::Conflict("templates were added while training; Train needs an empty index");
  s_->lists.assign(lists, List{});
  s_->centroids = std::move(centroids);
  s_->quant = quant;
  // The size these lists suit by the size rule (or the sample, if larger):
  // NeedsRebuild asks for retraining after 4x that.
  const double fit = double(lists) / std::max(opt.lists_per_sqrt, 1e-9);
  s_->trained_at = std::max<std::size_t>(n, std::size_t(fit * fit));
  ++s_->generation;
  return Status::Ok();
}

}  // namespace facegate::gallery
