// The steps of the engine on float RGB images, one function per net, so the
// Engine stays a thin grant-checking shell and each step can be measured.
#pragma once

#include <facegate/status.h>
#include <facegate/vision.h>

#include <opencv2/core.hpp>
#include <vector>

#include "nn/nets.h"
#include "vision/align.h"
#include "vision/detection.h"

namespace facegate::vision {

// face-api's SSD settings.
inline constexpr float kSsdIouThreshold = 0.5f;
inline constexpr int kSsdMaxResults = 100;

// One pass of face-api's SSD flow on CV_32FC3 RGB 0..255: pad right/bottom to
// a square, TF-resize to 512, run, NMS (IoU 0.5, score > min_score, at most
// 100), boxes back to image pixels, clipped to the image.
Result<std::vector<Detection>> DetectSsdPass(nn::SsdNet& ssd, const cv::Mat& rgbf, float min_score);

// How detection recovers faces the plain pass misses: the SSD was trained on
// faces with context, so a photo that is all face (a tight crop) or a face cut
// by the photo's edge is found once framed again. When the plain pass finds
// nothing, the photo is framed with a border of its mean colour, `border` x
// its longer side on each side, and detected again; passes are tried in order
// until one finds a face. Measured on facedata (docs/vision.md): missed photos
// 327 of 2004 with the plain pass, 10 with these passes.
struct DetectPass {
  float border = 0;     // on each side, as a share of the longer side
  float min_score = 0;  // 0: the engine's min_detection_score
};
struct DetectStrategy {
  std::vector<DetectPass> fallbacks = {{0.5f, 0}, {1.0f, 0}, {1.0f, 0.3f}, {0.5f, 0.3f}};
};

// Plain pass, then the fallbacks of `strategy`. Boxes in image pixels, clipped.
Result<std::vector<Detection>> DetectFaces(nn::SsdNet& ssd, const cv::Mat& rgbf, float min_score,
                                           const DetectStrategy& strategy);

// faceplugin's RFB-320 settings (lib/fr_detect.js): face score >= 0.65, NMS overlap 0.4.
inline constexpr float kRfbMinScore = 0.65f;
inline constexpr float kRfbIouThreshold = 0.4f;
inline constexpr int kRfbMaxResults = 100;

// One pass of the RFB-320 detector on CV_32FC3 RGB 0..255: stretch to 320x240 (cv::resize,
// bilinear, as lib/fr_detect.js), run, greedy NMS by score (IoU 0.4, score >= min_score, at
// most 100), boxes to image pixels through `calibration` (RfbBoxToImage), clipped to the image.
// fr_detect.js's own NMS keeps the top-most box of each cluster, not the best-scored; ours
// keeps the best-scored (docs/vision.md).
Result<std::vector<Detection>> DetectRfbPass(nn::RfbNet& rfb, const cv::Mat& rgbf, float min_score,
                                             const RfbBoxCalibration& calibration = kRfbEngineBox);

// The engine's detection: the RFB-320 pass first (score >= max(min_score, kRfbMinScore)); only
// where it finds nothing, DetectFaces with the SSD above (plain pass and framed retries).
// rfb == nullptr: the SSD alone. Boxes in image pixels, clipped, in detector order.
Result<std::vector<Detection>> DetectFaces(nn::RfbNet* rfb, nn::SsdNet& ssd, const cv::Mat& rgbf,
                                           float min_score, const DetectStrategy& strategy);

// The analysis scenario's detection: DetectFaces with the SSD first (the attribute nets and
// eye-state limits were measured on its boxes); only where it finds nothing, the RFB-320 pass,
// which finds the faces of tight crops the SSD misses (docs/attributes.md). rfb == nullptr:
// the SSD alone.
Result<std::vector<Detection>> DetectFacesSsdFirst(nn::SsdNet& ssd, nn::RfbNet* rfb, const cv::Mat& rgbf,
                                                   float min_score, const DetectStrategy& strategy);

// face-api's landmark flow: crop `box` (floored, clipped), pad to a square
// (centred), TF-resize to 112, run, map back to image pixels.
Result<Landmarks68> DetectLandmarks(nn::LandmarkNet& net, const cv::Mat& rgbf,
                                    const cv::Rect2f& box);

// The 150x150 chip for the recognition net, cut as `mode` says.
cv::Mat RecognitionChip(const cv::Mat& rgbf, const Landmarks68& landmarks, AlignMode mode);

}  // namespace facegate::vision
