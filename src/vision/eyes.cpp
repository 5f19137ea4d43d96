// Engine::EyeStates and the eye/mouth ratios (vision/eyes.h). Landmarks live in a local
// variable per face and are dropped; only the ratios leave (REQ AN1). No frame is kept (AN3).
#include "vision/eyes.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "vision/engine_impl.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"

namespace facegate::vision {
namespace {

float Dist(cv::Point2f a, cv::Point2f b) {
  return static_cast<float>(cv::norm(a - b));
}

}  // namespace

const char* ToString(EyeOpenness openness) {
  switch (openness) {
    case EyeOpenness::kOpen:
      return "open";
    case EyeOpenness::kClosed:
      return "closed";
    case EyeOpenness::kOneClosed:
      return "one_closed";
    case EyeOpenness::kUnsure:
      return "unsure";
  }
  return "unsure";
}

float EyeWidth(const Landmarks68& lm, int first) {
  return Dist(lm[first], lm[first + 3]);
}

float EyeAspectRatio(const Landmarks68& lm, int first) {
  const cv::Point2f* p = &lm[first];  // p[0..5] are the paper's p1..p6
  const float width = Dist(p[0], p[3]);
  if (width <= 0) return 0;
  return (Dist(p[1], p[5]) + Dist(p[2], p[4])) / (2 * width);
}

float MouthAspectRatio(const Landmarks68& lm) {
  const float width = Dist(lm[60], lm[64]);
  if (width <= 0) return 0;
  return (Dist(lm[61], lm[67]) + Dist(lm[62], lm[66]) + Dist(lm[63], lm[65])) / (3 * width);
}

float EyeAppearanceOpenness(const cv::Mat& rgb, const Landmarks68& lm, int first,
                            float skin_distance) {
  const cv::Point2f p1 = lm[first], p4 = lm[first + 3];
  const float w = Dist(p1, p4);
  if (w <= 0 || rgb.empty()) return 0;
  const cv::Point2f c = (p1 + p4) * 0.5f, u = (p4 - p1) / w, n(-u.y, u.x);  // n: down the face
  // Skin reference: median colour of a patch on the cheek just under the lower lid.
  const cv::Point2f sc = c + n * (0.55f * w);
  cv::Rect patch(cv::Point(cvRound(sc.x - 0.2f * w), cvRound(sc.y - 0.08f * w)),
                 cv::Size(std::max(2, cvRound(0.4f * w)), std::max(2, cvRound(0.16f * w))));
  patch &= cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (patch.empty()) return 0;
  cv::Vec3f skin;
  {
    std::vector<cv::Mat> ch;
    cv::split(rgb(patch), ch);
    for (int k = 0; k < 3; ++k) {
      cv::Mat v = ch[k].reshape(1, 1).clone();
      std::nth_element(v.begin<uint8_t>(), v.begin<uint8_t>() + v.total() / 2, v.end<uint8_t>());
      skin[k] = v.at<uint8_t>(0, static_cast<int>(v.total() / 2));
    }
  }
  const float limit = skin_distance * std::max(40.f, static_cast<float>(cv::norm(skin)));
  std::vector<cv::Point> outline;
  for (int i = 0; i < 6; ++i)
    outline.emplace_back(cvRound(lm[first + i].x), cvRound(lm[first + i].y));
  const cv::Rect box = cv::boundingRect(outline) & cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (box.empty()) return 0;
  cv::Mat mask = cv::Mat::zeros(box.size(), CV_8U);
  for (cv::Point& q : outline) q -= box.tl();
  cv::fillConvexPoly(mask, outline, cv::Scalar(255));
  int inside = 0, not_skin = 0;
  for (int y = 0; y < box.height; ++y) {
    const uint8_t* m = mask.ptr<uint8_t>(y);
    const cv::Vec3b* px = rgb.ptr<cv::Vec3b>(box.y + y) + box.x;
    for (int x = 0; x < box.width; ++x) {
      if (!m[x]) continue;
      ++inside;
      const cv::Vec3f d = cv::Vec3f(px[x][0], px[x][1], px[x][2]) - skin;
      not_skin += cv::norm(d) > limit;
    }
  }
  return inside ? static_cast<float>(not_skin) / inside : 0;
}

EyeOpenness ClassifyEyes(float left_open, float right_open, float left_width, float right_width,
                         const EyeThresholds& t) {
  const float narrow = std::min(left_width, right_width), wide = std::max(left_width, right_width);
  if (narrow < t.min_eye_width_px || wide > t.max_width_asymmetry * narrow) {
    return EyeOpenness::kUnsure;
  }
  auto judge = [&t](float s) { return s < t.closed_below ? -1 : (s > t.open_above ? 1 : 0); };
  const int l = judge(left_open), r = judge(right_open);
  if (l == 1 && r == 1) return EyeOpenness::kOpen;
  if (l == -1 && r == -1) return EyeOpenness::kClosed;
  if (l * r == -1) return EyeOpenness::kOneClosed;
  return EyeOpenness::kUnsure;
}

EyeState MeasureEyes(const cv::Mat& rgb, const Landmarks68& lm, const EyeThresholds& t) {
  EyeState s;
  s.left_ear = EyeAspectRatio(lm, 36);
  s.right_ear = EyeAspectRatio(lm, 42);
  s.mar = MouthAspectRatio(lm);
  s.left_open = EyeAppearanceOpenness(rgb, lm, 36, t.skin_distance);
  s.right_open = EyeAppearanceOpenness(rgb, lm, 42, t.skin_distance);
  s.state = ClassifyEyes(s.left_open, s.right_open, EyeWidth(lm, 36), EyeWidth(lm, 42), t);
  return s;
}

namespace {

// Detection, landmarks and eye openness of every face of `rgb`, largest first. The SSD first, as
// RunAnalysis: the eye-state thresholds were measured on its boxes; RFB-320 only where it finds
// nothing. The landmarks are used for the ratios, then dropped (REQ AN1).
template <class EngineImpl>
Result<std::vector<EyeState>> MeasureAllEyes(EngineImpl& impl, const cv::Mat& rgb) {
  const cv::Mat rgbf = ToFloatRgb(rgb);
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                      DetectFacesSsdFirst(*impl.ssd, impl.rfb.get(), rgbf, impl.config.min_detection_score,
                                          impl.strategy));
  std::sort(dets.begin(), dets.end(),
            [](const Detection& a, const Detection& b) { return a.box.area() > b.box.area(); });
  std::vector<EyeState> out;
  out.reserve(dets.size());
  for (const Detection& d : dets) {
    FG_ASSIGN_OR_RETURN(const Landmarks68 lm, DetectLandmarks(*impl.landmarks, rgbf, d.box));
    EyeState s = MeasureEyes(rgb, lm);
    s.box = d.box;
    s.detection_score = d.score;
    out.push_back(s);
  }
  return out;
}

}  // namespace

