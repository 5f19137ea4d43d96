// Eye state from faceplugin's eye net and MediaPipe's iris net on crops placed by the 68
// landmarks, and the mouth opening (Engine::EyeStates, Engine::AnalyzeFrame). How the crops and
// the thresholds were chosen, and what they give on real photos and clips, is in
// docs/drowsiness.md.
#pragma once

#include <facegate/status.h>
#include <facegate/vision.h>

#include <array>

#include "nn/nets.h"
#include "vision/align.h"

namespace facegate::vision {

// The two nets eye state is read with: faceplugin's open/closed net and MediaPipe's iris net.
struct EyeNets {
  nn::EyeNet* eye = nullptr;
  nn::IrisNet* iris = nullptr;
};

// How ClassifyEyes turns the two eyes' P(open) and lid openings into a state. Chosen on
// facedata/eyes, the two real clips and open LFW eyes (docs/drowsiness.md, "Eye state").
struct EyeThresholds {
  float open_from = 0.2f;             // mean P(open) at or above this, with the mean lid opening
  float lid_open_from = 0.18f;        // at or above this: open
  float lid_surely_open_from = 0.25f; // mean lid opening at or above this: open whatever P(open)
  float wink_shut_below = 0.01f;      // one eye surely shut (P(open) below this, or its lid
  float wink_lid_shut_below = 0.12f;  // opening below this) while the other is surely open
  float wink_open_above = 0.99f;      // (P(open) above this, lid at least lid_open_from):
                                      // one_closed (a wink), not a mean
  float min_eye_width_px = 4;         // narrower eyes: too few pixels to judge -> kUnsure
  float max_width_asymmetry = 2.f;    // wider eye / narrower eye above this: head turned -> kUnsure
};

// The side of the eye crop EyeOpenProbability gives the net, in eye widths.
inline constexpr float kEyeCropScale = 1.6f;
// The side of the iris net's crop, in corner-to-corner eye widths (human's iris.ts irisEnlarge).
inline constexpr float kIrisCropScale = 2.3f;
// UprightConfidence at or above which EyeStates takes the frame as sent, without turning it.
inline constexpr float kUprightEnough = 0.7f;

// Soukupová & Čech (2016): (|p2-p6| + |p3-p5|) / (2 |p1-p4|) for the six points of one eye
// starting at iBUG index `first` (36: image-left eye, 42: image-right eye). 0 if p1 == p4.
float EyeAspectRatio(const Landmarks68& lm, int first);
// Inner-lip opening: mean of |61-67|, |62-66|, |63-65| over |60-64|. Closed mouth ~0, yawn > 0.5.
float MouthAspectRatio(const Landmarks68& lm);
// Corner-to-corner width of the eye starting at `first`, in pixels.
float EyeWidth(const Landmarks68& lm, int first);

// The eye net's input for the eye starting at `first` of an 8-bit RGB image: a square of
// `scale` x the corner-to-corner width about the mean of the four lid points (as
// lib/fr_eye.js places it), turned so the corners lie level, grey by COLOR_BGR2GRAY on the RGB
// pixels (as fr_eye.js's canvas does), 24x24, CV_32FC1 0..1; mirrored left-right if `mirror`.
cv::Mat EyeCrop(const cv::Mat& rgb, const Landmarks68& lm, int first, float scale, bool mirror);

// P(open) of one eye: the eye net's mean over its kEyeCropScale crop as is and mirrored
// (docs/drowsiness.md: fewer false closures than one crop).
Result<float> EyeOpenProbability(nn::EyeNet& net, const cv::Mat& rgb, const Landmarks68& lm, int first);

// The iris net's input for the eye starting at `first`: a square of kIrisCropScale x the
// corner-to-corner width about the corners' midpoint, turned so they lie level, 64x64 RGB
// CV_32FC3 0..1; mirrored left-right if `mirror`.
cv::Mat IrisCrop(const cv::Mat& rgb, const Landmarks68& lm, int first, bool mirror);

// Lid opening of the iris net's eye contour: the mean gap between the upper lid (points 9-15)
// and the lower lid (1-7) over the corner-to-corner width (0-8). About 0.3 open, under 0.15 shut.
float LidOpening(const std::array<cv::Point2f, nn::IrisNet::kPoints>& contour);

// Lid opening of one eye: LidOpening's mean over its IrisCrop as is and mirrored.
Result<float> EyeLidOpening(nn::IrisNet& net, const cv::Mat& rgb, const Landmarks68& lm, int first);

// What ClassifyEyes judges, for the eye on the image's left and on its right.
struct EyeReadings {
  float left_open = 0, right_open = 0;    // the eye net's P(open)
  float left_lid = 0, right_lid = 0;      // EyeLidOpening
  float left_width = 0, right_width = 0;  // EyeWidth, pixels
};

// The state of both eyes.
EyeOpenness ClassifyEyes(const EyeReadings& r, const EyeThresholds& t = {});

// Everything of EyeState that comes from the photo and its landmarks (box and score are the
// caller's).
Result<EyeState> MeasureEyes(const EyeNets& nets, const cv::Mat& rgb, const Landmarks68& lm,
                             const EyeThresholds& t = {});

// How surely a face was found upright, 0..1: the detection score, times the narrower eye's
// width over the wider's, times min(1, mean eye width / (0.12 x box width)). A face turned a
// quarter or half the wrong way gets landmarks squeezed into a small or lopsided outline.
// EyeStates compares it across the frame's turns (docs/drowsiness.md).
float UprightConfidence(const Detection& detection, const Landmarks68& lm);

}  // namespace facegate::vision
