// Deterministic pseudo-random numbers (splitmix64), the same on every
// platform: Conv2D's weight init, and the data of tests and benchmarks.
#ifndef XCORR_SRC_RANDOM_H_
#define XCORR_SRC_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xcorr {
namespace detail {

// The next 64 random bits of the stream `*state`.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// `count` floats uniform in [-1, 1), each exactly representable (24 bits).
inline std::vector<float> RandomVector(int64_t count, uint64_t seed) {
  std::vector<float> values(static_cast<size_t>(count));
  uint64_t state = seed;
  for (float& value : values) {
    value = static_cast<float>(
        static_cast<double>(SplitMix64(&state) >> 40) * 0x1.0p-23 - 1.0);
  }
  return values;
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_RANDOM_H_
