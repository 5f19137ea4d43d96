// 1:N search benchmark on face-like synthetic templates (issue 4, docs/identification.md):
// latency p50/p99 on one thread, queries/s on two threads, recall@1 against
// exact search, memory per template, build time, and CompreFace-style exact
// search in double precision in the same run as the ratio to beat.
//
//   gallery_bench [--sizes 10000,100000,1000000] [--queries 300] [--probes 32,64,128]
//                 [--build-threads 1] [--double-queries 20]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes = {10'000, 100'000};
  std::vector<std::size_t> probe_sweep;
  std::size_t queries = 300, double_queries = 20;
  int build_threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--sizes") sizes = ParseList(argv[i + 1]);
    else if (a == "--queries") queries = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--probes") probe_sweep = ParseList(argv[i + 1]);
    else if (a == "--build-threads") build_threads = std::atoi(argv[i + 1]);
    else if (a == "--double-queries") double_queries = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("kernel: %s; queries: %zu genuine + %zu strangers per size\n", KernelName(),
              queries, queries / 2);
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
