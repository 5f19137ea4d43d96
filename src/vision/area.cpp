// CollectionArea (REQ D2): the polygon a device may process faces in, its checks, the
// centre-inside test Engine::DetectInArea drops faces by, and its JSON form.
#include <facegate/vision.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace facegate::vision {
namespace {

// Tolerance of the orientation tests (cross products, in normalised units squared).
constexpr double kEps = 1e-9;

struct P {
  double x, y;
};

P ToP(const cv::Point2f& p) { return {p.x, p.y}; }

// Twice the signed area of triangle (a, b, c): > 0 when c lies left of a->b.
double Cross(P a, P b, P c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); }

int Orientation(P a, P b, P c) {
  const double v = Cross(a, b, c);
  return v > kEps ? 1 : v < -kEps ? -1 : 0;
}

// c is collinear with a->b (checked by the caller) and within the segment's bounding box.
bool WithinBox(P a, P b, P c) {
  return std::min(a.x, b.x) - kEps <= c.x && c.x <= std::max(a.x, b.x) + kEps &&
         std::min(a.y, b.y) - kEps <= c.y && c.y <= std::max(a.y, b.y) + kEps;
}

bool OnSegment(P a, P b, P c) { return Orientation(a, b, c) == 0 && WithinBox(a, b, c); }

// Distance from c to the segment a-b.
double DistanceToSegment(P a, P b, P c) {
  const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((c.x - a.x) * dx + (c.y - a.y) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(a.x + t * dx - c.x, a.y + t * dy - c.y);
}

// Segments a-b and c-d share at least one point (touching and collinear overlap included).
bool SegmentsMeet(P a, P b, P c, P d) {
  const int o1 = Orientation(a, b, c), o2 = Orientation(a, b, d);
  const int o3 = Orientation(c, d, a), o4 = Orientation(c, d, b);
  if (o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0) return true;
  return (o1 == 0 && WithinBox(a, b, c)) || (o2 == 0 && WithinBox(a, b, d)) ||
         (o3 == 0 && WithinBox(c, d, a)) || (o4 == 0 && WithinBox(c, d, b));
}

std::string PointText(size_t i, const cv::Point2f& p) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "point %zu (%g, %g)", i, static_cast<double>(p.x),
                static_cast<double>(p.y));
  return buf;
}

// The shortest decimal that reads back as the same float, as the double it reads as, so the
// JSON shows 0.2 rather than 0.20000000298023224.
double ShortestDouble(float v) {
  char buf[32];
  for (int digits = 6; digits < 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    const double d = std::strtod(buf, nullptr);
    if (static_cast<float>(d) == v) return d;
  }
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return std::strtod(buf, nullptr);
}

}  // namespace

Status CollectionArea::Check() const {
  const size_t n = polygon.size();
  if (n == 0) return Status::Ok();
  const std::string what = "the collection area ";
  if (n < 3) {
    return Status::InvalidInput(what + "has " + std::to_string(n) +
                                " points; give at least 3 (or none for the whole frame)");
  }
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2f& p = polygon[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1) {
      return Status::InvalidInput(what + PointText(i, p) +
                                  " lies outside [0,1]; give coordinates as shares of the frame's "
                                  "width and height");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2f& p = polygon[i];
    const cv::Point2f& q = polygon[(i + 1) % n];
    if (std::abs(p.x - q.x) <= kEps && std::abs(p.y - q.y) <= kEps) {
      return Status::InvalidInput(what + PointText((i + 1) % n, q) + " repeats " + PointText(i, p) +
                                  "; remove one of them");
    }
  }
  double area2 = 0;  // shoelace: twice the signed area
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2f& p = polygon[i];
    const cv::Point2f& q = polygon[(i + 1) % n];
    area2 += static_cast<double>(p.x) * q.y - static_cast<double>(q.x) * p.y;
  }
  if (std::abs(area2) / 2 < 1e-6) {
    return Status::InvalidInput(what + "has zero area (its points lie on one line); give the corners "
                                       "of the region faces may be processed in, in order around it");
  }
  // Edge i runs from point i to point i+1. Adjacent edges share a point and may meet only there;
  // other edges may not meet at all.
  for (size_t i = 0; i < n; ++i) {
    const P a = ToP(polygon[i]), b = ToP(polygon[(i + 1) % n]);
    for (size_t j = i + 1; j < n; ++j) {
      const P c = ToP(polygon[j]), d = ToP(polygon[(j + 1) % n]);
      const bool next = j == i + 1, wraps = i == 0 && j == n - 1;
      bool bad;
      size_t at;  // the point to name
      if (next) {  // a-b then b(=c)-d: bad when d lies on a-b or a on b-d (the edge folds back)
        bad = OnSegment(a, b, d) || OnSegment(c, d, a);
        at = (j + 1) % n;
      } else if (wraps) {  // c-d(=a) then a-b
        bad = OnSegment(c, d, b) || OnSegment(a, b, c);
        at = j;
      } else {
        bad = SegmentsMeet(a, b, c, d);
        at = j;
      }
      if (bad) {
        return Status::InvalidInput(
            what + "intersects itself: the edge from point " + std::to_string(i) + " to point " +
            std::to_string((i + 1) % n) + " meets the edge from point " + std::to_string(j) +
            " to point " + std::to_string((j + 1) % n) + " (at or near " + PointText(at, polygon[at]) +
            "); list the points in order around the area");
      }
    }
  }
  return Status::Ok();
}

bool CollectionArea::Contains(const cv::Rect2f& box, cv::Size frame) const {
  if (polygon.empty()) return true;
  if (frame.width <= 0 || frame.height <= 0) return false;
  const P c{(static_cast<double>(box.x) + box.width / 2.0) / frame.width,
            (static_cast<double>(box.y) + box.height / 2.0) / frame.height};
  const size_t n = polygon.size();
  bool inside = false;
  for (size_t i = 0, k = n - 1; i < n; k = i++) {
    const P a = ToP(polygon[k]), b = ToP(polygon[i]);
    // The boundary counts inside, to a millionth of the frame (float box coordinates).
    if (DistanceToSegment(a, b, c) <= 1e-6) return true;
    // Even-odd ray cast to the right; half-open in y so a vertex on the ray counts once.
    if ((a.y > c.y) != (b.y > c.y)) {
      const double x = a.x + (c.y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (c.x < x) inside = !inside;
    }
  }
  return inside;
}

Result<CollectionArea> CollectionArea::FromJson(const std::string& json_array) {
  const std::string usage = "; give the area as [[x,y],...] in shares of the frame (0..1), or [] for "
                            "the whole frame";
  const nlohmann::json j = nlohmann::json::parse(json_array, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidInput("the collection area is not valid JSON" + usage);
  if (!j.is_array()) return Status::InvalidInput("the collection area is not a JSON array" + usage);
  CollectionArea area;
  area.polygon.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& p = j[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
      return Status::InvalidInput("point " + std::to_string(i) + " of the collection area is " +
                                  p.dump() + ", not [x,y] with two numbers" + usage);
    }
    area.polygon.emplace_back(p[0].get<float>(), p[1].get<float>());
  }
  FG_RETURN_IF_ERROR(area.Check());
  return area;
}

std::string CollectionArea::ToJson() const {
  nlohmann::json j = nlohmann::json::array();
  for (const cv::Point2f& p : polygon) j.push_back({ShortestDouble(p.x), ShortestDouble(p.y)});
  return j.dump();
}

}  // namespace facegate::vision
