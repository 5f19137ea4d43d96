#include "gallery/distance.h"

#include <atomic>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FG_GALLERY_X86 1
#endif

namespace facegate::gallery {
namespace {

// Eight independent partial sums so the compiler can keep them in one vector
// register with baseline flags (no -ffast-math needed).
float PortableOne(const float* a, const float* b) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < kDim; i += 8) {
    for (int j = 0; j < 8; ++j) {
      float d = a[i + j] - b[i + j];
      acc[j] += d * d;
    }
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void PortableMany(const float* q, const float* base, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = PortableOne(q, base + i * kDim);
}

void PortableCodes(const uint8_t* q, const uint8_t* codes, std::size_t n, int32_t* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const uint8_t* c = codes + i * kDim;
    int32_t s = 0;
    for (int d = 0; d < kDim; ++d) {
      const int32_t diff = int32_t(q[d]) - int32_t(c[d]);
      s += diff * diff;
    }
    out[i] = s;
  }
}

#ifdef FG_GALLERY_X86
// 16 dimensions per step: widen to int16, subtract, square-and-pair-add into
// int32 (vpmaddwd); sums stay below 2^31 (128 * 255^2).
__attribute__((target("avx2,fma"))) void Avx2Codes(const uint8_t* q, const uint8_t* codes,
                                                   std::size_t n, int32_t* out) {
  __m256i qv[kDim / 16];
  for (int j = 0; j < kDim / 16; ++j)
    qv[j] = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * j)));
  std::size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const uint8_t* c0 = codes + i * kDim;
    const uint8_t* c1 = c0 + kDim;
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    for (int j = 0; j < kDim / 16; ++j) {
      __m256i d0 = _mm256_sub_epi16(
          qv[j], _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c0 + 16 * j))));
      __m256i d1 = _mm256_sub_epi16(
          qv[j], _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c1 + 16 * j))));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(d0, d0));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(d1, d1));
    }
    __m256i h = _mm256_hadd_epi32(a0, a1);  // per lane: a0 a0 a1 a1
    h = _mm256_hadd_epi32(h, h);            // per lane: a0 a1 a0 a1
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    out[i] = _mm_cvtsi128_si32(s);
    out[i + 1] = _mm_extract_epi32(s, 1);
  }
  if (i < n) PortableCodes(q, codes + i * kDim, n - i, out + i);
}

__attribute__((target("avx2,fma"))) inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float Avx2One(const float* a, const float* b) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (int i = 0; i < kDim; i += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  return HorizontalSum(_mm256_add_ps(acc0, acc1));
}

// Four base vectors per pass: each query chunk is loaded once and feeds four
// independent FMA chains; the four sums are reduced together at the end.
__attribute__((target("avx2,fma"))) void Avx2Many(const float* q, const float* base,
                                                  std::size_t n, float* out) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* b0 = base + i * kDim;
    const float* b1 = b0 + kDim;
    const float* b2 = b1 + kDim;
    const float* b3 = b2 + kDim;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int j = 0; j < kDim; j += 8) {
      __m256 qv = _mm256_loadu_ps(q + j);
      __m256 d0 = _mm256_sub_ps(qv, _mm256_loadu_ps(b0 + j));
      __m256 d1 = _mm256_sub_ps(qv, _mm256_loadu_ps(b1 + j));
      __m256 d2 = _mm256_sub_ps(qv, _mm256_loadu_ps(b2 + j));
      __m256 d3 = _mm256_sub_ps(qv, _mm256_loadu_ps(b3 + j));
      a0 = _mm256_fmadd_ps(d0, d0, a0);
      a1 = _mm256_fmadd_ps(d1, d1, a1);
      a2 = _mm256_fmadd_ps(d2, d2, a2);
      a3 = _mm256_fmadd_ps(d3, d3, a3);
    }
    // Reduce four registers into one 128-bit vector of four sums.
    __m256 h01 = _mm256_hadd_ps(a0, a1);  // a0 a0 a1 a1 | a0 a0 a1 a1 (pairs)
    __m256 h23 = _mm256_hadd_ps(a2, a3);
    __m256 h = _mm256_hadd_ps(h01, h23);  // a0 a1 a2 a3 | a0 a1 a2 a3 (partial)
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    _mm_storeu_ps(out + i, s);
  }
  for (; i < n; ++i) out[i] = Avx2One(q, base + i * kDim);
}

bool CpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

std::atomic<bool> g_force_portable{false};

bool UseAvx2() {
#ifdef FG_GALLERY_X86
  static const bool has = CpuHasAvx2Fma();
  return has && !g_force_portable.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

}  // namespace

void SquaredDistances(const float* q, const float* base, std::size_t n, float* out) {
#ifdef FG_GALLERY_X86
  if (UseAvx2()) return Avx2Many(q, base, n, out);
#endif
  PortableMany(q, base, n, out);
}

void CodeDistances(const uint8_t* q, const uint8_t* codes, std::size_t n, int32_t* out) {
#ifdef FG_GALLERY_X86
  if (UseAvx2()) return Avx2Codes(q, codes, n, out);
#endif
  PortableCodes(q, codes, n, out);
}

float SquaredDistance(const float* a, const float* b) {
#ifdef FG_GALLERY_X86
  if (UseAvx2()) return Avx2One(a, b);
#endif
  return PortableOne(a, b);
}

const char* KernelName() { return UseAvx2() ? "avx2+fma" : "portable"; }

bool ForcePortableKernel(bool on) { return g_force_portable.exchange(on); }

}  // namespace facegate::gallery
