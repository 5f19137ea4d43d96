#include "vision/detection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace facegate::vision {

float IntersectionOverUnion(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float area_a = a.width * a.height, area_b = b.width * b.height;
  if (area_a <= 0 || area_b <= 0) return 0;
  const float ix = std::max(0.f, std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x));
  const float iy = std::max(0.f, std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y));
  const float inter = ix * iy;
  return inter / (area_a + area_b - inter);
}

std::vector<int> NonMaxSuppression(const std::vector<cv::Rect2f>& boxes,
                                   const std::vector<float>& scores, int max_results,
                                   float iou_threshold, float min_score) {
  std::vector<int> order;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
    if (scores[i] > min_score) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  const int limit = std::min<int>(max_results, static_cast<int>(boxes.size()));
  std::vector<int> kept;
  for (int c : order) {
    if (static_cast<int>(kept.size()) >= limit) break;
    bool suppressed = false;
    for (int k : kept) {
      if (IntersectionOverUnion(boxes[c], boxes[k]) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(c);
  }
  return kept;
}

cv::Rect2f SsdBoxToImage(const cv::Rect2f& n, float square_side, cv::Size image) {
  // face-api (SsdMobilenetv1.locateFaces) scales by 512 / round(W * 512 / side) * W, i.e.
  // through the rounded size of the resized image, not by `side`; copied so that boxes, and the
  // floored crops cut from them, equal face-api's (tests/golden, docs/golden.md).
  constexpr double kInput = 512;
  auto clip01 = [](double v) { return std::clamp(v, 0.0, 1.0); };
  const double sx = kInput / std::round(image.width * kInput / square_side) * image.width;
  const double sy = kInput / std::round(image.height * kInput / square_side) * image.height;
  const double w = image.width, h = image.height;
  const double left = std::min(clip01(n.x) * sx, w);
  const double top = std::min(clip01(n.y) * sy, h);
  const double right = std::min(clip01(static_cast<double>(n.x) + n.width) * sx, w);
  const double bottom = std::min(clip01(static_cast<double>(n.y) + n.height) * sy, h);
  return {static_cast<float>(left), static_cast<float>(top),
          static_cast<float>(std::max(0.0, right - left)),
          static_cast<float>(std::max(0.0, bottom - top))};
}

cv::Rect2f RfbBoxToImage(const cv::Rect2f& n, const RfbBoxCalibration& c, cv::Size image) {
  const double w = image.width, h = image.height;
  const double bw = double(n.width) * w, bh = double(n.height) * h;
  const double cx = (double(n.x) + n.width / 2.0) * w + c.dx * bw;
  const double cy = (double(n.y) + n.height / 2.0) * h + c.dy * bh;
  const double half_w = c.sw * bw / 2, half_h = c.sh * bh / 2;
  const double left = std::clamp(cx - half_w, 0.0, w), right = std::clamp(cx + half_w, 0.0, w);
  const double top = std::clamp(cy - half_h, 0.0, h), bottom = std::clamp(cy + half_h, 0.0, h);
  return {static_cast<float>(left), static_cast<float>(top),
          static_cast<float>(std::max(0.0, right - left)),
          static_cast<float>(std::max(0.0, bottom - top))};
}

int NearestToCentre(const std::vector<Face>& faces, cv::Size image) {
  int best = -1;
  double best_d = std::numeric_limits<double>::infinity();
  const double cx = image.width / 2.0, cy = image.height / 2.0;
  for (int i = 0; i < static_cast<int>(faces.size()); ++i) {
    const auto& b = faces[i].detection.box;
    const double d = std::hypot(b.x + b.width / 2.0 - cx, b.y + b.height / 2.0 - cy);
    if (d < best_d) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

void SortLargestFirst(std::vector<Face>& faces) {
  std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) {
    const float aa = a.detection.box.area(), ab = b.detection.box.area();
    if (aa != ab) return aa > ab;
    return a.detection.score > b.detection.score;
  });
}

}  // namespace facegate::vision
