// Presentation-attack images made from a genuine photo, for measuring and testing liveness
// (docs/liveness.md; bench/liveness_eval.cpp, tests/unit/vision/liveness_test.cpp). They model
// what a camera sees when someone holds up a photo or a screen; they are not real attacks, and
// the figures measured on them say so.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>

namespace facegate::vision {

enum class SpoofKind {
  kPhotoInPhoto,  // the photo, with a white border and a thumb, tilted, held inside a scene
  kScreenMoire,   // the photo shown on a screen: moire of two pixel grids, glare, blue cast
  kFlatPrint,     // the photo printed: reduced dynamic range, paper texture, warm ink shift, blur
};
const char* ToString(SpoofKind kind);  // "photo_in_photo", "screen_moire", "flat_print"

// Makes a spoof of `face_photo` (CV_8UC3 RGB). `scene` (CV_8UC3 RGB, any photo) becomes the
// heavily blurred background of kPhotoInPhoto so its own faces cannot be detected; ignored by
// the other kinds. `seed` fixes every random choice: the same inputs give the same image.
cv::Mat MakeSpoof(SpoofKind kind, const cv::Mat& face_photo, const cv::Mat& scene, uint32_t seed);

}  // namespace facegate::vision
