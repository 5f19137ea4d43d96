// Squared Euclidean distance kernels over 128-D templates: AVX2+FMA when the
// CPU has it (checked once at run time), a portable loop otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace facegate::gallery {

inline constexpr int kDim = 128;

// out[i] = |q - base[i]|^2 for n vectors stored contiguously (n * kDim floats).
void SquaredDistances(const float* q, const float* base, std::size_t n, float* out);

// out[i] = sum_d (q[d] - codes[i*kDim + d])^2 over 8-bit codes (int8 scalar
// quantisation: the IVF scans these, then re-ranks with float distances).
void CodeDistances(const uint8_t* q, const uint8_t* codes, std::size_t n, int32_t* out);

// |a - b|^2 for one pair.
float SquaredDistance(const float* a, const float* b);

// Name of the kernel in use ("avx2+fma" or "portable"), for benchmarks and docs.
const char* KernelName();

// Force the portable kernel (tests compare both); returns the previous setting.
bool ForcePortableKernel(bool on);

}  // namespace facegate::gallery
