// Analysis scenario: counts and attributes, no identity (REQ SC3, AN1, AN2).
#include <facegate/service.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "service/json_views.h"
#include "service/service_impl.h"
#include "vision/image_header.h"
#include "vision/picture_hash.h"

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

// The calendar window of `now`: [start, start + seconds), aligned on China Standard Time.
std::pair<UnixTime, UnixTime> WindowOf(UnixTime now, int64_t seconds) {
  constexpr int64_t kCst = 8 * 3600;
  int64_t t = now + kCst;
  int64_t start = (t >= 0 ? t / seconds : (t - seconds + 1) / seconds) * seconds - kCst;
  return {start, start + seconds};
}

// One photo's faces as a worker leaves them for the counting.
struct PhotoFaces {
  bool ok = false;
  std::vector<vision::FaceAttributes> faces;
  std::vector<std::pair<std::vector<float>, std::vector<float>>> looks;  // as is, mirrored
  std::vector<std::pair<std::string, std::string>> hashes;               // as is, mirrored
};

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
  // Windows that ended are released before this request joins the open one (REQ AN2).
  FG_RETURN_IF_ERROR(I.ReleaseEndedWindows(purpose, actor));

  // One worker per core; per-face attributes stay inside this function (REQ AN1).
  std::vector<PhotoFaces> photos(images.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < images.size();) {
      PhotoFaces& p = photos[i];
      auto rgb = vision::DecodeImage(images[i]);
      if (!rgb.ok()) continue;
      auto r = eng->Analyze(*grant, *rgb);
      p.ok = r.ok();
      if (p.ok) p.faces = std::move(r).value();
      for (const vision::FaceAttributes& f : p.faces) {
        p.looks.emplace_back(Thumbnail(*rgb, f.box, false), Thumbnail(*rgb, f.box, true));
        p.hashes.emplace_back(vision::PictureHash(*rgb, f.box, false), vision::PictureHash(*rgb, f.box, true));
      }
      rgb->setTo(cv::Scalar::all(0));  // no frame is kept
    }
  };
  const unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < n; ++w) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  AnalyzeReport rep;
  rep.k = k;
  std::tie(rep.window_start, rep.window_end) = WindowOf(I.Now(), I.config.analysis_window_seconds);
  std::map<std::string, int64_t> groups;
  std::vector<std::string> counted;  // hashes of the pictures this request counted
  Status added;
  {
    // REQ AN2: one picture sent k times, in one request or in several within the repeat
    // horizon, is one face, not k, or its group would be released with one person in it; and
    // photos resent in a later window add nothing, so two windows cannot be subtracted. Faces
    // are compared by appearance (thumbnail within the request, difference hash across
    // requests), never by template.
    std::lock_guard<std::mutex> lock(I.analysis_mu);
    FG_ASSIGN_OR_RETURN(std::vector<std::string> seen_hashes,
                        I.store->AnalysisSeen(purpose, rep.window_start - I.config.analysis_repeat_horizon_seconds));
    std::vector<std::vector<float>> seen;
    int64_t repeats = 0;
    for (PhotoFaces& p : photos) {
      ++rep.images;
      if (!p.ok) {
        ++rep.images_unreadable;
        continue;
      }
      for (size_t fi = 0; fi < p.faces.size(); ++fi) {
        const vision::FaceAttributes& f = p.faces[fi];
        const auto& [look, mirrored] = p.looks[fi];
        const auto& [hash, hash_mirrored] = p.hashes[fi];
        bool repeat = false;
        for (const std::vector<float>& s : seen)
          if (Correlation(look, s) >= kSamePictureCorrelation || Correlation(mirrored, s) >= kSamePictureCorrelation) {
            repeat = true;
            break;
          }
        for (size_t h = 0; !repeat && h < seen_hashes.size(); ++h)
          repeat = vision::PictureHashDistance(hash, seen_hashes[h]) <= vision::kSamePictureBits ||
                   vision::PictureHashDistance(hash_mirrored, seen_hashes[h]) <= vision::kSamePictureBits;
        if (repeat) {
          ++repeats;
          continue;
        }
        if (!look.empty()) seen.push_back(look);
        if (!hash.empty()) {
          seen_hashes.push_back(hash);
          counted.push_back(hash);
        }
        ++rep.faces;
        ++groups[AgeBand(f.age)];
        ++groups[f.p_female >= 0.5f ? "gender:female" : "gender:male"];
        size_t best = 0;
        for (size_t e = 1; e < f.expression.size(); ++e)
          if (f.expression[e] > f.expression[best]) best = e;
        ++groups[std::string("expression:") + vision::kExpressionLabels[best]];
      }
    }
    for (std::vector<float>& s : seen) std::fill(s.begin(), s.end(), 0.0f);
    for (PhotoFaces& p : photos)
      for (auto& [a, b] : p.looks) {
        std::fill(a.begin(), a.end(), 0.0f);
        std::fill(b.begin(), b.end(), 0.0f);
      }
    rep.repeated_faces = repeats;
    if (rep.faces > 0) groups["total"] = rep.faces;
    AnalysisWindowRecord w;
    w.purpose = purpose;
    w.start = rep.window_start;
    w.end = rep.window_end;
    w.k = k;
    w.images = rep.images;
    added = I.store->AddToAnalysisWindow(w, {groups.begin(), groups.end()}, counted);
  }
  const int64_t total = rep.faces >= k ? rep.faces : -1;
  json detail = {{"grant", grant->id()}, {"images", rep.images}, {"faces", total}, {"k", k},
                 {"repeated_faces", rep.repeated_faces}, {"window_start", FormatTime(rep.window_start)}};
  if (!added.ok()) return I.Fail(actor, act, "", purpose, added, detail);
  // No answer without its audit record (REQ S6); the counts wait for the window's release.
  FG_RETURN_IF_ERROR(I.Audit(actor, act, "", purpose, Status::Ok(), detail));
  if (total < 0) rep.faces = 0;
  return rep;
}

