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

// The square of `side` pixels about `c`, turned so that `d` points right, resized to `size` x
// `size` (edge pixels repeated past the photo) and mirrored left-right if `mirror`: the geometry
// of both eye crops.
cv::Mat LevelledSquare(const cv::Mat& rgb, cv::Point2f c, cv::Point2f d, float side, int size, bool mirror) {
  cv::Mat m = cv::getRotationMatrix2D(c, std::atan2(d.y, d.x) * 180 / CV_PI, size / side);
  m.at<double>(0, 2) += size / 2.0 - c.x;
  m.at<double>(1, 2) += size / 2.0 - c.y;
  cv::Mat crop;
  cv::warpAffine(rgb, crop, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  if (mirror) cv::flip(crop, crop, 1);
  return crop;
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

cv::Mat EyeCrop(const cv::Mat& rgb, const Landmarks68& lm, int first, float scale, bool mirror) {
  const cv::Point2f c = (lm[first + 1] + lm[first + 2] + lm[first + 4] + lm[first + 5]) * 0.25f;
  const cv::Point2f d = lm[first + 3] - lm[first];
  const float side = std::max(2.f, static_cast<float>(cv::norm(d))) * scale;
  const cv::Mat crop = LevelledSquare(rgb, c, d, side, nn::EyeNet::kInputSize, mirror);
  cv::Mat grey, out;
  cv::cvtColor(crop, grey, cv::COLOR_BGR2GRAY);  // on RGB pixels, as fr_eye.js's canvas
  grey.convertTo(out, CV_32F, 1.0 / 255);
  return out;
}

Result<float> EyeOpenProbability(nn::EyeNet& net, const cv::Mat& rgb, const Landmarks68& lm, int first) {
  float sum = 0;
  for (bool mirror : {false, true}) {
    FG_ASSIGN_OR_RETURN(const auto p, net.Run(EyeCrop(rgb, lm, first, kEyeCropScale, mirror)));
    sum += p[1];  // class 1: open
  }
  return sum / 2;
}

cv::Mat IrisCrop(const cv::Mat& rgb, const Landmarks68& lm, int first, bool mirror) {
  const cv::Point2f a = lm[first], b = lm[first + 3];
  const cv::Point2f c = (a + b) * 0.5f;
  const cv::Point2f d = b - a;
  const float side = std::max(2.f, static_cast<float>(cv::norm(d))) * kIrisCropScale;
  cv::Mat out;
  LevelledSquare(rgb, c, d, side, nn::IrisNet::kInputSize, mirror).convertTo(out, CV_32FC3, 1.0 / 255);
  return out;
}

float LidOpening(const std::array<cv::Point2f, nn::IrisNet::kPoints>& contour) {
  const float width = Dist(contour[0], contour[8]);
  if (width <= 0) return 0;
  float gap = 0;
  for (int i = 0; i < 7; ++i) gap += Dist(contour[9 + i], contour[1 + i]);
  return gap / 7 / width;
}

Result<float> EyeLidOpening(nn::IrisNet& net, const cv::Mat& rgb, const Landmarks68& lm, int first) {
  float sum = 0;
  for (bool mirror : {false, true}) {
    FG_ASSIGN_OR_RETURN(const auto contour, net.Run(IrisCrop(rgb, lm, first, mirror)));
    sum += LidOpening(contour);
  }
  return sum / 2;
}

EyeOpenness ClassifyEyes(const EyeReadings& r, const EyeThresholds& t) {
  const float narrow = std::min(r.left_width, r.right_width), wide = std::max(r.left_width, r.right_width);
  if (narrow < t.min_eye_width_px || wide > t.max_width_asymmetry * narrow) return EyeOpenness::kUnsure;
  auto shut = [&t](float p, float lid) { return p < t.wink_shut_below || lid < t.wink_lid_shut_below; };
  auto open = [&t](float p, float lid) { return p > t.wink_open_above && lid >= t.lid_open_from; };
  if ((shut(r.left_open, r.left_lid) && open(r.right_open, r.right_lid)) ||
      (shut(r.right_open, r.right_lid) && open(r.left_open, r.left_lid)))
    return EyeOpenness::kOneClosed;
  // Otherwise the two eyes are read as one: the nets are often unsure of one eye (a reflection,
  // a lock of hair) and a person rarely holds one eye shut for long. Wide-apart lids are open
  // whatever the eye net says (it calls small and wide-open eyes shut); otherwise both must agree.
  const float p = (r.left_open + r.right_open) / 2, lid = (r.left_lid + r.right_lid) / 2;
  const bool is_open = lid >= t.lid_surely_open_from || (p >= t.open_from && lid >= t.lid_open_from);
  return is_open ? EyeOpenness::kOpen : EyeOpenness::kClosed;
}

Result<EyeState> MeasureEyes(const EyeNets& nets, const cv::Mat& rgb, const Landmarks68& lm, const EyeThresholds& t) {
  EyeState s;
  s.left_ear = EyeAspectRatio(lm, 36);
  s.right_ear = EyeAspectRatio(lm, 42);
  s.mar = MouthAspectRatio(lm);
  FG_ASSIGN_OR_RETURN(s.left_open, EyeOpenProbability(*nets.eye, rgb, lm, 36));
  FG_ASSIGN_OR_RETURN(s.right_open, EyeOpenProbability(*nets.eye, rgb, lm, 42));
  FG_ASSIGN_OR_RETURN(s.left_lid, EyeLidOpening(*nets.iris, rgb, lm, 36));
  FG_ASSIGN_OR_RETURN(s.right_lid, EyeLidOpening(*nets.iris, rgb, lm, 42));
  s.state = ClassifyEyes({s.left_open, s.right_open, s.left_lid, s.right_lid, EyeWidth(lm, 36), EyeWidth(lm, 42)}, t);
  return s;
}

float UprightConfidence(const Detection& detection, const Landmarks68& lm) {
  const float l = EyeWidth(lm, 36), r = EyeWidth(lm, 42);
  const float wide = std::max(l, r);
  if (wide <= 0 || detection.box.width <= 0) return 0;
  const float balance = std::min(l, r) / wide;
  const float size = std::min(1.f, (l + r) / 2 / (0.12f * detection.box.width));
  return detection.score * balance * size;
}

namespace {

// A face measured in one turn of the frame, with how surely it was found upright.
struct TurnedFace {
  EyeState eyes;
  float upright = 0;
};

// Detection, landmarks and eye state of every face of `rgb`, largest first. The SSD first, as
// RunAnalysis; RFB-320 only where it finds nothing. The landmarks are used for the crops and
// ratios, then dropped (REQ AN1).
template <class EngineImpl>
Result<std::vector<TurnedFace>> MeasureAllEyes(EngineImpl& impl, const EyeNets& nets, const cv::Mat& rgb) {
  const cv::Mat rgbf = ToFloatRgb(rgb);
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                      DetectFacesSsdFirst(*impl.ssd, impl.rfb.get(), rgbf, impl.config.min_detection_score,
                                          impl.strategy));
  std::sort(dets.begin(), dets.end(),
            [](const Detection& a, const Detection& b) { return a.box.area() > b.box.area(); });
  std::vector<TurnedFace> out;
  out.reserve(dets.size());
  for (const Detection& d : dets) {
    FG_ASSIGN_OR_RETURN(const Landmarks68 lm, DetectLandmarks(*impl.landmarks, rgbf, d.box));
    FG_ASSIGN_OR_RETURN(EyeState s, MeasureEyes(nets, rgb, lm));
    s.box = d.box;
    s.detection_score = d.score;
    out.push_back({s, UprightConfidence(d, lm)});
  }
  return out;
}

float MostUpright(const std::vector<TurnedFace>& faces) {
  float best = 0;
  for (const TurnedFace& f : faces) best = std::max(best, f.upright);
  return best;
}

// A box found in the frame turned by `turn` (a cv::RotateFlags), in the frame as sent (`size`).
cv::Rect2f TurnBack(const cv::Rect2f& b, int turn, cv::Size size) {
  const auto W = static_cast<float>(size.width), H = static_cast<float>(size.height);
  switch (turn) {
    case cv::ROTATE_90_CLOCKWISE:
      return {b.y, H - b.x - b.width, b.height, b.width};
    case cv::ROTATE_90_COUNTERCLOCKWISE:
      return {W - b.y - b.height, b.x, b.height, b.width};
    default:  // ROTATE_180
      return {W - b.x - b.width, H - b.y - b.height, b.width, b.height};
  }
}

}  // namespace

Result<std::vector<EyeState>> Engine::EyeStates(const InferenceGrant& grant, const cv::Mat& rgb, Turns turns) {
  // The InferenceGrant's type is the authorization (only policy::Gate makes one, for a purpose
  // that switched drowsiness on, REQ AN3); it must be for the inference eye state serves.
  if (grant.inference() != SensitiveInference::kDrowsiness)
    return Status::Refused("AN3", std::string("eye state serves the drowsiness inference, not ") +
                                      ToString(grant.inference()));
  if (rgb.empty()) return Status::InvalidInput("the image is empty; decode a frame first");
  if (rgb.type() != CV_8UC3) {
    return Status::InvalidInput("the image must be 8-bit RGB (CV_8UC3); convert the frame first");
  }
  FG_ASSIGN_OR_RETURN(const EyeNets nets, EnsureEyeNets(*impl_));
  FG_ASSIGN_OR_RETURN(std::vector<TurnedFace> best, MeasureAllEyes(*impl_, nets, rgb));
  // No face surely upright: a head lying down or upside down (a driver leaning back, a phone
  // held sideways; the detectors often find it, the landmark net cannot place it) is looked at
  // once more in each other quarter turn, and the turn with the most surely upright face is
  // taken, its boxes turned back (facedata/eyes: open recall about 59% -> 72.1%).
  float best_upright = MostUpright(best);
  if (turns == Turns::kAnyQuarterTurn && best_upright < kUprightEnough) {
    for (int turn : {cv::ROTATE_180, cv::ROTATE_90_CLOCKWISE, cv::ROTATE_90_COUNTERCLOCKWISE}) {
      cv::Mat turned;
      cv::rotate(rgb, turned, turn);
      FG_ASSIGN_OR_RETURN(std::vector<TurnedFace> faces, MeasureAllEyes(*impl_, nets, turned));
      if (MostUpright(faces) <= best_upright) continue;
      best_upright = MostUpright(faces);
      for (TurnedFace& f : faces) f.eyes.box = TurnBack(f.eyes.box, turn, rgb.size());
      best = std::move(faces);
    }
  }
  std::vector<EyeState> out;
  out.reserve(best.size());
  for (const TurnedFace& f : best) out.push_back(f.eyes);
  return out;
}

}  // namespace facegate::vision
