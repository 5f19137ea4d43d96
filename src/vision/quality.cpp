// Face quality (vision/quality.h): measures from the landmarks and the aligned chip, graded
// against limits measured on facedata (docs/quality.md).
#include "vision/quality.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "vision/image_ops.h"

namespace facegate::vision {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Point2d Mean(const Landmarks68& lm, int begin, int end) {
  cv::Point2d s(0, 0);
  for (int i = begin; i < end; ++i) s += cv::Point2d(lm[i].x, lm[i].y);
  return s / double(end - begin);
}

constexpr int kPoseIndex[6] = {30, 8, 36, 45, 48, 54};

// Regions of the 150 px similarity chip (padding 0.25: chip = 25 + 100 x dlib's mean face).
const cv::Rect kFaceRegion(35, 35, 80, 85);      // brows to chin, inside the cheeks
const cv::Rect kLeftEye(38, 42, 20, 10);         // image-left eye (mean face 0.12-0.34, 0.17-0.27)
const cv::Rect kRightEye(92, 42, 20, 10);
const cv::Rect kForehead(64, 24, 22, 12);        // between and above the brows
const cv::Rect kLeftCheek(40, 66, 14, 14);       // under the eyes, beside the nose
const cv::Rect kRightCheek(96, 66, 14, 14);
const cv::Rect kLowerFace(60, 100, 30, 18);      // mouth and chin

// Median of each channel of `region` of a CV_32FC3 image.
cv::Vec3f MedianColour(const cv::Mat& img, const cv::Rect& region) {
  cv::Mat roi = img(region & cv::Rect(0, 0, img.cols, img.rows));
  cv::Vec3f out(0, 0, 0);
  if (roi.empty()) return out;
  std::vector<float> v;
  v.reserve(size_t(roi.total()));
  for (int c = 0; c < 3; ++c) {
    v.clear();
    for (int y = 0; y < roi.rows; ++y)
      for (int x = 0; x < roi.cols; ++x) v.push_back(roi.at<cv::Vec3f>(y, x)[c]);
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    out[c] = v[v.size() / 2];
  }
  return out;
}

// CIE L*a*b* of a float RGB colour 0..255 (OpenCV's float form: L 0..100, a, b about -128..127).
cv::Vec3f Lab(const cv::Vec3f& rgb) {
  cv::Mat px(1, 1, CV_32FC3, cv::Scalar(rgb[0] / 255.f, rgb[1] / 255.f, rgb[2] / 255.f));
  cv::Mat lab;
  cv::cvtColor(px, lab, cv::COLOR_RGB2Lab);
  return lab.at<cv::Vec3f>(0, 0);
}

// Colour distance that weighs lightness half, so shading across the face counts less than a
// change of material (a mask or scarf is a different colour, a shadow is the same one darker).
float ColourDistance(const cv::Vec3f& lab1, const cv::Vec3f& lab2) {
  const float dl = 0.5f * (lab1[0] - lab2[0]), da = lab1[1] - lab2[1], db = lab1[2] - lab2[2];
  return std::sqrt(dl * dl + da * da + db * db);
}

// Score and level of a measure where larger is better.
QualityMeasure HigherIsBetter(float v, float good, float poor) {
  QualityMeasure m;
  m.value = v;
  const float span = std::max(good - poor, 1e-6f);
  m.score = std::clamp(0.5f + 0.5f * (v - poor) / span, 0.f, 1.f);
  m.level = v >= good ? QualityLevel::kGood : v >= poor ? QualityLevel::kAcceptable : QualityLevel::kPoor;
  return m;
}

// Score and level of a measure where smaller is better (angles, occlusion).
QualityMeasure LowerIsBetter(float v, float good, float poor) {
  QualityMeasure m = HigherIsBetter(-v, -good, -poor);
  m.value = v;
  return m;
}

std::string Fmt(const char* format, double a, double b = 0) {
  char buf[300];
  std::snprintf(buf, sizeof buf, format, a, b);
  return buf;
}

}  // namespace

const char* ToString(QualityLevel level) {
  switch (level) {
    case QualityLevel::kGood: return "good";
    case QualityLevel::kAcceptable: return "acceptable";
    case QualityLevel::kPoor: return "poor";
  }
  return "poor";
}

const std::array<cv::Point3d, 6>& HeadModelPoints() {
  // A generic head (arbitrary units, eye corners 450 apart), as widely used for 6-point PnP.
  static const std::array<cv::Point3d, 6> pts = {
      cv::Point3d(0, 0, 0),           // nose tip
      cv::Point3d(0, 330, 65),        // chin
      cv::Point3d(-225, -170, 135),   // outer corner of the image-left eye
      cv::Point3d(225, -170, 135),    // outer corner of the image-right eye
      cv::Point3d(-150, 150, 125),    // image-left mouth corner
      cv::Point3d(150, 150, 125)};    // image-right mouth corner
  return pts;
}

