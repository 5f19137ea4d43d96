// 1:N search benchmark on face-like synthetic templates (issue 4, docs/identification.md):
// latency p50/p99 on one thread, queries/s on two threads, recall@1 against
// exact search, memory per template, build time, and CompreFace-style exact
// search in double precision in the same run as the ratio to beat.
//
//   gallery_bench [--sizes 10000,100000,1000000] [--queries 300] [--probes 32,64,128]
//                 [--build-threads 1] [--double-queries 20]
//   gallery_bench --compressed [--sizes 10000000] [--probes 96,192,384] [--rerank 32,1000000]
//                 [--lists 4096] [--batch 65536] ...
//
// --compressed builds the compressed IVF (IndexOptions::keep_floats = false)
// without ever holding all float vectors: templates are generated in batches,
// deterministically by batch number, the quantiser and lists are trained on the
// first batches, then every batch is added; the ground truth (exact float
// search) and the double-precision brute force stream the same batches again.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gallery/index.h"
#include "gallery/synthetic.h"

using namespace facegate::gallery;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::size_t> ParseList(const char* s) {
  std::vector<std::size_t> out;
  for (const char* p = s; *p;) {
    out.push_back(std::strtoull(p, nullptr, 10));
    p = std::strchr(p, ',');
    if (!p) break;
    ++p;
  }
  return out;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))];
}

// CompreFace: every distance in double precision over a float64 matrix, then argmin.
int64_t DoubleBruteForce(const std::vector<double>& db, std::size_t n, const Values& q) {
  double best = 1e300;
  int64_t arg = -1;
  for (std::size_t i = 0; i < n; ++i) {
    const double* v = db.data() + i * kDim;
    double s = 0;
    for (int d = 0; d < kDim; ++d) {
      const double diff = v[d] - double(q[d]);
      s += diff * diff;
    }
    s = std::sqrt(s);
    if (s < best) best = s, arg = int64_t(i);
  }
  return arg;
}

struct Run {
  double p50, p99, recall_genuine, recall_stranger, qps2;
};

Run Measure(const Index& index, const std::vector<Values>& probes, std::size_t genuine,
            const std::vector<int64_t>& truth, bool exact) {
  std::vector<double> lat;
  std::size_t agree_g = 0, agree_s = 0;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    auto t0 = Clock::now();
    auto r = exact ? index.SearchExact(probes[i], 1) : index.Search(probes[i], 1);
    lat.push_back(Ms(Clock::now() - t0));
    const bool ok = r.ok() && !r->empty() && (*r)[0].id == truth[i];
    (i < genuine ? agree_g : agree_s) += ok;
  }
  // Two threads, each running all probes.
  auto t0 = Clock::now();
  std::vector<std::thread> th;
  for (int t = 0; t < 2; ++t)
    th.emplace_back([&] {
      for (const auto& p : probes) (void)(exact ? index.SearchExact(p, 1) : index.Search(p, 1));
    });
  for (auto& x : th) x.join();
  const double secs = Ms(Clock::now() - t0) / 1000;
  return Run{Percentile(lat, 0.5), Percentile(lat, 0.99), double(agree_g) / double(genuine),
             double(agree_s) / double(probes.size() - genuine), 2.0 * double(probes.size()) / secs};
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

double RssMiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024;
  return 0;
}

// Batch b of the deterministic stream of n enrolled templates (one per person):
// the same values every time it is generated. Identities kept when asked.
std::size_t MakeBatch(uint64_t seed, std::size_t b, std::size_t batch, std::size_t n,
                      std::vector<float>& out, std::vector<Values>* identities) {
  SyntheticFaces faces(seed * 1'000'003 + b);
  const std::size_t m = std::min(batch, n - b * batch);
  out.resize(m * kDim);
  if (identities) identities->clear();
  for (std::size_t i = 0; i < m; ++i) {
    Values id = faces.Identity();
    Values t = faces.Capture(id);
    std::copy(t.begin(), t.end(), out.begin() + i * kDim);
    if (identities) identities->push_back(id);
  }
  return m;
}

struct CompressedArgs {
  std::size_t queries, double_queries, lists, batch;
  std::vector<std::size_t> probes, reranks;
  int build_threads;
};

