// FaceTracker (vision/tracker.h): greedy matching of boxes to tracks, by IoU, then by centre
// distance for a face that moved more than IoU allows.
#include "vision/tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "vision/detection.h"

namespace facegate::vision {
namespace {

constexpr float kMinSizeRatio = 0.67f, kMaxSizeRatio = 1.5f;

cv::Point2f Centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

bool SimilarSize(const cv::Rect2f& track, const cv::Rect2f& box) {
  if (track.width <= 0 || track.height <= 0) return false;
  const float w = box.width / track.width, h = box.height / track.height;
  return w >= kMinSizeRatio && w <= kMaxSizeRatio && h >= kMinSizeRatio && h <= kMaxSizeRatio;
}

}  // namespace

FaceTracker::FaceTracker() : FaceTracker(Options{}) {}
FaceTracker::FaceTracker(Options o) : options_(o) {}

std::vector<FaceTracker::Track> FaceTracker::Update(const std::vector<Detection>& detections,
                                                    int64_t t_ms) {
  // Tracks unseen longer than max_gap_ms have ended.
  std::erase_if(live_, [&](const Live& l) { return t_ms - l.last_seen_ms > options_.max_gap_ms; });

  // Candidate pairs: tier 0 by IoU (higher first), tier 1 by centre distance (nearer first).
  struct Pair {
    int tier;
    float key;  // sorts ascending: -IoU in tier 0, distance in tier 1
    size_t track, det;
  };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < live_.size(); ++t) {
    const cv::Rect2f& tb = live_[t].box;
    for (size_t d = 0; d < detections.size(); ++d) {
      const cv::Rect2f& db = detections[d].box;
      const float iou = IntersectionOverUnion(tb, db);
      if (iou >= options_.min_iou) {
        pairs.push_back({0, -iou, t, d});
        continue;
      }
      const cv::Point2f a = Centre(tb), b = Centre(db);
      const float dist = std::hypot(a.x - b.x, a.y - b.y);
      if (dist < tb.width / 2 && SimilarSize(tb, db)) pairs.push_back({1, dist, t, d});
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    return std::tie(x.tier, x.key) < std::tie(y.tier, y.key);
  });

  std::vector<Track> out(detections.size());
  std::vector<bool> track_used(live_.size(), false), det_used(detections.size(), false);
  for (const Pair& p : pairs) {
    if (track_used[p.track] || det_used[p.det]) continue;
    track_used[p.track] = det_used[p.det] = true;
    Live& l = live_[p.track];
    l.box = detections[p.det].box;
    l.last_seen_ms = t_ms;
    out[p.det] = {l.id, l.box, false};
  }
  for (size_t d = 0; d < detections.size(); ++d) {
    if (det_used[d]) continue;
    const Live l{next_id_++, detections[d].box, t_ms};
    live_.push_back(l);
    out[d] = {l.id, l.box, true};
  }
  return out;
}

}  // namespace facegate::vision