float InterOcularDistance(const Landmarks68& lm) {
  return float(cv::norm(Mean(lm, 42, 48) - Mean(lm, 36, 42)));
}

HeadPose EstimateHeadPose(const Landmarks68& lm, cv::Size image) {
  HeadPose pose;
  const cv::Point2d le = Mean(lm, 36, 42), re = Mean(lm, 42, 48);
  pose.roll = float(std::atan2(re.y - le.y, re.x - le.x) * 180 / kPi);
  std::vector<cv::Point3d> model(HeadModelPoints().begin(), HeadModelPoints().end());
  std::vector<cv::Point2d> seen;
  for (int i : kPoseIndex) seen.emplace_back(lm[i].x, lm[i].y);
  const double f = std::max(image.width, image.height);
  const cv::Mat camera = (cv::Mat_<double>(3, 3) << f, 0, image.width / 2.0, 0, f, image.height / 2.0, 0, 0, 1);
  // Start from a frontal head at the distance its eye corners' span implies.
  const double span = std::max(1.0, cv::norm(seen[3] - seen[2]));
  const double z = f * 450.0 / span;
  const cv::Point2d c(image.width / 2.0, image.height / 2.0);
  cv::Mat rvec = cv::Mat::zeros(3, 1, CV_64F);
  cv::Mat tvec = (cv::Mat_<double>(3, 1) << (seen[0].x - c.x) * z / f, (seen[0].y - c.y) * z / f, z);
  if (!cv::solvePnP(model, seen, camera, cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE))
    return pose;
  cv::Mat r;
  cv::Rodrigues(rvec, r);
  // r = Rz(roll) Ry(yaw) Rx(pitch) in camera axes (x right, y down, z away from the camera).
  const double yaw = std::asin(std::clamp(-r.at<double>(2, 0), -1.0, 1.0));
  const double pitch = std::atan2(r.at<double>(2, 1), r.at<double>(2, 2));
  // Ry(+) turns the nose towards image left and Rx(+) towards the chest: flip both so that
  // + means "towards image right" and "chin up".
  pose.yaw = float(-yaw * 180 / kPi);
  pose.pitch = float(-pitch * 180 / kPi);
  return pose;
}

ChipMeasures MeasureChip(const cv::Mat& chip) {
  ChipMeasures m;
  if (chip.empty()) return m;
  cv::Mat grey;
  cv::cvtColor(chip, grey, cv::COLOR_RGB2GRAY);  // float 0..255
  const cv::Mat face = grey(kFaceRegion);
  cv::Scalar mean, sd;
  cv::meanStdDev(face, mean, sd);
  m.brightness = float(mean[0]);
  m.contrast = float(sd[0]);
  cv::Mat lap;
  cv::Laplacian(grey, lap, CV_32F, 1);
  cv::Scalar lmean, lsd;
  cv::meanStdDev(lap(kFaceRegion), lmean, lsd);
  m.sharpness = sd[0] > 1e-3 ? float((lsd[0] * lsd[0]) / (sd[0] * sd[0])) : 0.f;

  // Occlusion. Sunglasses: the eyes much darker than the cheeks.
  auto luma = [](const cv::Vec3f& c) { return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]; };
  const float cheeks = 0.5f * (luma(MedianColour(chip, kLeftCheek)) + luma(MedianColour(chip, kRightCheek)));
  cv::Scalar le = cv::mean(grey(kLeftEye)), re = cv::mean(grey(kRightEye));
  const float eyes = float(0.5 * (le[0] + re[0]));
  m.eye_darkness = cheeks > 1 ? std::clamp(1.f - eyes / cheeks, 0.f, 1.f) : 0.f;
  // Mask or scarf: both the cheeks and the lower face differ in colour from the forehead (a
  // beard or a shadow leaves the cheeks alone, so the smaller of the two distances is taken).
  const cv::Vec3f forehead = Lab(MedianColour(chip, kForehead));
  const float d_cheeks = 0.5f * (ColourDistance(Lab(MedianColour(chip, kLeftCheek)), forehead) +
                                 ColourDistance(Lab(MedianColour(chip, kRightCheek)), forehead));
  const float d_lower = ColourDistance(Lab(MedianColour(chip, kLowerFace)), forehead);
  m.lower_face_distance = std::min(d_cheeks, d_lower);
  return m;
}

