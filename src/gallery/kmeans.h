// k-means for the IVF coarse quantiser, on the same distance kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace facegate::gallery {

// Index of the centroid nearest to v among `lists` centroids (lists * kDim floats).
uint32_t NearestCentroid(const float* v, const float* centroids, std::size_t lists);

// out[i] = NearestCentroid(points + i * kDim), split over `threads` threads.
void AssignNearest(const float* points, std::size_t n, const float* centroids, std::size_t lists,
                   uint32_t* out, int threads);

// Lloyd's k-means: `lists` centroids (lists * kDim floats) from n >= lists
// points, initialised from a random sample; an emptied cluster is reseeded
// with a random point.
std::vector<float> TrainKMeans(const float* points, std::size_t n, std::size_t lists,
                               int iterations, int threads, uint64_t seed);

}  // namespace facegate::gallery
