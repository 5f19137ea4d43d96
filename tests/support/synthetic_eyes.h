// Synthetic closed eyes on real photos, shared by the eye-state unit tests and the video and
// eval-eyes integration tests (docs/drowsiness.md says why synthetic and what it misses).
// Test input only: nothing here is part of the product.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "vision/align.h"

namespace facegate::vision {

// Synthesises closed eyes on a real photo (docs/drowsiness.md says why this is synthetic and what
// to expect from real video): each eye's opening, from corner to corner and a little beyond the
// lids, is covered by eyelid skin sampled under the eye, shaded towards the lid fold, feathered
// into the photo, with a dark lash line along the eye's centre line. Test input only.
// `left`/`right` choose the eyes (the image's left: iBUG 36-41), for one-eye closures.
inline cv::Mat CloseEyes(const cv::Mat& rgb, const Landmarks68& lm, bool left = true,
                         bool right = true) {
  cv::Mat out = rgb.clone();
  for (int first : {36, 42}) {
    if ((first == 36 && !left) || (first == 42 && !right)) continue;
    const cv::Point2f p1 = lm[first], p4 = lm[first + 3];
    const cv::Point2f c = (p1 + p4) * 0.5f;
    const float w = static_cast<float>(cv::norm(p4 - p1));
    const cv::Point2f u = (p4 - p1) / w;  // along the eye
    const cv::Point2f n(-u.y, u.x);       // across it, pointing down the image
    // Skin: median of a patch on the cheek just under the lower lid.
    const cv::Point2f sc = c + n * (0.55f * w);
    cv::Rect patch(cv::Point(cvRound(sc.x - 0.2f * w), cvRound(sc.y - 0.08f * w)),
                   cv::Size(std::max(2, cvRound(0.4f * w)), std::max(2, cvRound(0.16f * w))));
    patch &= cv::Rect(0, 0, rgb.cols, rgb.rows);
    cv::Vec3f skin(0, 0, 0);
    if (!patch.empty()) {
      std::vector<cv::Mat> ch;
      cv::split(rgb(patch), ch);
      for (int k = 0; k < 3; ++k) {
        cv::Mat v = ch[k].reshape(1, 1).clone();
        std::sort(v.begin<uint8_t>(), v.end<uint8_t>());
        skin[k] = v.at<uint8_t>(0, static_cast<int>(v.total() / 2));
      }
    }
    const float a = 0.62f * w, b = 0.30f * w;  // covers the opening, iris and lid margins
    const int x0 = std::max(0, cvFloor(c.x - a - 2)),
              x1 = std::min(rgb.cols - 1, cvCeil(c.x + a + 2));
    const int y0 = std::max(0, cvFloor(c.y - a - 2)),
              y1 = std::min(rgb.rows - 1, cvCeil(c.y + a + 2));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const cv::Point2f d = cv::Point2f(x, y) - c;
        const float du = d.dot(u) / a, dn = d.dot(n) / b;
        const float r = std::sqrt(du * du + dn * dn);
        if (r >= 1) continue;
        const float alpha = r < 0.75f ? 1.f : (1 - r) / 0.25f;  // feathered rim
        const float shade = 0.9f + 0.1f * std::min(1.f, std::abs(dn) * 1.5f);
        cv::Vec3b& px = out.at<cv::Vec3b>(y, x);
        for (int k = 0; k < 3; ++k) {
          px[k] = cv::saturate_cast<uint8_t>(alpha * skin[k] * shade + (1 - alpha) * px[k]);
        }
      }
    }
    // The lash line: corner to corner, sagging slightly like a closed lid.
    std::vector<cv::Point> line;
    for (int i = 0; i <= 8; ++i) {
      const float s = i / 8.f;
      const cv::Point2f q = p1 + (p4 - p1) * s + n * (0.06f * w * std::sin(s * float(CV_PI)));
      line.emplace_back(cvRound(q.x), cvRound(q.y));
    }
    cv::polylines(out, line, false, cv::Scalar(skin[0] * 0.35, skin[1] * 0.35, skin[2] * 0.35),
                  std::max(1, cvRound(w / 14)), cv::LINE_AA);
  }
  return out;
}

}  // namespace facegate::vision
