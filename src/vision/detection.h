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

// Index of the face whose box centre lies nearest the image centre, or -1 for
// none. LFW labels the person in the centre of the photo; evaluation picks it.
int NearestToCentre(const std::vector<Face>& faces, cv::Size image);

// Sorts faces largest box first (ties: higher score first).
void SortLargestFirst(std::vector<Face>& faces);

}  // namespace facegate::vision
