// Liveness steps (Engine::Liveness, vision/liveness.cpp): fr_liveness's and human's face crops
// and the verdict rule, in a header so the golden and unit tests can check each step.
#pragma once

#include <facegate/vision.h>

#include <opencv2/core.hpp>

namespace facegate::vision {

// Side of human's face tensor (its face-mesh input) that the liveness nets resize from.
inline constexpr int kHumanFaceTensor = 192;
// human enlarges the detector's box by this factor before squaring it (config.face.detector.scale).
inline constexpr double kHumanBoxScale = 1.4;

// The square crop box human cuts for a detector box: enlarged kHumanBoxScale times about its
// centre, squared to its longer side, corners rounded (facemeshutil enlargeBox, squarifyBox).
// Returns x1, y1, x2, y2 in image pixels; may extend past the image.
cv::Vec4f HumanFaceBox(const cv::Rect2f& detection_box);

// tf.image.cropAndResize of `box` (x1, y1, x2, y2 pixels) from a float RGB image to
// `size` x `size`, bilinear, zeros outside the image, then / 255: human's face tensor.
cv::Mat HumanFaceCrop(const cv::Mat& rgbf, const cv::Vec4f& box, int size = kHumanFaceTensor);

// The context fr_liveness sees around a face: lib/fr_liveness.js's alignLivenessImage scale.
inline constexpr float kFrLivenessContext = 2.7f;
// The crop box of a detector box: kFrLivenessContext times its size about its centre (never
// empty; may reach past the image).
cv::Rect FrLivenessBox(const cv::Rect2f& detection_box);

// The 128x128 CV_32FC3 0..255 input of nn::FrLivenessNet for a face in an 8-bit RGB image:
// FrLivenessBox's crop, black where it reaches past the image, in BGR order, bilinear resize.
// Two measured departures from lib/fr_liveness.js, which shrinks the box into the image and
// feeds RGB (docs/liveness.md, "The crop").
cv::Mat FrLivenessInput(const cv::Mat& rgb, const cv::Rect2f& detection_box);

// The verdict of the score under `t` (docs/liveness.md).
LivenessVerdict JudgeLiveness(float score, const LivenessThresholds& t);

}  // namespace facegate::vision
