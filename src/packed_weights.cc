// Packing w into the packed-weights kernel's rows, per call or once.
#include "src/packed_weights.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "src/int_math.h"
#include "src/kernels.h"
#include "src/threading.h"
#include "src/workspace.h"

namespace xcorr {
namespace detail {
namespace {

// Rows of packed weights per packing task: a few tasks for the largest
// shapes' megabytes of weights, one for small ones.
constexpr int64_t kPackTaskRows = 256;

// Rows [first, first + count) of w's reduction order (u, v, c for OHWI; c,
// u, v for OIHW) of group g, into their rows of the packed weights (u, v, c),
// panel by panel of kPackedLanes output channels, by register-block
// transposes straight into those rows. Each output channel's weights are
// contiguous in w, so blocks of output channels read whole cache lines of w,
// in order. Returns false where check_finite finds a weight that is not
// finite.
bool PackWeightRows(const Plan& plan, const float* w, float* packed, int64_t g,
                    int64_t first, int64_t count, bool check_finite) {
  const ConvShape& s = plan.shape;
  const int64_t out_per_group = s.out_channels_per_group;
  const int64_t in_per_group = s.in_channels_per_group;
  const int64_t taps = s.desc.kernel_height * s.desc.kernel_width;
  const int64_t group_rows = taps * in_per_group;
  float* group_packed = packed + g * group_rows * plan.packed_channels;
  // The rows of panel 0; panel q's lie q * group_rows * kPackedLanes on.
  float* rows[kPackTaskRows];
  for (int64_t k = 0; k < count; ++k) {
    const int64_t r = first + k;
    const int64_t row =
        s.w_strides.c == 1 ? r : r % taps * in_per_group + r / taps;
    rows[k] = group_packed + PackedIndex(group_rows, row, 0);
  }
  bool finite = true;
  for (int64_t o = 0;; o += kPackedLanes) {
    const int64_t channels = std::min(kPackedLanes, out_per_group - o);
    finite =
        TransposeToRows(w + (g * out_per_group + o) * s.w_strides.n + first,
                        s.w_strides.n, channels, count, rows, check_finite) &&
        finite;
    if (o + kPackedLanes >= out_per_group) {
      for (int64_t k = 0; k < count; ++k)
        std::fill(rows[k] + channels, rows[k] + kPackedLanes, 0.0f);
      return finite;
    }
    for (int64_t k = 0; k < count; ++k) rows[k] += group_rows * kPackedLanes;
  }
}

// What a buffer of packed weights starts with. Read and written by memcpy:
// the caller's buffer may have any alignment.
struct Header {
  char magic[8];
  uint64_t weights_id;   // WeightsId of the plan that packed them
  uint64_t data_offset;  // bytes from the buffer's start to the floats
  uint64_t kernel_rows;  // 1: the packed-weights kernel's rows; 0: w as given
};
constexpr char kMagic[8] = {'x', 'c', 'o', 'r', 'r', 'P', 'W', '2'};
// The header's room; the floats start at the next 64-byte boundary after it.
constexpr size_t kHeaderBytes = 64;
static_assert(sizeof(Header) <= kHeaderBytes, "the header outgrew its room");

// Identifies the weights' shape and the packed rows' width (FNV-1a), so that
// every plan of the same weights (any batch or image size) reads them.
uint64_t WeightsId(const Plan& plan) {
  const xcorr_conv2d_desc& d = plan.shape.desc;
  const int64_t fields[] = {
      d.out_channels,      d.in_channels,  d.groups,
      d.kernel_height,     d.kernel_width, int64_t{d.layout},
      plan.packed_channels};
  uint64_t hash = 14695981039346656037ull;
  for (int64_t field : fields) {
    for (int byte = 0; byte < 8; ++byte) {
      hash ^= (static_cast<uint64_t>(field) >> (8 * byte)) & 0xff;
      hash *= 1099511628211ull;
    }
  }
  return hash;
}

// Whether this plan's forward reads packed kernel rows alone (depthwise
// tiles read w as given).
bool RunsPackedRows(const Plan& plan) {
  return plan.forward_algorithm == ForwardAlgorithm::kPackedWeights &&
         !plan.shape.degenerate && !plan.depthwise_kernel;
}

// The floats of the form that kernel_rows names: the packed rows, or w as
// given.
int64_t FormFloats(const Plan& plan, bool kernel_rows) {
  return kernel_rows ? plan.packed_floats : plan.shape.w_elements;
}

}  // namespace

// Tasks of up to kPackTaskRows rows per group write disjoint rows, in
// parallel like the tiles.
bool PackWeights(const Plan& plan, const float* w, float* packed,
                 bool check_finite) {
  const ConvShape& s = plan.shape;
  const int64_t rows =
      s.desc.kernel_height * s.desc.kernel_width * s.in_channels_per_group;
  const int64_t tasks = CeilDiv(rows, kPackTaskRows);
  std::atomic<bool> finite{true};
  ForEachTile(s.desc.groups * tasks, plan.serial, [&](int64_t task) {
    const int64_t first = task % tasks * kPackTaskRows;
    if (!PackWeightRows(plan, w, packed, task / tasks, first,
                        std::min(kPackTaskRows, rows - first), check_finite)) {
      finite.store(false, std::memory_order_relaxed);
    }
  });
  return finite.load(std::memory_order_relaxed);
}

size_t PackedWeightsBytes(const Plan& plan) {
  const size_t data = WorkspaceBytes(FormFloats(plan, RunsPackedRows(plan)));
  return data > SIZE_MAX - kHeaderBytes ? SIZE_MAX : kHeaderBytes + data;
}

void WritePackedWeights(const Plan& plan, const float* w, void* packed) {
  auto* bytes = static_cast<unsigned char*>(packed);
  float* floats = AlignedWorkspace(bytes + kHeaderBytes);
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.weights_id = WeightsId(plan);
  header.data_offset =
      static_cast<uint64_t>(reinterpret_cast<unsigned char*>(floats) - bytes);
  header.kernel_rows = RunsPackedRows(plan) &&
                       PackWeights(plan, w, floats, /*check_finite=*/true);
  if (header.kernel_rows == 0) std::copy(w, w + plan.shape.w_elements, floats);
  std::memcpy(bytes, &header, sizeof(header));
}

Status ReadPackedWeights(const Plan& plan, const void* packed,
                         PackedWeightsView* view) {
  const auto* bytes = static_cast<const unsigned char*>(packed);
  Header header;
  std::memcpy(&header, bytes, sizeof(header));
  if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0 ||
      header.data_offset < kHeaderBytes ||
      header.data_offset >= kHeaderBytes + kWorkspaceAlignment ||
      header.kernel_rows > 1) {
    return InvalidArgument(
        "packed does not hold weights that xcorr_conv2d_pack_weights wrote");
  }
  if (header.weights_id != WeightsId(plan)) {
    return InvalidArgument(
        "packed holds weights of another shape or layout than this plan's");
  }
  if (header.kernel_rows == 1 && !RunsPackedRows(plan)) {
    return InvalidArgument(
        "packed holds the packed-weights kernel's rows, which this plan's "
        "kernel does not read; pack the weights with this plan");
  }
  const unsigned char* data = bytes + header.data_offset;
  if (reinterpret_cast<uintptr_t>(data) % alignof(float) != 0) {
    return InvalidArgument(
        "packed was copied to an address that misaligns its floats; pack the "
        "weights again there");
  }
  view->floats = reinterpret_cast<const float*>(data);
  view->kernel_rows = header.kernel_rows == 1;
  // Weights packed by a plan of another kernel may be as given, so shorter
  // than this plan's PackedWeightsBytes.
  const int64_t floats = FormFloats(plan, view->kernel_rows);
  view->bytes = floats > (INT64_MAX - 2 * int64_t{kHeaderBytes}) / 4
                    ? SIZE_MAX
                    : header.data_offset + 4 * static_cast<size_t>(floats);
  return Status();
}

}  // namespace detail
}  // namespace xcorr
