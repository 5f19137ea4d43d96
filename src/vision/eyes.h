// Eye openness and mouth opening from the 68 landmarks and the eye's pixels (Engine::EyeStates).
// The ratios and shares are scale-free, so one set of thresholds serves every face size; how
// they were calibrated is in docs/drowsiness.md. Pure functions, testable without the nets.
#pragma once

#include <facegate/vision.h>

#include "vision/align.h"

namespace facegate::vision {

// Thresholds of ClassifyEyes on the appearance openness (EyeState::left_open/right_open). An
// eye is closed below closed_below, open above open_above, and neither in between. Calibrated on
// LFW photos and their synthetic closed-eye versions (docs/drowsiness.md).
struct EyeThresholds {
  float closed_below = 0.40f;
  float open_above = 0.45f;
  float min_eye_width_px = 12;      // narrower eyes: too few pixels to judge -> kUnsure
  float max_width_asymmetry = 2.f;  // wider eye / narrower eye above this: head turned -> kUnsure
  float skin_distance = 0.25f;      // colour distance from the skin reference, relative to it,
                                    // beyond which a pixel is not skin
};

// Soukupová & Čech (2016): (|p2-p6| + |p3-p5|) / (2 |p1-p4|) for the six points of one eye
// starting at iBUG index `first` (36: image-left eye, 42: image-right eye). 0 if p1 == p4.
float EyeAspectRatio(const Landmarks68& lm, int first);
// Inner-lip opening: mean of |61-67|, |62-66|, |63-65| over |60-64|. Closed mouth ~0, yawn > 0.5.
float MouthAspectRatio(const Landmarks68& lm);
// Corner-to-corner width of the eye starting at `first`, in pixels.
float EyeWidth(const Landmarks68& lm, int first);

// Appearance openness of one eye in an 8-bit RGB image: the share of the pixels inside the
// eye's six-point outline whose RGB distance from the skin reference (median colour of a patch
// on the cheek under the eye) exceeds skin_distance x the reference's length. An open eye shows
// sclera and iris (far from skin); a lid covering it is skin. 0 when the outline is empty.
float EyeAppearanceOpenness(const cv::Mat& rgb, const Landmarks68& lm, int first,
                            float skin_distance = EyeThresholds{}.skin_distance);

// The state of both eyes from their openness scores and widths.
EyeOpenness ClassifyEyes(float left_open, float right_open, float left_width, float right_width,
                         const EyeThresholds& t = {});

// Everything of EyeState that comes from the photo and its landmarks (box and score are the
// caller's).
EyeState MeasureEyes(const cv::Mat& rgb, const Landmarks68& lm, const EyeThresholds& t = {});

}  // namespace facegate::vision
