// Bounded max-heap keeping the k smallest (squared distance, id) pairs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace facegate::gallery {

class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) { heap_.reserve(k); }

  // Keeps (d2, id) if it is among the k smallest so far; ties go to the lower id.
  void Push(float d2, int64_t id) {
    if (heap_.size() < k_) {
      heap_.emplace_back(d2, id);
      std::push_heap(heap_.begin(), heap_.end());
      return;
    }
    if (std::pair(d2, id) >= heap_.front()) return;
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.back() = {d2, id};
    std::push_heap(heap_.begin(), heap_.end());
  }

  // The kept pairs, nearest first; the heap is consumed.
  std::vector<std::pair<float, int64_t>> Sorted() {
    std::sort_heap(heap_.begin(), heap_.end());
    return std::move(heap_);
  }

 private:
  std::size_t k_;
  std::vector<std::pair<float, int64_t>> heap_;
};

}  // namespace facegate::gallery
