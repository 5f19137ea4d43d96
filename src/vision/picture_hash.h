// A picture's difference hash, to tell the same picture sent again (re-encoded, rescaled,
// mirrored) from another one without keeping anything of a face (REQ AN1, AN2): the signs of the
// horizontal brightness steps of the face box shrunk to 17x16 grey pixels, 256 bits as 64 hex
// digits. No face can be drawn back from it and it is no template. Measured on facedata/lfw
// (tests/unit/vision/picture_hash_test.cpp, docs/statistics.md "Repeats"): a resend always
// matches, light re-encodings nearly always, rescaled and mirrored copies only in part (the box
// moves); different people never.
#pragma once

#include <opencv2/core.hpp>

#include <string>

namespace facegate::vision {

// Bits of 256 at or under which two hashes are the same picture.
inline constexpr int kSamePictureBits = 40;

// The hash of `box` in an 8-bit RGB image, mirrored left-right when asked; "" for a box
// smaller than 4x4 pixels inside the image.
std::string PictureHash(const cv::Mat& rgb, const cv::Rect2f& box, bool mirror = false);
// Differing bits of two hashes; a large number when either is empty or they differ in length.
int PictureHashDistance(const std::string& a, const std::string& b);

}  // namespace facegate::vision
