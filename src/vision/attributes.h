// The analysis steps behind Engine::Analyze (REQ SC3, AN1): where face-api cuts the attribute
// crop from the landmarks, and how the age/gender and expression nets' outputs become a
// FaceAttributes. Private to the vision layer.
#pragma once

#include <facegate/status.h>
#include <facegate/vision.h>

#include <opencv2/core.hpp>

#include "nn/nets.h"
#include "vision/align.h"

namespace facegate::vision {

inline constexpr int kAttributeInput = 112;  // age/gender and expression net input

// face-api's alignedRect (FaceLandmarks.alignMinBbox): the tightest box around the 68 landmarks,
// grown by `margin` x its width and height, centred (face-api: margin 0.2).
cv::Rect2f AttributeBox(const Landmarks68& landmarks, float margin);

// face-api's Box.clipAtImageBorders: clip the unfloored box at the image, then floor x, y,
// width and height. Empty when nothing of the box lies inside.
cv::Rect ClipAtImageBorders(const cv::Rect2f& box, cv::Size image);

// The 112x112 CV_32FC3 input both attribute nets read: the clipped crop of
// AttributeBox(landmarks, margin), zero-padded to a centred square, TF-resized.
// Empty when the box lies outside the image.
cv::Mat AttributeInput(const cv::Mat& rgbf, const Landmarks68& landmarks, float margin);

// Runs both nets on `input112` (and on its mirror image when options.flip_average, averaging
// age and probabilities) and fills the attribute fields of a FaceAttributes (box and score left
// for the caller).
Result<FaceAttributes> RunAttributeNets(nn::AgeGenderNet& age_gender, nn::ExpressionNet& expression,
                                        const cv::Mat& input112, const AnalysisOptions& options);

}  // namespace facegate::vision
