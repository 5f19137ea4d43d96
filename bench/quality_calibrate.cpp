// Calibration of the face quality limits (vision/quality.h, docs/quality.md) on facedata, under
// a research grant (REQ P3): nothing is written, photos and templates stay in memory.
//
// 1. The photos of every `--stride`-th pair of lfw-pairs.tsv and every `--utk-stride`-th photo
//    of attributes.tsv (UTKFace) as they are: the distribution of each raw measure and the
//    share each level gets with the shipped limits.
// 2. Those pairs with the second photo degraded in memory
//    (blurred, darkened, overexposed, flattened, downscaled, rotated, eyes or lower face
//    covered): verification accuracy at the shipped threshold (a photo without a face
//    counts as an error), the median raw measure, and how often the degraded photo is graded
//    poor.
//
//   nice -n 10 build/bench/quality_calibrate [--stride 4] [--utk-stride 1] [--threads 2]
//                                            [--root ../shared/facedata]
#include <facegate/service.h>
#include <facegate/vision.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "policy/gate.h"
#include "vision/detection.h"
#include "vision/quality.h"

using namespace facegate;
using namespace facegate::vision;

namespace {

const float kVerifyThreshold = service::DefaultVerifyThreshold();  // docs/vision.md

struct Raw {
  float iod = 0, sharpness = 0, brightness = 0, contrast = 0, yaw = 0, pitch = 0, roll = 0,
        eyes = 0, lower = 0;
  QualityLevel overall = QualityLevel::kGood;
  FaceQuality q;
};

struct Seen {
  bool face = false;
  Raw raw;
  std::optional<Template> tpl;
  Landmarks68 lm{};
};

Engine* engine = nullptr;

Seen Look(const Grant& g, const cv::Mat& rgb) {
  Seen s;
  auto faces = engine->Detect(g, rgb);
  if (!faces.ok() || faces->empty()) return s;
  const Face& f = (*faces)[NearestToCentre(*faces, rgb.size())];
  s.face = true;
  s.lm = f.landmarks;
  cv::Mat rgbf;
  rgb.convertTo(rgbf, CV_32FC3);
  const ChipMeasures c = MeasureChip(SimilarityChip(rgbf, f.landmarks, ChipTemplate::kMeanFace68));
  const HeadPose p = EstimateHeadPose(f.landmarks, rgb.size());
  s.raw = {InterOcularDistance(f.landmarks), c.sharpness, c.brightness, c.contrast, p.yaw, p.pitch, p.roll,
           c.eye_darkness, c.lower_face_distance};
  s.raw.q = GradeQuality(s.raw.iod, c, p);
  s.raw.overall = s.raw.q.overall;
  auto t = engine->Extract(g, rgb, f);
  if (t.ok()) s.tpl = std::move(*t);
  return s;
}

struct Degradation {
  std::string name;
  std::function<cv::Mat(const cv::Mat&, const Landmarks68&)> apply;
};

cv::Mat Scale(const cv::Mat& m, double a, double b) {
  cv::Mat out;
  m.convertTo(out, CV_8UC3, a, b);
  return out;
}

std::vector<Degradation> Degradations() {
  std::vector<Degradation> d;
  d.push_back({"original", [](const cv::Mat& m, const Landmarks68&) { return m.clone(); }});
  for (double s : {1.0, 2.0, 3.0})
    d.push_back({"blur sigma " + std::to_string(s).substr(0, 3) + " px", [s](const cv::Mat& m, const Landmarks68&) {
                   cv::Mat o;
                   cv::GaussianBlur(m, o, cv::Size(), s);
                   return o;
                 }});
  for (double k : {0.3, 0.15, 0.07})
    d.push_back({"dark x" + std::to_string(k).substr(0, 4),
                 [k](const cv::Mat& m, const Landmarks68&) { return Scale(m, k, 0); }});
  for (double k : {2.0, 3.0})
    d.push_back({"bright x" + std::to_string(k).substr(0, 3),
                 [k](const cv::Mat& m, const Landmarks68&) { return Scale(m, k, 0); }});
  for (double k : {0.3, 0.15})
    d.push_back({"contrast x" + std::to_string(k).substr(0, 4),
                 [k](const cv::Mat& m, const Landmarks68&) { return Scale(m, k, 128 * (1 - k)); }});
  for (double k : {0.5, 0.35, 0.25, 0.18})
    d.push_back({"downscale x" + std::to_string(k).substr(0, 4), [k](const cv::Mat& m, const Landmarks68&) {
                   cv::Mat o;
                   cv::resize(m, o, cv::Size(), k, k, cv::INTER_AREA);
                   return o;
                 }});
  for (double a : {15.0, 30.0, 45.0})
    d.push_back({"rotate " + std::to_string(int(a)) + " deg", [a](const cv::Mat& m, const Landmarks68&) {
                   cv::Mat o;
                   const cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(m.cols / 2.f, m.rows / 2.f), a, 1.0);
                   cv::warpAffine(m, o, r, m.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
                   return o;
                 }});
  d.push_back({"sunglasses", [](const cv::Mat& m, const Landmarks68& lm) {
                 cv::Mat o = m.clone();
                 for (int first : {36, 42}) {
                   cv::Point2f c(0, 0);
                   for (int i = first; i < first + 6; ++i) c += lm[i];
                   c *= 1.f / 6;
                   const float w = float(cv::norm(lm[first] - lm[first + 3]));
                   const double ang = std::atan2(lm[first + 3].y - lm[first].y, lm[first + 3].x - lm[first].x) * 180 / CV_PI;
                   cv::ellipse(o, cv::Point(cvRound(c.x), cvRound(c.y)), cv::Size(cvRound(w * 0.95), cvRound(w * 0.7)),
                               ang, 0, 360, cv::Scalar(25, 25, 30), cv::FILLED, cv::LINE_AA);
                 }
                 return o;
               }});
  for (auto [name, colour] : {std::pair{"mask light blue", cv::Scalar(170, 205, 230)},
                              std::pair{"mask black", cv::Scalar(30, 30, 35)}}) {
    d.push_back({name, [colour](const cv::Mat& m, const Landmarks68& lm) {
                   cv::Mat o = m.clone();
                   std::vector<cv::Point> poly;
                   for (int i = 1; i <= 15; ++i) poly.emplace_back(cvRound(lm[i].x), cvRound(lm[i].y));
                   poly.emplace_back(cvRound(lm[29].x), cvRound(lm[29].y));
                   cv::fillPoly(o, std::vector<std::vector<cv::Point>>{poly}, colour, cv::LINE_AA);
                   return o;
                 }});
  }
  return d;
}

double Percentile(std::vector<float> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, size_t(p / 100 * double(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, for a long run
  std::string root = FACEGATE_FACEDATA;
  int stride = 4, utk_stride = 1, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--root") root = argv[i + 1];
    else if (a == "--stride") stride = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--utk-stride") utk_stride = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: quality_calibrate [--stride N] [--utk-stride N] [--threads N] [--root DIR]\n");
      return 2;
    }
  }
  EngineConfig cfg;
  cfg.model_dir = FACEGATE_MODELS;
  cfg.lock_file = FACEGATE_LOCK;
  auto loaded = Engine::Load(cfg);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  engine = loaded->get();
  const Grant grant = policy::Gate::AuthorizeResearch("quality calibration on facedata");

