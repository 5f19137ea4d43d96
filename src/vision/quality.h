// Face quality measures (Engine::Quality): size, blur, exposure, pose and occlusion of one face
// from its landmarks and its aligned chip. Pure functions, testable without the nets; the limits
// were chosen by measurement (docs/quality.md, bench/quality_calibrate.cpp).
#pragma once

#include <facegate/vision.h>

#include <opencv2/core.hpp>

#include "vision/align.h"

namespace facegate::vision {

// Head pose in degrees (signs as in FaceQuality).
struct HeadPose {
  float yaw = 0, pitch = 0, roll = 0;
};

// Head pose from six landmarks (nose tip 30, chin 8, eye outer corners 36/45, mouth corners
// 48/54) fitted to a generic 3-D face with cv::solvePnP; camera focal length = the image's
// longer side, principal point at its centre. Roll is the angle of the eye line.
HeadPose EstimateHeadPose(const Landmarks68& lm, cv::Size image);

// The six 3-D points EstimateHeadPose fits, in its model frame (x right, y down, z away
// from the camera, nose tip at the origin), in the landmark order 30, 8, 36, 45, 48, 54.
const std::array<cv::Point3d, 6>& HeadModelPoints();

// Distance between the eye centres (means of 36-41 and 42-47) in image pixels.
float InterOcularDistance(const Landmarks68& lm);

// The measures read from the aligned chip (CV_32FC3 RGB 0..255, SimilarityChip geometry).
struct ChipMeasures {
  float sharpness = 0;    // variance of the Laplacian / variance of the grey face region
  float brightness = 0;   // mean grey of the face region
  float contrast = 0;     // its standard deviation
  float eye_darkness = 0; // 1 - (eye luminance / cheek luminance), clamped to [0,1]
  float lower_face_distance = 0;  // colour distance of cheeks and lower face from the forehead
};
ChipMeasures MeasureChip(const cv::Mat& chip);

// Levels, scores and advice from the raw values.
FaceQuality GradeQuality(float inter_ocular_px, const ChipMeasures& chip, const HeadPose& pose,
                         const QualityLimits& limits = {});

// Everything at once: the chip is cut here with the similarity alignment. `rgb` is CV_8UC3.
FaceQuality AssessQuality(const cv::Mat& rgb, const Landmarks68& lm,
                          const QualityLimits& limits = {});

// The poor-limit units of the occlusion measure: eye darkness at which the eyes count as
// covered, and the lower-face colour distance at which the mouth and cheeks count as covered.
inline constexpr float kEyeDarknessPoor = 0.80f;
inline constexpr float kLowerFaceDistancePoor = 40.0f;

}  // namespace facegate::vision
