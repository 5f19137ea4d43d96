// Fits a vision::RfbBoxCalibration, the map from the RFB-320 detector's boxes to the boxes
// face-api's SSD gives for the same faces (the engine's kRfbEngineBox is the identity), and
// shows what the fit does to the landmarks (face-api feeds its landmark net SSD boxes). Also
// counts the photos where the RFB pass finds no face, plain and framed.
// Research use of labelled data under a research grant (REQ P3).
//   build-*/bench/rfb_calibrate [facedata_dir]
//
// Fit: on every LFW photo where both detectors find the central face (IoU > 0.3) and the SSD
// box does not touch the photo's edge, the SSD box relative to the raw RFB box: centre offset
// in RFB widths/heights (dx, dy), size ratios (sw, sh); medians. Landmark check: the 68 points
// from the SSD box against those from the RFB box (raw, and mapped by the fit and by the
// compiled-in kRfbEngineBox), mean point distance over the distance between the eye centres.
#include <facegate/vision.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/detection.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"

namespace fs = std::filesystem;
using namespace facegate;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> Photos(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".jpg") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int Central(const std::vector<vision::Detection>& dets, cv::Size image) {
  int best = -1;
  double best_d = 1e30;
  for (int i = 0; i < int(dets.size()); ++i) {
    const auto& b = dets[i].box;
    const double d = std::hypot(b.x + b.width / 2 - image.width / 2.0, b.y + b.height / 2 - image.height / 2.0);
    if (d < best_d) best_d = d, best = i;
  }
  return best;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * (v.size() - 1) + 0.5))];
}

