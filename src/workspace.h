// Workspaces: callers may pass any address, so the floats kept there start at
// the next 64-byte boundary (a cache line, and the widest vector).
#ifndef XCORR_SRC_WORKSPACE_H_
#define XCORR_SRC_WORKSPACE_H_

#include <cstddef>
#include <cstdint>

namespace xcorr {
namespace detail {

constexpr size_t kWorkspaceAlignment = 64;

// The first 64-byte-aligned float of `workspace`.
inline float* AlignedWorkspace(void* workspace) {
  const auto address = reinterpret_cast<uintptr_t>(workspace);
  return reinterpret_cast<float*>((address + kWorkspaceAlignment - 1) &
                                  ~uintptr_t{kWorkspaceAlignment - 1});
}

// The workspace bytes that hold `floats` aligned floats; SIZE_MAX when that
// overflows (the allocation then fails as out of memory).
inline size_t WorkspaceBytes(int64_t floats) {
  int64_t bytes = 0;
  if (__builtin_mul_overflow(floats, int64_t{sizeof(float)}, &bytes) ||
      __builtin_add_overflow(bytes, int64_t{kWorkspaceAlignment}, &bytes)) {
    return SIZE_MAX;
  }
  return static_cast<size_t>(bytes);
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_WORKSPACE_H_
