// Calibration and open-set evaluation for identification (issue 4 parts 3, 6)
// on facedata's 1,604 LFW photos, under a research grant (REQ P3).
//
// 1. One template per photo (the face nearest the centre, as for LFW).
// 2. Every different-person pair of photos gives an impostor distance, every
//    same-person pair a genuine one. With --emit DIR it writes the derived
//    statistics (never a template) into data/ (calibration.json and calibration_*.f32;
//    data/README.md), from which the build generates the C++ (scripts/embed-data.py):
//      nice -n 10 build-ident/bench/ident_calibrate --emit data
//    then record the new files' sha256 in data/README.md (scripts/embed-data.py sums).
// 3. Open-set protocol: every 5th person with >= 2 photos is held out as a
//    stranger with the 60 one-photo people; the others enrol the first half of
//    their photos (at least one) and probe with the rest. Compares the template
//    rules (first photo only, mean template, all photos with the minimum
//    distance) over thresholds. --write-lists DIR writes gallery.tsv and
//    probes.tsv for `facegate eval identify`.
// --flip makes each photo's template the mean of its own and its mirror image's
// (test-time flip; measured in docs/identification.md, not what the service does).
// --cache FILE keeps the templates between runs (delete it afterwards: they
// are biometric data of the photographed people, even if public).
#include <facegate/service.h>
#include <facegate/vision.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "data_files.h"
#include "facedata_faces.h"
#include "gallery/mean.h"
#include "gallery/open_set.h"
#include "service/calibration.h"
#include "policy/gate.h"
#include "vision/detection.h"

using namespace facegate;
namespace fs = std::filesystem;

namespace {

using Vec = std::array<float, kTemplateDim>;

struct Photo {
  std::string rel;       // lfw/Name/Name_0001.jpg
  std::string identity;  // Name
  std::optional<Vec> v;
};

bool WriteF32(const std::string& path, const std::vector<float>& v) {
  return bench::WriteF32(path, v, "%.6f");  // the precision of the former C++ literals
}

float Dist(const Vec& a, const Vec& b) {
  double s = 0;
  for (int i = 0; i < kTemplateDim; ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return float(std::sqrt(s));
}

bool LoadCache(const std::string& file, std::vector<Photo>& photos) {
  std::ifstream in(file);
  if (!in) return false;
  std::map<std::string, std::optional<Vec>> got;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string rel, tag;
    s >> rel >> tag;
    if (tag == "none") {
      got[rel] = std::nullopt;
      continue;
    }
    Vec v;
    v[0] = std::stof(tag);
    for (int i = 1; i < kTemplateDim; ++i) s >> v[i];
    got[rel] = v;
  }
  for (auto& p : photos) {
    auto it = got.find(p.rel);
    if (it == got.end()) return false;
    p.v = it->second;
  }
  return true;
}

void SaveCache(const std::string& file, const std::vector<Photo>& photos) {
  std::ofstream out(file);
  for (const auto& p : photos) {
    out << p.rel;
    if (!p.v) {
      out << " none\n";
      continue;
    }
    char buf[32];
    for (float x : *p.v) {
      std::snprintf(buf, sizeof buf, " %.9g", x);
      out << buf;
    }
    out << '\n';
  }
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
}

struct Rates {
  double identified = 0;  // enrolled probes: nearest is the right person and within t
  double rank1 = 0;       // enrolled probes: nearest is the right person (any distance)
  double rejected = 0;    // strangers: nearest beyond t
};

}  // namespace