Result<std::vector<EyeState>> Engine::EyeStates(const InferenceGrant& grant, const cv::Mat& rgb) {
  // The InferenceGrant's type is the authorization (only policy::Gate makes one, for a purpose
  // that switched drowsiness on, REQ AN3); it must be for the inference eye state serves.
  if (grant.inference() != SensitiveInference::kDrowsiness)
    return Status::Refused("AN3", std::string("eye state serves the drowsiness inference, not ") +
                                      ToString(grant.inference()));
  if (rgb.empty()) return Status::InvalidInput("the image is empty; decode a frame first");
  if (rgb.type() != CV_8UC3) {
    return Status::InvalidInput("the image must be 8-bit RGB (CV_8UC3); convert the frame first");
  }
  FG_ASSIGN_OR_RETURN(std::vector<EyeState> out, MeasureAllEyes(*impl_, rgb));
  auto judged = [](const std::vector<EyeState>& faces) {
    return std::count_if(faces.begin(), faces.end(),
                         [](const EyeState& f) { return f.state != EyeOpenness::kUnsure; });
  };
  if (judged(out) > 0) return out;
  // No face whose eyes could be judged: a head upside down (a driver leaning back, a phone held
  // the wrong way; the detectors often find it, the landmarks do not) is looked at once more,
  // turned 180 degrees. That answer is taken if it judges some eyes, or finds the only faces;
  // its boxes are turned back.
  cv::Mat turned;
  cv::rotate(rgb, turned, cv::ROTATE_180);
  FG_ASSIGN_OR_RETURN(std::vector<EyeState> down, MeasureAllEyes(*impl_, turned));
  if (judged(down) == 0 && !(out.empty() && !down.empty())) return out;
  for (EyeState& s : down) {
    s.box.x = static_cast<float>(rgb.cols) - s.box.x - s.box.width;
    s.box.y = static_cast<float>(rgb.rows) - s.box.y - s.box.height;
  }
  out = std::move(down);
  return out;
}

}  // namespace facegate::vision
