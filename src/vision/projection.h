// From the feature net's 512 values to the 128-D template: L2-normalise, subtract the mean,
// project on the first 128 principal axes, L2-normalise again. The axes come from UTKFace
// crops, never from the LFW photos the accuracy is measured on (bench/fit_projection.cpp,
// docs/vision.md): identification accuracy is unchanged by it (96.8/97.0 against 96.8/97.5
// with all 512) while every template, index and benchmark keeps 128 floats.
#pragma once

#include <facegate/template.h>

#include <array>

#include "nn/nets.h"

namespace facegate::vision {

// The basis, generated at build time by scripts/embed-data.py from data/projection.json and
// data/projection_*.f32 (written by bench/fit_projection --emit; data/README.md).
namespace projection_data {
extern const float kMean[nn::kFeatureDim];
extern const float kAxes[kTemplateDim][nn::kFeatureDim];
extern const char kSource[];  // what the axes were fitted on, for docs and model ids
}  // namespace projection_data

// The template values of a feature vector (unit length; finite for any finite input).
std::array<float, kTemplateDim> ProjectFeature(const std::array<float, nn::kFeatureDim>& feature);

}  // namespace facegate::vision
