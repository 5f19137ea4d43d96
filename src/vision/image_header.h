// Reads what an encoded image says about itself (format, size, EXIF
// orientation) without decoding pixels, so oversized or broken uploads are
// refused before any memory is spent on them.
#pragma once

#include <facegate/status.h>

#include <cstdint>
#include <opencv2/core.hpp>
#include <string_view>

namespace facegate::vision {

// Chosen by the file's magic bytes, never by its name (a phone's ".jpg" may be WebP).
enum class ImageFormat { kJpeg, kPng, kWebp, kBmp };

struct ImageHeader {
  ImageFormat format = ImageFormat::kJpeg;
  int64_t width = 0;
  int64_t height = 0;
  int orientation = 1;    // EXIF orientation 1..8 (1: as stored)
  bool complete = false;  // the stream has its end (JPEG EOI, PNG IEND, WebP RIFF length,
                          // BMP pixel rows)
};

// Parses the JPEG markers up to the first scan (SOF size, APP1 EXIF orientation),
// the PNG chunks (IHDR size, eXIf orientation, IEND), the WebP RIFF chunks (VP8X
// canvas, VP8 / VP8L frame size, EXIF orientation) or the BMP file and DIB headers.
// kInvalidInput when the bytes are none of these four or the header is cut short
// or malformed (an animated WebP is refused: photos only).
Result<ImageHeader> ReadImageHeader(std::string_view bytes);

// Orientation tag (0x0112) of a TIFF/EXIF block that starts at its byte-order
// mark ("II" or "MM"); 1 when absent or malformed.
int ExifOrientation(std::string_view tiff);

// Turns an image stored with EXIF `orientation` into its upright view (the
// transform that viewers apply).
cv::Mat ApplyOrientation(const cv::Mat& image, int orientation);

}  // namespace facegate::vision