  struct Pair {
    std::string a, b;
    bool same;
  };
  std::vector<Pair> pairs;
  std::vector<std::pair<std::string, std::string>> photos;  // dataset, path
  std::map<std::string, bool> seen_path;
  {
    std::ifstream in(root + "/lfw-pairs.tsv");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string a, b, same;
      if (!(ls >> a >> b >> same)) continue;
      if (n++ % stride != 0) continue;
      pairs.push_back({a, b, same == "1"});
      for (auto& p : {a, b})
        if (!seen_path[p]) {
          seen_path[p] = true;
          photos.push_back({"LFW", p});
        }
    }
    std::ifstream at(root + "/attributes.tsv");
    int u = 0;
    while (std::getline(at, line)) {
      const auto tab = line.find('\t');
      if (tab != std::string::npos && u++ % utk_stride == 0) photos.push_back({"UTKFace", line.substr(0, tab)});
    }
  }
  if (pairs.empty() || photos.empty()) {
    std::fprintf(stderr, "no pairs or photos under %s\n", root.c_str());
    return 2;
  }

  // Part 1: every photo as it is.
  std::vector<Seen> base(photos.size());
  std::atomic<size_t> next{0};
  auto run = [&](const std::function<void(size_t)>& job, size_t n) {
    next = 0;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (size_t i; (i = next++) < n;) job(i);
      });
    for (auto& t : pool) t.join();
  };
  run([&](size_t i) {
        auto img = ReadImageFile(root + "/" + photos[i].second);
        if (img.ok()) base[i] = Look(grant, *img);
      },
      photos.size());
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < photos.size(); ++i) index_of[photos[i].second] = i;

  std::fflush(stdout);
  std::printf("## Photos as they are (level counts with the shipped limits)\n\n");
  for (const std::string set : {"LFW", "UTKFace"}) {
    std::vector<float> iod, sh, br, co, yaw, pitch, roll, eyes, lower;
    int faces = 0, total = 0, good = 0, fair = 0, poor = 0;
    std::map<std::string, int> poor_by;
    for (size_t i = 0; i < photos.size(); ++i) {
      if (photos[i].first != set) continue;
      ++total;
      if (!base[i].face) continue;
      ++faces;
      const Raw& r = base[i].raw;
      iod.push_back(r.iod), sh.push_back(r.sharpness), br.push_back(r.brightness), co.push_back(r.contrast);
      yaw.push_back(std::fabs(r.yaw)), pitch.push_back(r.pitch), roll.push_back(std::fabs(r.roll));
      eyes.push_back(r.eyes), lower.push_back(r.lower);
      ++(r.overall == QualityLevel::kGood ? good : r.overall == QualityLevel::kAcceptable ? fair : poor);
      const FaceQuality& q = r.q;
      const std::pair<const char*, const QualityMeasure*> ms[] = {
          {"size", &q.size}, {"sharpness", &q.sharpness}, {"brightness", &q.brightness},
          {"contrast", &q.contrast}, {"yaw", &q.yaw}, {"pitch", &q.pitch}, {"roll", &q.roll},
          {"occlusion", &q.occlusion}};
      for (auto& [name, m] : ms)
        if (m->level == QualityLevel::kPoor) ++poor_by[name];
    }
    std::printf("%s: %d photos, %d with a face; overall good %d, acceptable %d, poor %d", set.c_str(), total,
                faces, good, fair, poor);
    for (auto& [k, v] : poor_by) std::printf("; poor %s %d", k.c_str(), v);
    std::printf("\n\n| measure | p1 | p5 | p50 | p95 | p99 |\n|---|---:|---:|---:|---:|---:|\n");
    auto row = [](const char* name, const std::vector<float>& v) {
      std::printf("| %s | %.3g | %.3g | %.3g | %.3g | %.3g |\n", name, Percentile(v, 1), Percentile(v, 5),
                  Percentile(v, 50), Percentile(v, 95), Percentile(v, 99));
    };
    row("inter-ocular px", iod), row("sharpness", sh), row("brightness", br), row("contrast", co);
    row("|yaw| deg", yaw), row("pitch deg", pitch), row("|roll| deg", roll), row("eye darkness", eyes);
    row("lower-face distance", lower);
    std::printf("\n");
  }

  // Part 2: degraded second photos.
  const std::vector<Degradation> degr = Degradations();
  struct Cell {
    bool face = false, correct = false;
    Raw raw;
  };
  std::vector<Cell> cells(degr.size() * pairs.size());
  run([&](size_t k) {
        const size_t di = k / pairs.size(), pi = k % pairs.size();
        const Pair& p = pairs[pi];
        const Seen& a = base[index_of[p.a]];
        const Seen& b0 = base[index_of[p.b]];
        Cell& c = cells[k];
        if (!a.tpl || !b0.face) return;  // not a usable pair to begin with
        auto img = ReadImageFile(root + "/" + p.b);
        if (!img.ok()) return;
        cv::Mat d = degr[di].apply(*img, b0.lm);
        Seen b = Look(grant, d);
        if (!b.face || !b.tpl) return;
        c.face = true;
        c.raw = b.raw;
        c.correct = (a.tpl->DistanceTo(*b.tpl) <= kVerifyThreshold) == p.same;
      },
      cells.size());
  std::printf("## Degraded second photo of %zu LFW pairs (threshold %.3f)\n\n", pairs.size(), kVerifyThreshold);
  std::printf(
      "| degradation | no face | accuracy | acc. graded not poor | iod px | sharpness | brightness | contrast | "
      "abs roll | occlusion (eyes/lower) | graded poor | poor measures |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (size_t di = 0; di < degr.size(); ++di) {
    int usable = 0, noface = 0, correct = 0, notpoor = 0, notpoor_correct = 0, poor = 0;
    std::vector<float> iod, sh, br, co, roll, eyes, lower;
    std::map<std::string, int> poor_by;
    for (size_t pi = 0; pi < pairs.size(); ++pi) {
      const Pair& p = pairs[pi];
      if (!base[index_of[p.a]].tpl || !base[index_of[p.b]].face) continue;
      ++usable;
      const Cell& c = cells[di * pairs.size() + pi];
      if (!c.face) {
        ++noface;
        continue;
      }
      correct += c.correct;
      if (c.raw.overall == QualityLevel::kPoor) {
        ++poor;
        const FaceQuality& q = c.raw.q;
        const std::pair<const char*, const QualityMeasure*> ms[] = {
            {"size", &q.size}, {"sharpness", &q.sharpness}, {"brightness", &q.brightness},
            {"contrast", &q.contrast}, {"yaw", &q.yaw}, {"pitch", &q.pitch}, {"roll", &q.roll},
            {"occlusion", &q.occlusion}};
        for (auto& [name, m] : ms)
          if (m->level == QualityLevel::kPoor) ++poor_by[name];
      } else {
        ++notpoor;
        notpoor_correct += c.correct;
      }
      iod.push_back(c.raw.iod), sh.push_back(c.raw.sharpness), br.push_back(c.raw.brightness);
      co.push_back(c.raw.contrast), roll.push_back(std::fabs(c.raw.roll));
      eyes.push_back(c.raw.eyes), lower.push_back(c.raw.lower);
    }
    std::string by;
    for (auto& [k, v] : poor_by) by += (by.empty() ? "" : ", ") + k + " " + std::to_string(v);
    const int found = usable - noface;
    std::printf("| %s | %.1f%% | %.1f%% | %.1f%% | %.1f | %.3f | %.0f | %.1f | %.1f | %.2f / %.1f | %.1f%% | %s |\n",
                degr[di].name.c_str(), 100.0 * noface / std::max(1, usable), 100.0 * correct / std::max(1, usable),
                100.0 * notpoor_correct / std::max(1, notpoor), Percentile(iod, 50), Percentile(sh, 50),
                Percentile(br, 50), Percentile(co, 50), Percentile(roll, 50), Percentile(eyes, 50),
                Percentile(lower, 50), 100.0 * poor / std::max(1, found), by.c_str());
  }
  std::printf("\n(accuracy counts a photo without a face as an error; 'graded poor' is among photos with a "
              "face; medians of the raw measures)\n");
  return 0;
}