FaceQuality GradeQuality(float iod, const ChipMeasures& c, const HeadPose& pose, const QualityLimits& L) {
  FaceQuality q;
  std::vector<std::string> poor, fair;
  auto note = [&](const QualityMeasure& m, const std::string& advice) {
    if (m.level == QualityLevel::kPoor) poor.push_back(advice);
    if (m.level == QualityLevel::kAcceptable) fair.push_back(advice);
  };
  q.size = HigherIsBetter(iod, L.size_good_px, L.size_poor_px);
  note(q.size, Fmt("the face is %.0f px between the eyes; move closer (or use a larger photo) so it "
                   "is at least %.0f px",
                   iod, q.size.level == QualityLevel::kPoor ? L.size_poor_px : L.size_good_px));
  q.sharpness = HigherIsBetter(c.sharpness, L.sharpness_good, L.sharpness_poor);
  note(q.sharpness, Fmt("the photo is blurred (sharpness %.3f < %.3f): hold still, focus on the face "
                        "and clean the lens",
                        c.sharpness,
                        q.sharpness.level == QualityLevel::kPoor ? L.sharpness_poor : L.sharpness_good));
  // Brightness: too dark and too bright are both bad; the level is the worse side's.
  if (c.brightness > 0.5f * (L.dark_good + L.bright_good)) {
    q.brightness = LowerIsBetter(c.brightness, L.bright_good, L.bright_poor);
    note(q.brightness, Fmt("the face is overexposed (brightness %.0f of 255 > %.0f): reduce the light "
                           "on the face or move out of direct sun",
                           c.brightness,
                           q.brightness.level == QualityLevel::kPoor ? L.bright_poor : L.bright_good));
  } else {
    q.brightness = HigherIsBetter(c.brightness, L.dark_good, L.dark_poor);
    note(q.brightness, Fmt("the face is too dark (brightness %.0f of 255 < %.0f): add light in front "
                           "of the person",
                           c.brightness,
                           q.brightness.level == QualityLevel::kPoor ? L.dark_poor : L.dark_good));
  }
  q.contrast = HigherIsBetter(c.contrast, L.contrast_good, L.contrast_poor);
  note(q.contrast, Fmt("the face has too little contrast (%.0f < %.0f): avoid light from behind the "
                       "person, haze or a fogged lens",
                       c.contrast, q.contrast.level == QualityLevel::kPoor ? L.contrast_poor : L.contrast_good));
  const bool yaw_poor = std::fabs(pose.yaw) > L.yaw_poor_deg;
  q.yaw = LowerIsBetter(std::fabs(pose.yaw), L.yaw_good_deg, L.yaw_poor_deg);
  q.yaw.value = pose.yaw;
  note(q.yaw, Fmt("turn to face the camera: yaw %.0f deg > %.0f", std::fabs(pose.yaw),
                  yaw_poor ? L.yaw_poor_deg : L.yaw_good_deg));
  const bool pitch_poor = std::fabs(pose.pitch) > L.pitch_poor_deg;
  q.pitch = LowerIsBetter(std::fabs(pose.pitch), L.pitch_good_deg, L.pitch_poor_deg);
  q.pitch.value = pose.pitch;
  note(q.pitch, Fmt(pose.pitch > 0 ? "lower the chin and look straight at the camera: pitch %.0f deg > %.0f"
                                   : "raise the chin and look straight at the camera: pitch %.0f deg > %.0f",
                    std::fabs(pose.pitch), pitch_poor ? L.pitch_poor_deg : L.pitch_good_deg));
  const bool roll_poor = std::fabs(pose.roll) > L.roll_poor_deg;
  q.roll = LowerIsBetter(std::fabs(pose.roll), L.roll_good_deg, L.roll_poor_deg);
  q.roll.value = pose.roll;
  note(q.roll, Fmt("hold the head upright: roll %.0f deg > %.0f", std::fabs(pose.roll),
                   roll_poor ? L.roll_poor_deg : L.roll_good_deg));
  const float eyes = c.eye_darkness / kEyeDarknessPoor, lower = c.lower_face_distance / kLowerFaceDistancePoor;
  q.occlusion = LowerIsBetter(std::max(eyes, lower), L.occlusion_good, L.occlusion_poor);
  note(q.occlusion, eyes >= lower ? "the eyes look covered: take off sunglasses or tinted glasses"
                                  : "the lower face looks covered: take off a mask or scarf");
  for (const QualityMeasure* m : {&q.size, &q.sharpness, &q.brightness, &q.contrast, &q.yaw, &q.pitch,
                                  &q.roll, &q.occlusion})
    q.overall = std::max(q.overall, m->level);
  q.advice = poor;
  q.advice.insert(q.advice.end(), fair.begin(), fair.end());
  return q;
}

FaceQuality AssessQuality(const cv::Mat& rgb, const Landmarks68& lm, const QualityLimits& limits) {
  const cv::Mat chip = SimilarityChip(ToFloatRgb(rgb), lm, ChipTemplate::kMeanFace68);
  return GradeQuality(InterOcularDistance(lm), MeasureChip(chip), EstimateHeadPose(lm, rgb.size()), limits);
}

}  // namespace facegate::vision
