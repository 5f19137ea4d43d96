// Post-processing of the SSD face detector as face-api does it (greedy NMS,
// boxes back to image pixels), plus helpers for choosing a face.
#pragma once

#include <facegate/vision.h>

#include <opencv2/core.hpp>
#include <vector>

namespace facegate::vision {

// Intersection over union of two boxes (0 when either is empty).
float IntersectionOverUnion(const cv::Rect2f& a, const cv::Rect2f& b);

// face-api's nonMaxSuppression: candidates with score > min_score, highest
// first; a candidate is dropped when its IoU with a kept box exceeds
// iou_threshold. Returns the kept indices, best first, at most max_results.
std::vector<int> NonMaxSuppression(const std::vector<cv::Rect2f>& boxes,
                                   const std::vector<float>& scores, int max_results,
                                   float iou_threshold, float min_score);

// An SSD box, normalised to the 512 input that showed the image padded
// right/bottom to a square of side `square_side` pixels, mapped to image
// pixels: clipped to [0,1], scaled as face-api does (by 512 / round(W * 512 /
// side) * W, through the rounded resized size), then clipped to the image.
cv::Rect2f SsdBoxToImage(const cv::Rect2f& normalised, float square_side, cv::Size image);

// How an RFB-320 box maps onto the box the landmark net is fed: centre moved by (dx, dy) x the
// RFB box's width and height, width and height scaled by (sw, sh). bench/rfb_calibrate fits
// the map onto the SSD's box of the same face (the crops face-api feeds its landmark net).
struct RfbBoxCalibration {
  float dx = 0, dy = 0, sw = 1, sh = 1;
};
// The identity (the net's own box): what bench/rfb_calibrate fits from.
inline constexpr RfbBoxCalibration kRfbRawBox{0.f, 0.f, 1.f, 1.f};
// What the engine uses: the net's own box. Measured, it verifies better as it is (LFW 10-fold
// 99.08%) than the SSD's boxes did (98.42%), so no mapping is applied (docs/vision.md).
inline constexpr RfbBoxCalibration kRfbEngineBox = kRfbRawBox;

// An RFB-320 box (normalised 0..1 to the stretched 320x240 input, hence to the image) in image
// pixels: scaled by the image size, moved and scaled by `calibration`, then clipped to the image.
cv::Rect2f RfbBoxToImage(const cv::Rect2f& normalised, const RfbBoxCalibration& calibration,
                         cv::Size image);

// Index of the face whose box centre lies nearest the image centre, or -1 for
// none. LFW labels the person in the centre of the photo; evaluation picks it.
int NearestToCentre(const std::vector<Face>& faces, cv::Size image);

// Sorts faces largest box first (ties: higher score first).
void SortLargestFirst(std::vector<Face>& faces);

}  // namespace facegate::vision
