// Reads what an encoded image says about itself (format, size, EXIF
// orientation) without decoding pixels, so oversized or broken uploads are
// refused before any memory is spent on them.
#pragma once

#include <facegate/status.h>

#include <cstdint>
#include <opencv2/core.hpp>
#include <string_view>

namespace facegate::vision {

enum class ImageFormat { kJpeg, kPng };

struct ImageHeader {
  ImageFormat format = ImageFormat::kJpeg;
  int64_t width = 0;
  int64_t height = 0;
  int orientation = 1;    // EXIF orientation 1..8 (1: as stored)
  bool complete = false;  // the stream has its end marker (JPEG EOI, PNG IEND)
};

// Parses the JPEG markers up to the first scan (SOF size, APP1 EXIF orientation)
// or the PNG chunks (IHDR size, eXIf orientation, IEND). kInvalidInput when the
// bytes are not a JPEG or PNG or the header is cut short or malformed.
Result<ImageHeader> ReadImageHeader(std::string_view bytes);

// Orientation tag (0x0112) of a TIFF/EXIF block that starts at its byte-order
// mark ("II" or "MM"); 1 when absent or malformed.
int ExifOrientation(std::string_view tiff);

// Turns an image stored with EXIF `orientation` into its upright view (the
// transform that viewers apply).
cv::Mat ApplyOrientation(const cv::Mat& image, int orientation);

}  // namespace facegate::vision