int RunCompressed(std::size_t n, const CompressedArgs& a) {
  const uint64_t seed = 5000 + n;
  const std::size_t batches = (n + a.batch - 1) / a.batch;
  IndexOptions opt;
  opt.keep_floats = false;
  opt.build_threads = a.build_threads;
  IndexOptions rule;
  rule.approximate_from = 0;
  const std::size_t lists = a.lists ? a.lists : ListsFor(rule, n);
  Index index(opt);
  std::vector<float> buf;
  std::vector<Values> identities;

  // 1. Train on a sample: the first lists * train_per_list templates.
  auto t0 = Clock::now();
  double gen_ms = 0;
  const std::size_t want = std::min(n, lists * opt.train_per_list);
  std::vector<float> sample;
  for (std::size_t b = 0; sample.size() < want * kDim && b < batches; ++b) {
    MakeBatch(seed, b, a.batch, n, buf, nullptr);
    sample.insert(sample.end(), buf.begin(),
                  buf.begin() + std::min(buf.size(), want * kDim - sample.size()));
  }
  gen_ms += Ms(Clock::now() - t0);
  auto tt = Clock::now();
  if (facegate::Status st = index.Train(sample, lists); !st.ok()) {
    std::fprintf(stderr, "train: %s\n", st.message().c_str());
    return 1;
  }
  const double train_s = Ms(Clock::now() - tt) / 1000;
  sample = {};

  // 2. Add every batch; genuine probes are new captures of every `every`-th person.
  SyntheticFaces probe_faces(seed + 7);
  std::vector<Values> probes;
  const std::size_t every = std::max<std::size_t>(1, n / a.queries);
  std::vector<int64_t> ids;
  double add_ms = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t m = MakeBatch(seed, b, a.batch, n, buf, &identities);
    ids.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t g = b * a.batch + i;
      ids[i] = int64_t(g);
      if (g % every == 0 && probes.size() < a.queries)
        probes.push_back(probe_faces.Capture(identities[i]));
    }
    auto a0 = Clock::now();
    if (facegate::Status st = index.AddBatch(ids, buf); !st.ok()) {
      std::fprintf(stderr, "add: %s\n", st.message().c_str());
      return 1;
    }
    add_ms += Ms(Clock::now() - a0);
  }
  const std::size_t genuine = probes.size();
  for (std::size_t i = 0; i < a.queries / 2; ++i)
    probes.push_back(probe_faces.Capture(probe_faces.Identity()));
  const double build_s = train_s + add_ms / 1000;
  const IndexStats st = index.Stats();
  const double bpt = double(st.memory_bytes) / double(n);
  const double rss = RssMiB();

  // 3. Ground truth: exact float nearest by streaming the batches again (two
  //    threads over the probes); double-precision brute force timed on the
  //    first double_queries probes (conversion to double not timed).
  std::vector<float> best(probes.size(), 1e30f);
  std::vector<int64_t> truth(probes.size(), -1);
  std::vector<double> dbl_ms(std::min(a.double_queries, genuine), 0.0);
  std::vector<int64_t> dbl_arg(dbl_ms.size(), -1);
  std::vector<double> dbl_best(dbl_ms.size(), 1e300);
  std::vector<double> dbuf;
  double truth_ms = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t m = MakeBatch(seed, b, a.batch, n, buf, nullptr);
    auto s0 = Clock::now();
    auto work = [&](std::size_t lo, std::size_t hi) {
      std::vector<float> d(m);
      for (std::size_t q = lo; q < hi; ++q) {
        SquaredDistances(probes[q].data(), buf.data(), m, d.data());
        for (std::size_t i = 0; i < m; ++i)
          if (d[i] < best[q]) best[q] = d[i], truth[q] = int64_t(b * a.batch + i);
      }
    };
    const std::size_t half = probes.size() / 2;
    std::thread other(work, half, probes.size());
    work(0, half);
    other.join();
    truth_ms += Ms(Clock::now() - s0);
    if (dbl_ms.empty()) continue;
    dbuf.assign(buf.begin(), buf.end());
    for (std::size_t q = 0; q < dbl_ms.size(); ++q) {
      auto d0 = Clock::now();
      for (std::size_t i = 0; i < m; ++i) {
        const double* v = dbuf.data() + i * kDim;
        double s2 = 0;
        for (int d = 0; d < kDim; ++d) {
          const double diff = v[d] - double(probes[q][d]);
          s2 += diff * diff;
        }
        s2 = std::sqrt(s2);
        if (s2 < dbl_best[q]) dbl_best[q] = s2, dbl_arg[q] = int64_t(b * a.batch + i);
      }
      dbl_ms[q] += Ms(Clock::now() - d0);
    }
  }
  for (std::size_t q = 0; q < dbl_ms.size(); ++q)
    if (dbl_arg[q] != truth[q]) std::printf("  note: double and float exact disagree on probe %zu\n", q);
  std::size_t right_person = 0;
  for (std::size_t i = 0; i < genuine; ++i) right_person += truth[i] == int64_t(i * every);
  const double dbl_p50 = dbl_ms.empty() ? 0 : Percentile(dbl_ms, 0.5);

  std::printf("%9zu compressed IVF, %zu lists: train %.1f s + add %.1f s (generation %.1f s not "
              "counted), %.1f B/template by MemoryBytes (process RSS %.0f MiB), load average %s\n",
              n, st.lists, train_s, add_ms / 1000, gen_ms / 1000, bpt, rss, LoadAverage().c_str());
  std::printf("%9zu %-18s %8.1f %8s %9s %8s %8s %7s  (%zu queries; exact float scan of all: %.1f ms "
              "per query per thread)\n",
              n, "double (CF)", dbl_p50, "-", "-", "1", "1", "1024", dbl_ms.size(),
              truth_ms / double(probes.size()) * 2);
  std::printf("%9s %-18s %8s %8s %9s %8s %8s %7s %9s\n", "N", "mode", "p50 ms", "p99 ms",
              "q/s (2t)", "rec@1 g", "rec@1 s", "B/tmpl", "build s");
  for (std::size_t rr : a.reranks) {
    index.SetRerank(rr);
    for (std::size_t p : a.probes) {
      index.SetProbes(p);
      const IndexStats s2 = index.Stats();
      Run r = Measure(index, probes, genuine, truth, false);
      char mode[48];
      std::snprintf(mode, sizeof mode, "c8 %zu/%zu rr%zu", s2.probes, s2.lists, rr);
      std::printf("%9zu %-18s %8.2f %8.2f %9.0f %8.3f %8.3f %7.0f %9.1f  (x%.0f vs double)\n", n,
                  mode, r.p50, r.p99, r.qps2, r.recall_genuine, r.recall_stranger, bpt, build_s,
                  dbl_p50 / r.p50);
      std::fflush(stdout);
    }
  }
  std::sort(best.begin() + genuine, best.end());
  std::printf("          exact top-1 is the right person for %.3f of genuine probes; stranger "
              "nearest distance median %.3f; load average now %s\n",
              double(right_person) / double(genuine),
              std::sqrt(best[genuine + (best.size() - genuine) / 2]), LoadAverage().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes = {10'000, 100'000};
  std::vector<std::size_t> probe_sweep;
  std::size_t queries = 300, double_queries = 20;
  int build_threads = 1;
  bool compressed = false;
  CompressedArgs ca{0, 0, 0, 65'536, {}, {32}, 1};
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--compressed") {
      compressed = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "option %s needs a value\n", argv[i]);
      return 2;
    }
    if (a == "--sizes") sizes = ParseList(argv[i + 1]);
    else if (a == "--rerank") ca.reranks = ParseList(argv[i + 1]);
    else if (a == "--lists") ca.lists = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--batch") ca.batch = std::max<std::size_t>(1, std::strtoull(argv[i + 1], nullptr, 10));
    else if (a == "--queries") queries = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--probes") probe_sweep = ParseList(argv[i + 1]);
    else if (a == "--build-threads") build_threads = std::atoi(argv[i + 1]);
    else if (a == "--double-queries") double_queries = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("kernel: %s; queries: %zu genuine + %zu strangers per size; load average %s\n",
              KernelName(), queries, queries / 2, LoadAverage().c_str());
  if (compressed) {
    ca.queries = queries;
    ca.double_queries = double_queries;
    ca.build_threads = build_threads;
    ca.probes = probe_sweep.empty() ? std::vector<std::size_t>{0} : probe_sweep;
    for (std::size_t n : sizes)
      if (int rc = RunCompressed(n, ca)) return rc;
    return 0;
  }
  std::printf("%9s %-14s %8s %8s %9s %8s %8s %7s %9s\n", "N", "mode", "p50 ms", "p99 ms",
              "q/s (2t)", "rec@1 g", "rec@1 s", "B/tmpl", "build s");
  for (std::size_t n : sizes) {
    SyntheticFaces faces(1000 + n);
    IndexOptions opt;
    opt.build_threads = build_threads;
    Index index(opt);
    std::vector<double> db(n * kDim);  // float64 copy for the CompreFace-style baseline
    std::vector<Values> probes;
    std::vector<int64_t> probe_of;
    const std::size_t every = std::max<std::size_t>(1, n / queries);
    auto t0 = Clock::now();
    double gen_ms = 0;
    for (std::size_t i = 0; i < n; ++i) {
      auto g0 = Clock::now();
      Values id = faces.Identity();
      Values enrolled = faces.Capture(id);
      if (i % every == 0 && probes.size() < queries) probes.push_back(faces.Capture(id));
      std::copy(enrolled.begin(), enrolled.end(), db.begin() + i * kDim);
      gen_ms += Ms(Clock::now() - g0);
      if (!index.Add(int64_t(i), enrolled).ok()) return 1;
    }
    const std::size_t genuine = probes.size();
    for (std::size_t i = 0; i < queries / 2; ++i) probes.push_back(faces.Capture(faces.Identity()));
    const double add_s = (Ms(Clock::now() - t0) - gen_ms) / 1000;
    auto r0 = Clock::now();
    const bool ivf = index.NeedsRebuild();
    if (ivf && !index.Rebuild().ok()) return 1;
    const double build_s = add_s + Ms(Clock::now() - r0) / 1000;
    IndexStats st = index.Stats();

    std::vector<int64_t> truth;
    std::vector<float> stranger_nn;
    for (std::size_t i = 0; i < probes.size(); ++i) {
      auto r = index.SearchExact(probes[i], 1);
      truth.push_back((*r)[0].id);
      if (i >= genuine) stranger_nn.push_back((*r)[0].distance);
    }
    std::size_t right_person = 0;
    for (std::size_t i = 0; i < genuine; ++i) right_person += truth[i] == int64_t(i * every);

    // CompreFace-style double precision brute force (a few queries: it is slow).
    std::vector<double> dl;
    for (std::size_t i = 0; i < std::min(double_queries, genuine); ++i) {
      auto d0 = Clock::now();
      int64_t got = DoubleBruteForce(db, n, probes[i]);
      dl.push_back(Ms(Clock::now() - d0));
      if (got != truth[i]) std::printf("  note: double and float exact disagree on probe %zu\n", i);
    }
    db.clear();
    db.shrink_to_fit();
    const double dbl_p50 = Percentile(dl, 0.5);
    std::printf("%9zu %-14s %8.2f %8.2f %9s %8s %8s %7s %9s\n", n, "double (CF)", dbl_p50,
                Percentile(dl, 0.99), "-", "1", "1", "1024", "-");

    const double bpt = double(st.memory_bytes) / double(n);
    Run ex = Measure(index, probes, genuine, truth, true);
    std::printf("%9zu %-14s %8.2f %8.2f %9.0f %8.3f %8.3f %7.0f %9.1f\n", n, "exact f32", ex.p50,
                ex.p99, ex.qps2, ex.recall_genuine, ex.recall_stranger, bpt, add_s);
    if (ivf) {
      std::vector<std::size_t> sweep = probe_sweep;
      if (sweep.empty()) sweep.push_back(0);
      for (std::size_t p : sweep) {
        index.SetProbes(p);
        st = index.Stats();
        Run a = Measure(index, probes, genuine, truth, false);
        char mode[32];
        std::snprintf(mode, sizeof mode, "ivf %zu/%zu", st.probes, st.lists);
        std::printf("%9zu %-14s %8.2f %8.2f %9.0f %8.3f %8.3f %7.0f %9.1f  (x%.0f vs double)\n",
                    n, mode, a.p50, a.p99, a.qps2, a.recall_genuine, a.recall_stranger, bpt,
                    build_s, dbl_p50 / a.p50);
      }
      index.SetProbes(0);
    }
    std::sort(stranger_nn.begin(), stranger_nn.end());
    std::printf("          exact top-1 is the right person for %.3f of genuine probes; "
                "stranger nearest distance median %.3f, min %.3f\n",
                double(right_person) / double(genuine), stranger_nn[stranger_nn.size() / 2],
                stranger_nn.front());
    std::fflush(stdout);
  }
  return 0;
}