int main(int argc, char** argv) {
  std::string root = FACEGATE_FACEDATA, emit, cache, lists;
  bool flip = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--flip") {
      flip = true;
      continue;
    }
    if (i + 1 < argc && a == "--root") root = argv[++i];
    else if (i + 1 < argc && a == "--emit") emit = argv[++i];
    else if (i + 1 < argc && a == "--cache") cache = argv[++i];
    else if (i + 1 < argc && a == "--write-lists") lists = argv[++i];
    else {
      std::fprintf(stderr, "usage: ident_calibrate [--root DIR] [--emit DATA_DIR] [--cache FILE] "
                           "[--write-lists DIR] [--flip]\n");
      return 2;
    }
  }
  std::vector<Photo> photos;
  for (const auto& d : fs::directory_iterator(root + "/lfw"))
    for (const auto& f : fs::directory_iterator(d.path()))
      photos.push_back({"lfw/" + d.path().filename().string() + "/" + f.path().filename().string(),
                        d.path().filename().string(), std::nullopt});
  std::sort(photos.begin(), photos.end(), [](auto& a, auto& b) { return a.rel < b.rel; });
  const auto t0 = std::chrono::steady_clock::now();
  std::string model_id = "templates read from --cache";
  if (cache.empty() || !LoadCache(cache, photos)) {
    auto engine = bench::LoadEngine();
    if (!engine) return 1;
    model_id = engine->model_version();
    const Grant grant = policy::Gate::AuthorizeResearch("facedata: lfw identification calibration");
    std::vector<std::string> files;
    for (const auto& p : photos) files.push_back(root + "/" + p.rel);
    bench::ForEachCentreFace(*engine, grant, files, [&](size_t i, const cv::Mat& img, const vision::Face& face) {
      auto t = engine->Extract(grant, img, face);
      if (!t.ok()) return;
      photos[i].v = t->values();
      if (!flip) return;
      // Test-time flip: the mean of the photo's and its mirror's template.
      cv::Mat m;
      cv::flip(img, m, 1);
      auto ff = engine->Detect(grant, m);
      if (!ff.ok()) return;
      const int c2 = vision::NearestToCentre(*ff, m.size());
      if (c2 < 0) return;
      auto t2 = engine->Extract(grant, m, (*ff)[c2]);
      if (!t2.ok()) return;
      auto v = *photos[i].v;
      for (size_t k = 0; k < v.size(); ++k) v[k] = 0.5f * (v[k] + t2->values()[k]);
      photos[i].v = v;
    });
    if (!cache.empty()) SaveCache(cache, photos);
  }
  size_t no_face = 0;
  for (auto& p : photos) no_face += !p.v;
  std::printf("photos %zu, no face %zu, templates in %.0f s\n", photos.size(), no_face,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  // All pairs.
  std::vector<float> impostor, genuine;
  for (size_t i = 0; i < photos.size(); ++i) {
    if (!photos[i].v) continue;
    for (size_t j = i + 1; j < photos.size(); ++j) {
      if (!photos[j].v) continue;
      const float d = Dist(*photos[i].v, *photos[j].v);
      (photos[i].identity == photos[j].identity ? genuine : impostor).push_back(d);
    }
  }
  std::sort(impostor.begin(), impostor.end());
  std::sort(genuine.begin(), genuine.end());
  auto q0 = [](const std::vector<float>& v, double p) {
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
  };
  std::printf("photo-photo impostor pairs %zu: 1e-4 %.4f, 1e-3 %.4f, 1%% %.4f; genuine %zu: median %.4f\n",
              impostor.size(), q0(impostor, 1e-4), q0(impostor, 1e-3), q0(impostor, 0.01),
              genuine.size(), q0(genuine, 0.5));
  // A scope holds one mean template per member (the rule chosen below), so the
  // calibration compares photos with mean templates: each person with >= 2
  // photos gives the mean of the first half (at least one); genuine = their
  // other photos against it, impostor = every photo of everybody else.
  {
    std::map<std::string, std::vector<const Photo*>> ids;
    for (const auto& p : photos)
      if (p.v) ids[p.identity].push_back(&p);
    impostor.clear();
    genuine.clear();
    for (auto& [id, ph] : ids) {
      if (ph.size() < 2) continue;
      const size_t g = std::max<size_t>(1, ph.size() / 2);
      gallery::MeanAccumulator acc;
      for (size_t i = 0; i < g; ++i) acc.Add(ph[i]->v->data());
      const Vec m = acc.Mean();
      for (size_t i = g; i < ph.size(); ++i) genuine.push_back(Dist(m, *ph[i]->v));
      for (const auto& p : photos)
        if (p.v && p.identity != id) impostor.push_back(Dist(m, *p.v));
    }
    std::sort(impostor.begin(), impostor.end());
    std::sort(genuine.begin(), genuine.end());
  }
  auto q = [](const std::vector<float>& v, double p) {
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
  };
  std::printf("photo-vs-mean impostor pairs %zu: min %.4f, 1e-4 %.4f, 1e-3 %.4f, 1%% %.4f, 10%% %.4f, median %.4f\n",
              impostor.size(), impostor[0], q(impostor, 1e-4), q(impostor, 1e-3), q(impostor, 0.01),
              q(impostor, 0.1), q(impostor, 0.5));
  std::printf("photo-vs-mean genuine pairs %zu: 1%% %.4f, 5%% %.4f, 10%% %.4f, median %.4f, 90%% %.4f, 95%% %.4f, "
              "99%% %.4f, max %.4f\n",
              genuine.size(), q(genuine, 0.01), q(genuine, 0.05), q(genuine, 0.1), q(genuine, 0.5),
              q(genuine, 0.9), q(genuine, 0.95), q(genuine, 0.99), genuine.back());
  auto model = gallery::ImpostorDistances::FromSample(impostor);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  auto genuine_accept = [&](float t) {
    return double(std::upper_bound(genuine.begin(), genuine.end(), t) - genuine.begin()) /
           double(genuine.size());
  };
  std::printf("\nscope size -> threshold for 1%% stranger FAR (genuine pairs accepted):\n");
  for (uint64_t n : {1ull, 10ull, 100ull, 272ull, 1000ull, 10000ull, 100000ull, 1000000ull,
                     10000000ull}) {
    auto c = model->ThresholdFor(0.01, n);
    std::printf("  %9llu  t=%.4f  %s  genuine accepted %.1f%%\n", (unsigned long long)n,
                c.threshold, c.extrapolated ? "(tail model)" : "(empirical) ",
                100 * genuine_accept(c.threshold));
  }
  const float vt = service::DefaultVerifyThreshold();
  std::printf("max scope for 1%% at the verify threshold %.4f: %llu; at -0.05: %llu; at -0.1: %llu; "
              "at -0.15: %llu\n", vt,
              (unsigned long long)model->MaxScopeSize(vt, 0.01),
              (unsigned long long)model->MaxScopeSize(vt - 0.05f, 0.01),
              (unsigned long long)model->MaxScopeSize(vt - 0.1f, 0.01),
              (unsigned long long)model->MaxScopeSize(vt - 0.15f, 0.01));

  if (!emit.empty()) {
    constexpr size_t kLowest = 3000;
    const size_t n = impostor.size();
    std::vector<size_t> ranks;
    for (int j = 0; j <= 1000; ++j) {
      size_t r = size_t(std::llround(double(j) / 1000 * double(n - 1)));
      if (r >= kLowest - 1) ranks.push_back(r);
    }
    ranks.push_back(kLowest - 1);
    ranks.push_back(size_t(std::ceil(0.10 * double(n))) - 1);  // the tail model's upper anchor
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    std::vector<float> lowest(impostor.begin(), impostor.begin() + kLowest);
    std::vector<float> rank_values, percentiles;
    for (size_t r : ranks) rank_values.push_back(impostor[r]);
    // Genuine distance percentiles 0, 1, ..., 100 (0: smallest, 100: largest).
    for (int p = 0; p <= 100; ++p) {
      const size_t r = p == 100 ? genuine.size() - 1
                                : size_t(std::floor(double(p) / 100 * double(genuine.size())));
      percentiles.push_back(genuine[r]);
    }
    {
      std::ofstream out(emit + "/calibration.json", std::ios::trunc);
      out << "{\n"
          << "  \"photos\": " << photos.size() << ",\n"
          << "  \"model\": " << nlohmann::json(model_id).dump() << ",\n"
          << "  \"impostor_count\": " << n << ",\n"
          << "  \"genuine_count\": " << genuine.size() << ",\n"
          << "  \"impostor_lowest_count\": " << kLowest << ",\n"
          << "  \"impostor_ranks\": [";
      for (size_t i = 0; i < ranks.size(); ++i)
        out << (i == 0 ? "\n    " : i % 10 == 0 ? ",\n    " : ", ") << ranks[i];
      out << "\n  ]\n}\n";
      out.close();
      if (!out) {
        std::fprintf(stderr, "cannot write %s/calibration.json\n", emit.c_str());
        return 1;
      }
    }
    if (!WriteF32(emit + "/calibration_impostor_lowest.f32", lowest) ||
        !WriteF32(emit + "/calibration_impostor_rank_values.f32", rank_values) ||
        !WriteF32(emit + "/calibration_genuine_percentiles.f32", percentiles))
      return 1;
    std::printf("wrote %s/calibration.json and calibration_*.f32: record their sha256 in\n"
                "data/README.md (python3 scripts/embed-data.py sums --data %s), then rebuild\n",
                emit.c_str(), emit.c_str());
  }

  {
    // The shipped rule on the shipped calibration data (rebuild after --emit to see new data).
    const service::ScopeThreshold r = service::ThresholdForScope(1, service::DefaultVerifyThreshold());
    std::printf("shipped scope rule: warns past %llu members, refuses past %llu\n",
                (unsigned long long)r.max_comfortable, (unsigned long long)r.max_supported);
    for (uint64_t n : std::vector<uint64_t>{1, 10, 100, 272, 1000, 10000, 100000, 1000000,
                                            r.max_supported, 10000000}) {
      const service::ScopeThreshold t = service::ThresholdForScope(n, service::DefaultVerifyThreshold());
      std::printf("  %9llu  t=%.4f  same-person match %.1f%%%s%s\n", (unsigned long long)n, t.threshold,
                  100 * t.genuine_accept, t.extrapolated ? "  (tail model)" : "",
                  !t.supported ? "  refused" : (t.warning.empty() ? "" : "  warned"));
    }
  }

  // Open-set protocol.
  std::map<std::string, std::vector<const Photo*>> by_id;
  for (const auto& p : photos)
    if (p.v) by_id[p.identity].push_back(&p);
  std::vector<std::pair<std::string, const Photo*>> gallery, probes;  // identity, photo
  std::map<std::string, bool> enrolled;
  int multi = 0;
  for (auto& [id, ph] : by_id) {
    bool stranger = ph.size() < 2 || (multi++ % 5 == 4);
    if (stranger) {
      for (auto* p : ph) probes.push_back({id, p});
      continue;
    }
    enrolled[id] = true;
    const size_t g = std::max<size_t>(1, ph.size() / 2);
    for (size_t i = 0; i < ph.size(); ++i) (i < g ? gallery : probes).push_back({id, ph[i]});
  }
  size_t enrolled_probes = 0;
  for (auto& [id, p] : probes) enrolled_probes += enrolled.count(id);
  std::printf("\nopen set: %zu enrolled people (%zu gallery photos), %zu enrolled probes, %zu "
              "stranger probes of %zu people\n",
              enrolled.size(), gallery.size(), enrolled_probes, probes.size() - enrolled_probes,
              by_id.size() - enrolled.size());
  if (!lists.empty()) {
    fs::create_directories(lists);
    std::ofstream g(lists + "/gallery.tsv"), pr(lists + "/probes.tsv");
    for (auto& [id, p] : gallery) g << id << '\t' << p->rel << '\n';
    for (auto& [id, p] : probes) pr << id << '\t' << p->rel << '\n';
    std::printf("wrote %s/gallery.tsv and probes.tsv\n", lists.c_str());
  }
  // Templates per rule.
  enum Rule { kFirst, kMean, kAllMin };
  const char* names[] = {"first photo", "mean template", "all photos, min"};
  for (int rule : {kFirst, kMean, kAllMin}) {
    std::vector<std::pair<std::string, Vec>> g;
    std::map<std::string, std::vector<Vec>> per;
    for (auto& [id, p] : gallery) per[id].push_back(*p->v);
    for (auto& [id, vs] : per) {
      if (rule == kFirst) g.push_back({id, vs[0]});
      else if (rule == kAllMin)
        for (auto& v : vs) g.push_back({id, v});
      else {
        gallery::MeanAccumulator acc;
        for (auto& v : vs) acc.Add(v.data());
        g.push_back({id, acc.Mean()});
      }
    }
    // Nearest gallery entry of every probe.
    std::vector<std::pair<bool, bool>> kind;  // enrolled?, nearest is right?
    std::vector<float> dist;
    for (auto& [id, p] : probes) {
      float best = 1e9f;
      std::string who;
      for (auto& [gid, v] : g) {
        const float d = Dist(*p->v, v);
        if (d < best) best = d, who = gid;
      }
      kind.push_back({enrolled.count(id) > 0, who == id});
      dist.push_back(best);
    }
    auto rates = [&](float t) {
      Rates r;
      size_t ne = 0, ns = 0;
      for (size_t i = 0; i < kind.size(); ++i) {
        if (kind[i].first) {
          ++ne;
          r.rank1 += kind[i].second;
          r.identified += kind[i].second && dist[i] <= t;
        } else {
          ++ns;
          r.rejected += dist[i] > t;
        }
      }
      r.rank1 /= double(ne), r.identified /= double(ne), r.rejected /= double(ns);
      return r;
    };
    const float scope_t = std::min(service::DefaultVerifyThreshold(),
                                   model->ThresholdFor(0.01, enrolled.size()).threshold);
    std::printf("\n%s (%zu gallery templates): rank-1 %.1f%%\n", names[rule], g.size(),
                100 * rates(10).rank1);
    std::printf("   threshold  identified  strangers rejected\n");
    std::vector<float> ts;
    for (float d : {-0.12f, -0.08f, -0.06f, -0.04f, -0.02f, 0.f, 0.02f, 0.04f, 0.06f, 0.08f})
      ts.push_back(scope_t + d);
    for (float t : ts) {
      Rates r = rates(t);
      std::printf("   %.4f%s   %6.1f%%    %6.1f%%\n", t, t == scope_t ? "*" : " ",
                  100 * r.identified, 100 * r.rejected);
    }
    float best_t = 0;
    double best_min = 0;
    for (float t = 0.20f; t < 1.80f; t += 0.0025f) {
      Rates r = rates(t);
      if (std::min(r.identified, r.rejected) > best_min) best_min = std::min(r.identified, r.rejected), best_t = t;
    }
    Rates r = rates(best_t);
    std::printf("   best balance at %.4f: identified %.1f%%, rejected %.1f%%  (* = scope threshold "
                "for 1%% FAR at %zu people)\n",
                best_t, 100 * r.identified, 100 * r.rejected, enrolled.size());
  }
  return 0;
}
