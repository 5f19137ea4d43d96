// From a face's landmarks to the 150x150 chip the recognition net reads, and
// from the landmark net's output back to image pixels (MODELS.md "Per net").
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <utility>
#include <vector>

namespace facegate::vision {

using Landmarks68 = std::array<cv::Point2f, 68>;

inline constexpr int kChipSize = 150;         // recognition net input
inline constexpr double kChipPadding = 0.25;  // dlib face_recognition's chip padding
inline constexpr int kLandmarkInput = 112;    // landmark net input

// Maps the landmark net's 136 outputs (x,y pairs in 0..1 of the padded square)
// to image pixels, given the integer crop it was run on: undoes face-api's
// centred padding (|w-h|/2), scales by the square side, adds the crop origin.
Landmarks68 LandmarksToImage(const std::array<float, 136>& out, const cv::Rect& crop);

// face-api's alignment box: d = mean distance eye centre to mouth centre,
// size = floor(d/0.45), x = floor(max(0, ref.x - 0.5 size)),
// y = floor(max(0, ref.y - 0.43 size)), ref = mean of the three centres.
cv::Rect2f FaceApiAlignBox(const Landmarks68& landmarks);

// face-api's chip: crop of FaceApiAlignBox clipped to the image, padded to a
// square (centred), TF-resized to 150x150. `rgbf` is CV_32FC3 0..255.
cv::Mat FaceApiChip(const cv::Mat& rgbf, const Landmarks68& landmarks);

// The point sets dlib's get_face_chip_details aligns to.
enum class ChipTemplate {
  kFivePoint,   // shape_predictor_5 points (eye corners 45,42,36,39 and nose 33)
  kMeanFace68,  // mean face points 27..54 and 60..64 (no brows, no lower lip)
};

// Template points in chip pixels paired with the 68-landmark index each matches:
// (padding + mean) / (2 padding + 1) * size, as dlib computes them.
std::vector<std::pair<int, cv::Point2d>> ChipTemplatePoints(ChipTemplate kind, int size,
                                                            double padding);

// Least-squares similarity transform (rotation, uniform scale, translation, no
// reflection) taking `from` onto `to` (Umeyama's closed form in 2-D).
// Returns the 2x3 CV_64F matrix.
cv::Mat FitSimilarity(const std::vector<cv::Point2d>& from, const std::vector<cv::Point2d>& to);

// dlib's chip geometry: the 2x3 CV_64F affine map from chip pixels to image
// pixels that extract_image_chip(get_face_chip_details(shape, size, padding))
// samples with (rect centred on T(size/2), corners mapped to pixel centres).
cv::Mat SimilarityChipToImage(const Landmarks68& landmarks, ChipTemplate kind, int size,
                              double padding);

// dlib-style aligned chip: bilinear samples of `rgbf` (CV_32FC3) through
// SimilarityChipToImage, zeros outside the image; halves the image first
// (Gaussian pyramid) while the chip would shrink the face more than 2x.
cv::Mat SimilarityChip(const cv::Mat& rgbf, const Landmarks68& landmarks, ChipTemplate kind,
                       int size = kChipSize, double padding = kChipPadding);

// Bilinear samples of `rgbf` (CV_32FC3) at chip_to_image(u, v) for every chip pixel, with
// exact weights; black where the 2x2 neighbourhood leaves the image. Halves the image first
// (Gaussian pyramid) while the map would shrink it more than 2x, as dlib does.
cv::Mat SampleChip(const cv::Mat& rgbf, cv::Mat chip_to_image, int size);

// The feature net's chip (nn::FeatureNet): 112x112, five points (eye centres = mean of
// 36..41 and 42..47, nose tip 30, mouth corners 48 and 54) mapped by the least-squares
// similarity onto the ArcFace reference points kFivePointReference.
inline constexpr int kFeatureChipSize = 112;
inline constexpr double kFivePointReference[5][2] = {{38.2946, 51.6963}, {73.5318, 51.5014},
                                                     {56.0252, 71.7366}, {41.5493, 92.3655},
                                                     {70.7299, 92.2041}};
// The five points of a face, in kFivePointReference's order.
std::vector<cv::Point2d> FivePoints(const Landmarks68& landmarks);
// The 2x3 CV_64F map from chip pixels to image pixels: the inverse of the fit image -> chip.
cv::Mat FivePointChipToImage(const Landmarks68& landmarks);
cv::Mat FivePointChip(const cv::Mat& rgbf, const Landmarks68& landmarks);

}  // namespace facegate::vision
