// The steps of the engine on float RGB images, one function per net, so the
// Engine stays a thin grant-checking shell and each step can be measured.
#pragma once

#include <facegate/status.h>
#include <facegate/vision.h>

#include <opencv2/core.hpp>
#include <vector>

#include "nn/nets.h"
#include "vision/align.h"

namespace facegate::vision {

// face-api's SSD settings.
inline constexpr float kSsdIouThreshold = 0.5f;
inline constexpr int kSsdMaxResults = 100;

// One pass of face-api's SSD flow on CV_32FC3 RGB 0..255: pad right/bottom to
// a square, TF-resize to 512, run, NMS (IoU 0.5, score > min_score, at most
// 100), boxes back to image pixels, clipped to the image.
Result<std::vector<Detection>> DetectSsdPass(nn::SsdNet& ssd, const cv::Mat& rgbf, float min_score);

// How detection recovers faces the plain pass misses (tight crops, faces
// filling the photo): when the plain pass finds nothing, pad the photo with a
// border of its mean colour (`border` x the longer side on each side) and
// detect again, first at the normal score, then at `fallback_score`.
struct DetectStrategy {
  float border = 0.3f;
  float fallback_score = 0.3f;
};

// Plain pass, then the fallbacks of `strategy`. Boxes in image pixels, clipped.
Result<std::vector<Detection>> DetectFaces(nn::SsdNet& ssd, const cv::Mat& rgbf, float min_score,
                                           const DetectStrategy& strategy);

// face-api's landmark flow: crop `box` (floored, clipped), pad to a square
// (centred), TF-resize to 112, run, map back to image pixels.
Result<Landmarks68> DetectLandmarks(nn::LandmarkNet& net, const cv::Mat& rgbf,
                                    const cv::Rect2f& box);

// The 150x150 chip for the recognition net, cut as `mode` says.
cv::Mat RecognitionChip(const cv::Mat& rgbf, const Landmarks68& landmarks, AlignMode mode);

}  // namespace facegate::vision
