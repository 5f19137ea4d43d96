// In-memory template index for one scope (REQ SC2: 1:N only within a scope):
// exact search for small scopes; above a size threshold an inverted-file (IVF)
// index that scans 8-bit codes and re-ranks the best candidates exactly. Thread-safe: any number of
// Search calls run concurrently with Add/Remove/Rebuild. With keep_floats=false
// the index is compressed (IVF only, 8-bit codes, no float copy) for 10M-size scopes.
#pragma once

#include <facegate/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gallery/distance.h"

namespace facegate::gallery {

// A template's values (face-api descriptor: 128 floats, not normalised).
using Vector = std::span<const float, kDim>;

// One search answer: template id and Euclidean distance (face-api's scale).
struct Hit {
  int64_t id = 0;
  float distance = 0;
  bool operator==(const Hit&) const = default;
};

// Settings; the defaults implement the rule in docs/identification.md.
struct IndexOptions {
  // Exact search below this many templates; IVF at or above it (once rebuilt).
  std::size_t approximate_from = 50'000;
  // IVF lists = nearest power of two to lists_per_sqrt * sqrt(N), at least 16.
  double lists_per_sqrt = 1.0;
  // Lists scanned per query = probes_per_sqrt * sqrt(lists), at least min_probes
  // (measured: recall@1 0.99 at 100k and 1M, 0.97 at 10M compressed; see
  // docs/identification.md "The rule").
  double probes_per_sqrt = 3.0;
  std::size_t min_probes = 16;
  // IVF scans 8-bit codes, then ranks this many candidates by float distance
  // (compressed mode: by the float query against each code's reconstruction).
  std::size_t rerank = 32;
  // k-means: training points per list and iterations.
  std::size_t train_per_list = 64;
  int train_iterations = 10;
  // Threads used by Rebuild (the search itself is always one thread).
  int build_threads = 1;
  uint64_t seed = 42;
  // false: compressed mode. Lists hold only 8-bit codes and ids (~190 B per
  // template instead of ~695 B); the index is IVF-only and must be Train()ed
  // on a sample before the first Add; re-ranking and all reported distances
  // use the float query against the code's reconstruction. Search is then
  // approximate at every size and SearchExact is exact over reconstructions.
  bool keep_floats = true;
};

// What the index looks like now (for logs, benchmarks and the scope report).
struct IndexStats {
  std::size_t size = 0;
  bool approximate = false;     // IVF in use
  std::size_t lists = 1;        // 1 when exact
  std::size_t probes = 1;       // lists scanned per query
  std::size_t trained_at = 0;   // size when the IVF was trained (0: never)
  std::size_t memory_bytes = 0; // estimate, everything the index owns
};

class Index {
 public:
  explicit Index(IndexOptions options = {});
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Adds template `id`. InvalidInput when a value is not finite; Conflict when
  // the id is already present (Remove it first to replace it).
  Status Add(int64_t id, Vector values);

  // Adds many templates (values: ids.size() * kDim floats): nearest lists are
  // found outside the lock on build_threads threads, then all are inserted
  // under one exclusive lock. All or nothing on bad input or a present id.
  Status AddBatch(std::span<const int64_t> ids, std::span<const float> values);

  // Trains the 8-bit quantiser and `lists` IVF centroids on a sample (n * kDim
  // floats, n >= lists) while the index is empty, so that later Adds go
  // straight to their list: the way to build a compressed index without ever
  // holding every float vector. Conflict when the index is not empty.
  Status Train(std::span<const float> sample, std::size_t lists);

  // Removes template `id`; true when it was present. Immediate: once this
  // returns, no Search (running or future) returns the id (REQ C4, S7).
  bool Remove(int64_t id);

  bool Contains(int64_t id) const;

  // Up to k nearest templates, nearest first (ties by id). Approximate when
  // the IVF is in use. InvalidInput when a query value is not finite or k == 0.
  Result<std::vector<Hit>> Search(Vector query, std::size_t k) const;

  // Always brute force over every template (ground truth for recall checks).
  Result<std::vector<Hit>> SearchExact(Vector query, std::size_t k) const;

  std::size_t Size() const;
  std::size_t MemoryBytes() const;
  IndexStats Stats() const;

  // True when the size rule asks for a different structure: exact -> IVF at
  // approximate_from, IVF retrained after 4x growth, IVF -> exact below half.
  // Compressed mode: only the 4x growth rule (it never becomes exact).
  bool NeedsRebuild() const;

  // Rebuilds to the structure the rule asks for (trains k-means when IVF).
  // The slow part runs under a shared lock, so searches continue; only the
  // final swap takes the exclusive lock. Adds and removes made meanwhile are
  // kept. One Rebuild at a time (a second caller waits). Call it from a
  // background thread when NeedsRebuild(), or after a bulk load.
  // Compressed mode: retrains the centroids (list count by the size rule) on
  // reconstructions of the codes and moves codes between lists; the quantiser
  // and the codes themselves are kept (no float copy exists to re-encode from).
  Status Rebuild();

  // Forces IVF with `lists` lists now, regardless of size (tests, benchmarks).
  Status RebuildApproximate(std::size_t lists);

  // Sets the number of lists scanned per query (clamped to the list count);
  // 0 returns to the automatic rule.
  void SetProbes(std::size_t probes);

  // Sets how many code-scan candidates are re-ranked (IndexOptions::rerank),
  // at least 1; benchmarks sweep it.
  void SetRerank(std::size_t rerank);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Lists the rule picks for n templates (0 means exact search).
std::size_t ListsFor(const IndexOptions& options, std::size_t n);

}  // namespace facegate::gallery
