// Analysis scenario: counts and attributes, no identity (REQ SC3, AN1, AN2).
#include <facegate/service.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "service/service_impl.h"
#include "vision/image_header.h"

namespace facegate::service {

namespace {

const char* AgeBand(float age) {
  if (age < 13) return "age:0-12";
  if (age < 20) return "age:13-19";
  if (age < 40) return "age:20-39";
  if (age < 60) return "age:40-59";
  return "age:60+";
}

// A face's appearance as a 24x24 grey thumbnail of its box, zero mean and unit length: enough
// to tell that two faces of one request are the same picture (resent, re-encoded, rescaled or
// mirrored), nothing that identifies anyone (no template, no landmarks; REQ AN1). Kept in
// memory for the request only, then wiped.
constexpr int kThumb = 24;
constexpr float kSamePictureCorrelation = 0.95f;

std::vector<float> Thumbnail(const cv::Mat& rgb, const cv::Rect2f& box, bool mirror) {
  cv::Rect r = cv::Rect(box) & cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (r.width < 4 || r.height < 4) return {};
  cv::Mat grey, small;
  cv::cvtColor(rgb(r), grey, cv::COLOR_RGB2GRAY);
  cv::resize(grey, small, cv::Size(kThumb, kThumb), 0, 0, cv::INTER_AREA);
  if (mirror) cv::flip(small, small, 1);
  std::vector<float> v(small.begin<uint8_t>(), small.end<uint8_t>());
  double mean = 0, norm = 0;
  for (float x : v) mean += x;
  mean /= v.size();
  for (float& x : v) {
    x -= static_cast<float>(mean);
    norm += x * x;
  }
  if (norm <= 1e-6) return {};
  for (float& x : v) x /= static_cast<float>(std::sqrt(norm));
  return v;
}

float Correlation(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return 0;
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] * b[i];
  return static_cast<float>(d);
}

}  // namespace

Result<AnalyzeReport> Service::Analyze(const std::string& purpose, const std::vector<std::string>& images,
                                       int k, const std::string& actor, const std::string& subject) {
  auto& I = *impl_;
  const char* act = "analyze";
  if (k < 2)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("k must be at least 2: smaller groups could single a person out (REQ AN2)"));
  // The work one call may ask for is bounded before any pixel is decoded (docs/security.md,
  // "Exhaustion"): a count of photos and their pixels summed from the headers.
  if (images.size() > kMaxAnalyzeImages)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput(std::to_string(images.size()) + " photos in one call; at most " +
                                       std::to_string(kMaxAnalyzeImages) + ": send the batch in several calls"));
  int64_t pixels = 0;
  for (const std::string& img : images)
    if (auto h = vision::ReadImageHeader(img); h.ok()) pixels += h->width * std::min<int64_t>(h->height, 1 << 20);
  if (pixels > kMaxAnalyzePixels)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("the photos of one call hold " + std::to_string(pixels / 1'000'000) +
                                       " megapixels, above the " + std::to_string(kMaxAnalyzePixels / 1'000'000) +
                                       " MP a call may decode: send fewer or smaller photos per call"));
  auto grant = I.gate->AuthorizeAnalysis(purpose, subject, "");
  if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status());
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, I.Engine());
  AnalyzeReport rep;
  rep.k = k;
  std::map<std::string, int64_t> groups;
  // REQ AN2: one picture sent k times is one face, not k, or its group would be shown with
  // one person in it. Faces are compared by appearance (Thumbnail), never by template.
  std::vector<std::vector<float>> seen;
  int64_t repeats = 0;
  // One worker per core; per-face attributes stay inside this function (REQ AN1).
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < images.size();) {
      auto rgb = vision::DecodeImage(images[i]);
      std::vector<vision::FaceAttributes> faces;
      bool ok = rgb.ok();
      std::vector<std::pair<std::vector<float>, std::vector<float>>> looks;  // as is, mirrored
      if (ok) {
        auto r = eng->Analyze(*grant, *rgb);
        ok = r.ok();
        if (ok) faces = std::move(r).value();
        for (const vision::FaceAttributes& f : faces)
          looks.emplace_back(Thumbnail(*rgb, f.box, false), Thumbnail(*rgb, f.box, true));
        rgb->setTo(cv::Scalar::all(0));  // no frame is kept
      }
      std::lock_guard<std::mutex> lock(mu);
      ++rep.images;
      if (!ok) {
        ++rep.images_unreadable;
        continue;
      }
      for (size_t fi = 0; fi < faces.size(); ++fi) {
        const vision::FaceAttributes& f = faces[fi];
        const auto& [look, mirrored] = looks[fi];
        bool repeat = false;
        for (const std::vector<float>& s : seen)
          if (Correlation(look, s) >= kSamePictureCorrelation ||
              Correlation(mirrored, s) >= kSamePictureCorrelation) {
            repeat = true;
            break;
          }
        if (repeat) {
          ++repeats;
          continue;
        }
        if (!look.empty()) seen.push_back(look);
        ++rep.faces;
        ++groups[AgeBand(f.age)];
        ++groups[f.p_female >= 0.5f ? "gender:female" : "gender:male"];
        size_t best = 0;
        for (size_t e = 1; e < f.expression.size(); ++e)
          if (f.expression[e] > f.expression[best]) best = e;
        ++groups[std::string("expression:") + vision::kExpressionLabels[best]];
      }
    }
  };
  const unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < n; ++w) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  for (std::vector<float>& s : seen) std::fill(s.begin(), s.end(), 0.0f);
  rep.repeated_faces = repeats;
  // REQ AN2: a group of fewer than k faces is withheld, the total too.
  json shown = json::object();
  for (const auto& [name, n] : groups) {
    if (n >= k) {
      rep.counts.emplace_back(name, n);
      shown[name] = n;
    } else {
      rep.suppressed.push_back(name);
    }
  }
  const int64_t total = rep.faces >= k ? rep.faces : -1;
  // No answer without its audit record (REQ S6).
  FG_RETURN_IF_ERROR(I.Audit(actor, act, "", purpose, Status::Ok(),
                             {{"grant", grant->id()}, {"images", rep.images}, {"faces", total}, {"k", k},
                              {"counts", shown}, {"suppressed", rep.suppressed}, {"repeated_faces", repeats}}));
  if (total < 0) rep.faces = 0;
  return rep;
}

}  // namespace facegate::service