Status Service::Impl::ReleaseEndedWindows(const std::string& purpose, const std::string& actor) {
  FG_RETURN_IF_ERROR(store->ForgetAnalysisPictures(Now() - config.analysis_repeat_horizon_seconds).status());
  FG_ASSIGN_OR_RETURN(std::vector<AnalysisWindowRecord> ended, store->EndedAnalysisWindows(purpose, Now()));
  for (AnalysisWindowRecord& w : ended) {
    FG_ASSIGN_OR_RETURN(auto tallies, store->AnalysisTallies(w.purpose, w.start));
    w.counts.clear();
    w.suppressed.clear();
    w.faces = -1;
    json shown = json::object();
    for (const auto& [g, n] : tallies) {
      if (g == "total") {
        if (n >= w.k) w.faces = n;
      } else if (n >= w.k) {
        w.counts.emplace_back(g, n);
        shown[g] = n;
      } else {
        w.suppressed.push_back(g);
      }
    }
    w.released_at = Now();
    FG_ASSIGN_OR_RETURN(bool mine, store->ReleaseAnalysisWindow(w));
    if (!mine) continue;  // another node released it
    FG_RETURN_IF_ERROR(Audit(actor, "analyze.window", "", w.purpose, Status::Ok(),
                             {{"start", FormatTime(w.start)}, {"end", FormatTime(w.end)}, {"k", w.k},
                              {"requests", w.requests}, {"images", w.images},
                              {"faces", w.faces >= 0 ? json(w.faces) : json(nullptr)}, {"counts", shown},
                              {"suppressed", w.suppressed}}));
  }
  return Status::Ok();
}

Result<std::vector<AnalysisWindowRecord>> Service::AnalysisStatistics(const std::string& purpose, UnixTime from,
                                                                      UnixTime to, const std::string& actor) {
  auto& I = *impl_;
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) {
    if (p.status().kind() == ErrorKind::kNotFound)
      return Status::NotFound("purpose '" + purpose + "' does not exist; `facegate purpose list` shows them");
    return p.status();
  }
  if (p->scenario != Scenario::kAnalysis)
    return Status::InvalidInput("purpose '" + purpose + "' is declared for " + ToString(p->scenario) +
                                "; statistics belong to analysis purposes");
  if (to <= from) return Status::InvalidInput("the period is empty: 'to' must come after 'from'");
  FG_RETURN_IF_ERROR(I.ReleaseEndedWindows(purpose, actor));
  return I.store->ListAnalysisWindows(purpose, from, to);
}

}  // namespace facegate::service