double Ms(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Pair {
  std::string path;
  cv::Rect2f ssd;
  cv::Rect2f rfb_norm;  // raw RFB box, normalised
};

// Mean landmark distance over the eye-centre distance of the reference.
double LandmarkGap(const vision::Landmarks68& ref, const vision::Landmarks68& other) {
  cv::Point2f l(0, 0), r(0, 0);
  for (int i = 36; i < 42; ++i) l += ref[i] / 6.f;
  for (int i = 42; i < 48; ++i) r += ref[i] / 6.f;
  const double iod = cv::norm(l - r);
  double sum = 0;
  for (int i = 0; i < 68; ++i) sum += cv::norm(ref[i] - other[i]);
  return sum / 68 / std::max(iod, 1.0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : FACEGATE_FACEDATA;
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  if (!files.ok()) {
    std::fprintf(stderr, "cannot open the models: %s\n", files.status().ToString().c_str());
    return 1;
  }
  auto ssd = nn::SsdNet::Load(*files);
  auto rfb = nn::RfbNet::Load(*files);
  auto lmnet = nn::LandmarkNet::Load(*files);
  if (!ssd.ok() || !rfb.ok() || !lmnet.ok()) {
    std::fprintf(stderr, "cannot load a net\n");
    return 1;
  }
  std::vector<Pair> pairs;
  std::vector<double> dx, dy, sw, sh;
  double rfb_ms = 0, ssd_ms = 0;
  int passes = 0;
  for (const std::string set : {"lfw", "utkface"}) {
    int photos = 0, rfb_missed = 0, framed_found = 0, ssd_missed = 0, both_missed = 0;
    for (const std::string& path : Photos(root + "/" + set)) {
      auto img = vision::ReadImageFile(path);
      if (!img.ok()) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), img.status().ToString().c_str());
        return 1;
      }
      ++photos;
      const cv::Mat rgbf = vision::ToFloatRgb(*img);
      auto t0 = Clock::now();
      auto r = vision::DetectRfbPass(**rfb, rgbf, vision::kRfbMinScore, vision::kRfbRawBox);
      rfb_ms += Ms(t0);
      t0 = Clock::now();
      auto s = vision::DetectSsdPass(**ssd, rgbf, 0.5f);
      ssd_ms += Ms(t0);
      ++passes;
      if (!r.ok() || !s.ok()) return 1;
      if (s->empty()) ++ssd_missed;
      if (r->empty()) {
        ++rfb_missed;
        if (s->empty()) ++both_missed;
        // A framed retry (mean-colour border of half the longer side), as the SSD path does.
        const int b = int(std::lround(0.5 * std::max(rgbf.cols, rgbf.rows)));
        cv::Mat framed;
        cv::copyMakeBorder(rgbf, framed, b, b, b, b, cv::BORDER_CONSTANT, cv::mean(rgbf));
        auto f = vision::DetectRfbPass(**rfb, framed, vision::kRfbMinScore, vision::kRfbRawBox);
        if (f.ok() && !f->empty()) ++framed_found;
        std::printf("rfb no face: %s (ssd plain pass %s)\n", path.c_str(), s->empty() ? "none" : "found");
        continue;
      }
      if (set != "lfw" || s->empty()) continue;
      const cv::Size size = img->size();
      const auto& sb = (*s)[Central(*s, size)].box;
      const auto& rb = (*r)[Central(*r, size)].box;
      if (vision::IntersectionOverUnion(sb, rb) < 0.3f) continue;
      if (sb.x < 1 || sb.y < 1 || sb.x + sb.width > size.width - 1 || sb.y + sb.height > size.height - 1) continue;
      dx.push_back((sb.x + sb.width / 2 - (rb.x + rb.width / 2)) / rb.width);
      dy.push_back((sb.y + sb.height / 2 - (rb.y + rb.height / 2)) / rb.height);
      sw.push_back(sb.width / rb.width);
      sh.push_back(sb.height / rb.height);
      pairs.push_back({path, sb, cv::Rect2f(rb.x / size.width, rb.y / size.height, rb.width / size.width,
                                             rb.height / size.height)});
    }
    std::printf("%-8s photos %4d  RFB plain pass no face %3d (%.2f%%), of them found framed %3d; "
                "SSD plain pass no face %3d; both %3d\n",
                set.c_str(), photos, rfb_missed, 100.0 * rfb_missed / photos, framed_found, ssd_missed,
                both_missed);
  }
  std::printf("mean ms per pass: RFB %.2f, SSD %.2f (%d photos, loaded machine figures)\n", rfb_ms / passes,
              ssd_ms / passes, passes);
  const vision::RfbBoxCalibration fit{float(Quantile(dx, 0.5)), float(Quantile(dy, 0.5)),
                                      float(Quantile(sw, 0.5)), float(Quantile(sh, 0.5))};
  std::printf("fit on %zu LFW faces (quartiles):\n", dx.size());
  std::printf("  dx %.4f (%.4f .. %.4f)\n  dy %.4f (%.4f .. %.4f)\n  sw %.4f (%.4f .. %.4f)\n"
              "  sh %.4f (%.4f .. %.4f)\n",
              fit.dx, Quantile(dx, .25), Quantile(dx, .75), fit.dy, Quantile(dy, .25), Quantile(dy, .75), fit.sw,
              Quantile(sw, .25), Quantile(sw, .75), fit.sh, Quantile(sh, .25), Quantile(sh, .75));
  std::printf("compiled-in kRfbEngineBox: {%.4f, %.4f, %.4f, %.4f}\n", vision::kRfbEngineBox.dx,
              vision::kRfbEngineBox.dy, vision::kRfbEngineBox.sw, vision::kRfbEngineBox.sh);

  // Landmarks from the SSD box against the RFB box, raw, fitted, compiled-in.
  std::vector<double> gap_raw, gap_fit, gap_lock;
  for (const Pair& p : pairs) {
    auto img = vision::ReadImageFile(p.path);
    const cv::Mat rgbf = vision::ToFloatRgb(*img);
    auto ref = vision::DetectLandmarks(**lmnet, rgbf, p.ssd);
    auto raw = vision::DetectLandmarks(**lmnet, rgbf, vision::RfbBoxToImage(p.rfb_norm, vision::kRfbRawBox, img->size()));
    auto fitted = vision::DetectLandmarks(**lmnet, rgbf, vision::RfbBoxToImage(p.rfb_norm, fit, img->size()));
    auto locked = vision::DetectLandmarks(**lmnet, rgbf, vision::RfbBoxToImage(p.rfb_norm, vision::kRfbEngineBox, img->size()));
    if (!ref.ok() || !raw.ok() || !fitted.ok() || !locked.ok()) continue;
    gap_raw.push_back(LandmarkGap(*ref, *raw));
    gap_fit.push_back(LandmarkGap(*ref, *fitted));
    gap_lock.push_back(LandmarkGap(*ref, *locked));
  }
  auto row = [](const char* what, const std::vector<double>& g) {
    std::printf("  %-22s median %.4f  p90 %.4f  max %.4f\n", what, Quantile(g, .5), Quantile(g, .9), Quantile(g, 1));
  };
  std::printf("landmarks from the RFB box vs from the SSD box (mean distance / eye distance, %zu faces):\n",
              gap_raw.size());
  row("raw RFB box", gap_raw);
  row("fitted here", gap_fit);
  row("kRfbEngineBox", gap_lock);
  return 0;
}
