//===- ByteMutate.cpp - LLVMFuzzerMutate without libFuzzer ----------------===//
//
// Builds without libFuzzer (the replay main, hmoe-mutator-stats) link the
// custom mutator, which falls back to libFuzzer's byte mutator a quarter of
// the time. This stands in for it: one byte changed, inserted or erased.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize) {
  static std::mt19937 rng(1);
  if (size == 0 || maxSize == 0)
    return size;
  size_t at = rng() % size;
  switch (rng() % 3) {
  case 0:
    data[at] = static_cast<uint8_t>(rng());
    return size;
  case 1:
    if (size == maxSize)
      return size;
    std::memmove(data + at + 1, data + at, size - at);
    data[at] = static_cast<uint8_t>(rng());
    return size + 1;
  default:
    std::memmove(data + at, data + at + 1, size - at - 1);
    return size - 1;
  }
}
