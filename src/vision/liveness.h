// Liveness steps (Engine::Liveness, vision/liveness.cpp): human's face crop and the verdict
// rule, in a header so the golden and unit tests can check each step.
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

// The verdict of the two scores under `t` (docs/liveness.md).
LivenessVerdict JudgeLiveness(float antispoof, float liveness, const LivenessThresholds& t);

}  // namespace facegate::vision
