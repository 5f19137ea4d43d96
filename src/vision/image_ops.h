// Pixel operations the face-api nets were trained and published with: TF
// bilinear resize, zero padding to a square, crops. Reproducing them exactly
// keeps our outputs equal to the reference (MODELS.md "Image handling").
#pragma once

#include <opencv2/core.hpp>

namespace facegate::vision {

// 8-bit (or float) RGB to CV_32FC3 with values 0..255.
cv::Mat ToFloatRgb(const cv::Mat& rgb);

// tf.image.resizeBilinear with align_corners=false, half_pixel_centers=false:
// src = dst * in/out, no half-pixel offset (cv::resize is not equivalent).
// Input and output CV_32FC3 (any channel count of CV_32F works).
cv::Mat ResizeBilinearTf(const cv::Mat& src, int out_width, int out_height);

// The same resize of `src` (CV_8UC3 or CV_32FC3) as if it were first padded
// with zeros at the right and bottom to a `side` x `side` square (side >= its
// width and height), to `out` x `out` float RGB: equal to PadToSquare
// (kBottomRight) then ResizeBilinearTf, without building the padded copy.
cv::Mat ResizeBilinearTfPaddedSquare(const cv::Mat& src, int side, int out);

// Where padToSquare puts the padding (zeros).
enum class PadPlacement {
  kCentred,      // face-api's centred form: round(diff/2) after, the rest before
  kBottomRight,  // the SSD's form: all of it after (right or bottom)
};

struct PaddedSquare {
  cv::Mat image;     // square, side = max(width, height)
  int offset_x = 0;  // where the source's top-left corner lies in `image`
  int offset_y = 0;
};

// face-api's padToSquare on a float image.
PaddedSquare PadToSquare(const cv::Mat& src, PadPlacement placement);

// Integer crop of `box` after flooring its x, y, width, height and clipping it
// at the image borders (face-api's Box.floor + clipAtImageBorders). Returns an
// empty Mat when nothing of the box lies inside the image. `used` receives the
// clipped rectangle.
cv::Mat CropClipped(const cv::Mat& image, const cv::Rect2f& box, cv::Rect* used = nullptr);

}  // namespace facegate::vision
