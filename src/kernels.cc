// Compiles kernels-inl.h for every Highway target, exports the dispatch
// tables, and owns target naming and forcing (it needs this TU's HWY_TARGETS,
// the set of targets the kernels were compiled for).
#include "src/kernels.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {

void CorrPlaneTile(const detail::PlaneTile& tile) { CorrPlane(tile); }
bool CorrPlaneTileMaskedColumns(const detail::PlaneTile& tile,
                                const detail::PlaneColumnPadding& columns) {
  return CorrPlaneColumnsMasked(tile, columns);
}
bool CompiledPlaneMasksColumns(int64_t kernel_height, int64_t kernel_width,
                               int64_t pad_left, int64_t pad_right) {
  return MasksPlaneColumns(kernel_height, kernel_width, pad_left, pad_right);
}
void ForwardNchwTile(const detail::NchwTile& tile) { ForwardNchw(tile); }
void ForwardPackedTile(const detail::PackedTile& tile) { ForwardPacked(tile); }
void TransposeBlocks(const float* src, int64_t src_stride, int64_t count,
                     int64_t width, const float* src_end, float* dst,
                     int64_t dst_stride) {
  TransposeWithin(src, src_stride, count, width, src_end, dst, dst_stride);
}

bool TransposeBlocksToRows(const float* src, int64_t src_stride, int64_t count,
                           int64_t width, float* const* dst_rows,
                           bool check_finite) {
  return TransposeToRows(src, src_stride, count, width, dst_rows, check_finite);
}

int64_t CompiledTarget() { return HWY_TARGET; }
bool CompiledPackedKernelIsWide() { return kPackedVectors == 4; }

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace xcorr {
namespace {

HWY_EXPORT(CorrPlaneTile);
HWY_EXPORT(CorrPlaneTileMaskedColumns);
HWY_EXPORT(CompiledPlaneMasksColumns);
HWY_EXPORT(ForwardNchwTile);
HWY_EXPORT(ForwardPackedTile);
HWY_EXPORT(TransposeBlocks);
HWY_EXPORT(TransposeBlocksToRows);
HWY_EXPORT(CompiledTarget);
HWY_EXPORT(CompiledPackedKernelIsWide);

bool SameName(const char* a, const char* b) {
  for (; *a != '\0' && *b != '\0'; ++a, ++b) {
    if ((*a | 0x20) != (*b | 0x20)) return false;
  }
  return *a == *b;
}

// The fallback target is SCALAR with GCC 12.2 and EMU128 with Clang; accept
// either name for whichever this build has.
bool NamesTarget(const char* name, int64_t target) {
  const bool is_fallback = target == HWY_SCALAR || target == HWY_EMU128;
  return SameName(name, hwy::TargetName(target)) ||
         (is_fallback &&
          (SameName(name, "SCALAR") || SameName(name, "EMU128")));
}

// Serializes xcorr_force_target; Highway's target masks are plain globals.
std::mutex& TargetMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

namespace detail {

void CorrPlaneTile(const PlaneTile& tile) {
  HWY_DYNAMIC_DISPATCH(CorrPlaneTile)(tile);
}

bool CorrPlaneMaskedColumns(const PlaneTile& tile,
                            const PlaneColumnPadding& columns) {
  return HWY_DYNAMIC_DISPATCH(CorrPlaneTileMaskedColumns)(tile, columns);
}

bool PlaneMasksColumns(int64_t kernel_height, int64_t kernel_width,
                       int64_t pad_left, int64_t pad_right) {
  return HWY_DYNAMIC_DISPATCH(CompiledPlaneMasksColumns)(
      kernel_height, kernel_width, pad_left, pad_right);
}

void ForwardNchwTile(const NchwTile& tile) {
  HWY_DYNAMIC_DISPATCH(ForwardNchwTile)(tile);
}

void ForwardPackedTile(const PackedTile& tile) {
  HWY_DYNAMIC_DISPATCH(ForwardPackedTile)(tile);
}

void TransposeWithin(const float* src, int64_t src_stride, int64_t count,
                     int64_t width, const float* src_end, float* dst,
                     int64_t dst_stride) {
  HWY_DYNAMIC_DISPATCH(TransposeBlocks)
  (src, src_stride, count, width, src_end, dst, dst_stride);
}

void Transpose(const float* src, int64_t src_stride, int64_t count,
               int64_t width, float* dst, int64_t dst_stride) {
  TransposeWithin(src, src_stride, count, width,
                  TransposedEnd(src, src_stride, count, width), dst,
                  dst_stride);
}

bool TransposeToRows(const float* src, int64_t src_stride, int64_t count,
                     int64_t width, float* const* dst_rows, bool check_finite) {
  return HWY_DYNAMIC_DISPATCH(TransposeBlocksToRows)(
      src, src_stride, count, width, dst_rows, check_finite);
}

int64_t DispatchedTarget() { return HWY_DYNAMIC_DISPATCH(CompiledTarget)(); }

bool PackedKernelIsWide() {
  return HWY_DYNAMIC_DISPATCH(CompiledPackedKernelIsWide)();
}

Status ForceTarget(const char* name) {
  std::lock_guard<std::mutex> lock(TargetMutex());
  // The target forced now, 0 for none; kept to restore it on failure, since
  // listing the available targets needs the mask lifted.
  static int64_t forced = 0;
  hwy::DisableTargets(0);
  const int64_t available = hwy::SupportedTargets() & HWY_TARGETS;
  int64_t chosen = 0;
  for (int64_t rest = available; rest != 0 && name != nullptr;
       rest &= rest - 1) {
    if (NamesTarget(name, rest & -rest)) chosen = rest & -rest;
  }
  if (name == nullptr || chosen != 0) forced = chosen;
  // Lower bits are better targets: masking them all leaves `forced` the best.
  if (forced != 0) hwy::DisableTargets(forced - 1);
  if (name == nullptr || chosen != 0) return Status();
  std::string names;
  for (int64_t rest = available; rest != 0; rest &= rest - 1) {
    names +=
        std::string(names.empty() ? "" : ", ") + hwy::TargetName(rest & -rest);
  }
  return Unsupported("target \"", name,
                     "\" is unknown or not supported here; available: ", names);
}

void ApplyTargetFromEnvironment() {
  static const bool applied = [] {
    const char* name = std::getenv("XCORR_TARGET");
    if (name == nullptr || *name == '\0') return true;
    const Status status = ForceTarget(name);
    if (!status.ok()) {
      std::fprintf(stderr, "xcorr: ignoring XCORR_TARGET: %s\n",
                   status.message().c_str());
    }
    return true;
  }();
  (void)applied;
}

}  // namespace detail
}  // namespace xcorr
#endif  // HWY_ONCE
