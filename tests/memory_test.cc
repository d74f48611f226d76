// Allocation behaviour of the C API, observed through a replacement of the
// global operator new/delete that counts allocations and can fail them on
// demand: no allocation in forward/backward given a workspace, out of memory
// reported as XCORR_ERR_OUT_OF_MEMORY with nothing leaked, and plans that
// never allocate per element. Its own binary, since the replacement is
// process-wide. Only operator new is seen: TBB's task allocator and
// Highway's aligned allocator call malloc directly.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace {

// While counting: operator new calls (failed ones included), successful
// ones, their bytes, and operator delete calls.
std::atomic<bool> counting{false};
std::atomic<int64_t> calls{0}, news{0}, new_bytes{0}, deletes{0};
// The index (among counted allocations) of the first one to fail, or -1;
// with fail_forever every later one fails too.
std::atomic<int64_t> fail_at{-1};
std::atomic<bool> fail_forever{false};

void* Allocate(size_t size, size_t alignment) {
  if (counting.load(std::memory_order_relaxed)) {
    const int64_t index = calls.fetch_add(1);
    const int64_t first_failure = fail_at.load();
    if (first_failure >= 0 &&
        (index == first_failure ||
         (fail_forever.load() && index > first_failure))) {
      throw std::bad_alloc();
    }
    ++news;
    new_bytes += static_cast<int64_t>(size);
  }
  const size_t bytes = size == 0 ? 1 : size;
  void* pointer =
      alignment <= alignof(std::max_align_t)
          ? std::malloc(bytes)
          : std::aligned_alloc(alignment,
                               (bytes + alignment - 1) / alignment * alignment);
  if (pointer == nullptr) throw std::bad_alloc();
  return pointer;
}

void Free(void* pointer) {
  if (pointer != nullptr && counting.load(std::memory_order_relaxed)) ++deletes;
  std::free(pointer);
}

}  // namespace

void* operator new(size_t size) { return Allocate(size, 0); }
void* operator new[](size_t size) { return Allocate(size, 0); }
void* operator new(size_t size, std::align_val_t alignment) {
  return Allocate(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment) {
  return Allocate(size, static_cast<size_t>(alignment));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size, 0);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* pointer) noexcept { Free(pointer); }
void operator delete[](void* pointer) noexcept { Free(pointer); }
void operator delete(void* pointer, size_t) noexcept { Free(pointer); }
void operator delete[](void* pointer, size_t) noexcept { Free(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept {
  Free(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept {
  Free(pointer);
}
void operator delete(void* pointer, size_t, std::align_val_t) noexcept {
  Free(pointer);
}
void operator delete[](void* pointer, size_t, std::align_val_t) noexcept {
  Free(pointer);
}

namespace xcorr {
namespace {

// What happened to the heap during one Counted call.
struct Heap {
  int64_t calls, news, bytes, deletes;
};

// Runs call() with counting on, failing the allocation with index
// `first_failure` (and every later one if `forever`), -1 for none.
template <typename Call>
Heap Counted(const Call& call, int64_t first_failure = -1,
             bool forever = false) {
  calls = news = new_bytes = deletes = 0;
  fail_at = first_failure;
  fail_forever = forever;
  counting = true;
  call();
  counting = false;
  fail_at = -1;
  return {calls.load(), news.load(), new_bytes.load(), deletes.load()};
}

xcorr_conv2d_desc SmallDesc() { return test::Desc(1, 2, 3, 7, 19, 3, 3); }

// Shapes that run serially (below the plan's parallel threshold) on the
// different forward paths, and one split into parallel tiles.
std::vector<xcorr_conv2d_desc> Shapes() {
  xcorr_conv2d_desc padded = SmallDesc();
  padded.pad_top = padded.pad_right = 1;
  padded.stride_height = 2;
  padded.layout = XCORR_LAYOUT_NHWC;
  xcorr_conv2d_desc parallel = SmallDesc();
  parallel.batch = 2;
  parallel.in_height = parallel.in_width = 96;
  return {SmallDesc(), padded, parallel};
}

// A plan and buffers for one shape.
struct Problem {
  explicit Problem(const xcorr_conv2d_desc& d)
      : desc(d), shape(test::ShapeOf(d)) {
    EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
        << xcorr_last_error();
    x = test::RandomVector(shape.x_elements, 1);
    w = test::RandomVector(shape.w_elements, 2);
    bias = test::RandomVector(desc.out_channels, 3);
    dy = test::RandomVector(shape.y_elements, 4);
    y.resize(dy.size());
    dx.resize(x.size());
    dw.resize(w.size());
    dbias.resize(bias.size());
    // One spare byte, so that a zero-sized workspace is still non-NULL.
    workspace.resize(xcorr_plan_workspace_size(plan) + 1);
  }
  ~Problem() { xcorr_plan_destroy(plan); }
  xcorr_status Forward(void* scratch) {
    return xcorr_conv2d_forward(plan, x.data(), w.data(), bias.data(), y.data(),
                                scratch);
  }
  xcorr_status Backward(void* scratch) {
    return xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(), dx.data(),
                                 dw.data(), dbias.data(), scratch);
  }
  xcorr_conv2d_desc desc;
  detail::ConvShape shape;
  xcorr_plan* plan = nullptr;
  std::vector<float> x, w, bias, dy, y, dx, dw, dbias;
  std::vector<unsigned char> workspace;
};

TEST(MemoryTest, ForwardWithWorkspaceDoesNotAllocate) {
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    Problem p(desc);
    ASSERT_EQ(XCORR_OK,
              p.Forward(p.workspace.data()));  // first-call initialization
    xcorr_status status = XCORR_ERR_INTERNAL;
    const Heap heap = Counted([&] { status = p.Forward(p.workspace.data()); });
    EXPECT_EQ(XCORR_OK, status) << xcorr_last_error();
    EXPECT_EQ(0, heap.news) << heap.bytes << " bytes, " << test::Describe(desc);
  }
}

// Backward's dw/dbias partials live in the workspace; its staging buffers are
// per thread and kept, so only the first tile a thread runs may allocate.
// One thread makes that thread the caller, warmed by the first call (with
// more, which worker runs which tile varies from call to call).
TEST(MemoryTest, BackwardWithWorkspaceDoesNotAllocate) {
  ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(1));
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    Problem p(desc);
    ASSERT_EQ(XCORR_OK, p.Backward(p.workspace.data()));
    xcorr_status status = XCORR_ERR_INTERNAL;
    const Heap heap = Counted([&] { status = p.Backward(p.workspace.data()); });
    EXPECT_EQ(XCORR_OK, status) << xcorr_last_error();
    EXPECT_EQ(0, heap.news) << heap.bytes << " bytes, " << test::Describe(desc);
  }
  EXPECT_EQ(XCORR_OK, xcorr_set_num_threads(0));
}

// Fails each allocation of call() in turn, until call() needs no more: every
// failure must be XCORR_ERR_OUT_OF_MEMORY with the function's message, and
// free whatever it had allocated.
template <typename Call, typename Cleanup>
void FailEachAllocation(const char* function, const Call& call,
                        const Cleanup& cleanup) {
  for (int64_t index = 0;; ++index) {
    xcorr_status status = XCORR_OK;
    const Heap heap = Counted(
        [&] {
          status = call();
          cleanup(status);
        },
        index);
    if (status == XCORR_OK) {
      EXPECT_LE(heap.calls, index) << function << " succeeded, yet allocation "
                                   << index << " was to fail";
      return;
    }
    EXPECT_EQ(XCORR_ERR_OUT_OF_MEMORY, status)
        << function << ", allocation " << index;
    EXPECT_EQ(std::string(function) + ": out of memory", xcorr_last_error());
    EXPECT_EQ(heap.news, heap.deletes)
        << function << " leaked after allocation " << index << " failed";
    if (index > 1000) FAIL() << function << " keeps allocating";
  }
}

TEST(MemoryTest, OutOfMemoryIsAStatusAndLeaksNothing) {
  const xcorr_conv2d_desc desc = SmallDesc();
  xcorr_plan* plan = nullptr;
  FailEachAllocation(
      "xcorr_conv2d_plan_create",
      [&] { return xcorr_conv2d_plan_create(&desc, &plan); },
      [&](xcorr_status status) {
        if (status != XCORR_OK) {
          EXPECT_EQ(nullptr, plan);
        }
        xcorr_plan_destroy(plan);
      });
  for (const xcorr_conv2d_desc& shape : Shapes()) {
    Problem p(shape);
    ASSERT_EQ(XCORR_OK, p.Forward(nullptr));
    ASSERT_EQ(XCORR_OK, p.Backward(nullptr));
    const auto nothing = [](xcorr_status) {};
    FailEachAllocation(
        "xcorr_conv2d_forward", [&] { return p.Forward(nullptr); }, nothing);
    FailEachAllocation(
        "xcorr_conv2d_backward", [&] { return p.Backward(nullptr); }, nothing);
  }
}

// Even when every allocation fails, the message is complete: recording it
// allocates nothing. Runs in a fresh thread, whose last error is empty.
TEST(MemoryTest, OutOfMemoryEverywhereStillSaysSo) {
  const xcorr_conv2d_desc desc = SmallDesc();
  xcorr_plan* plan = nullptr;
  xcorr_status status = XCORR_OK;
  bool threw = false;
  std::string message;
  std::thread([&] {
    Counted(
        [&] {
          try {
            status = xcorr_conv2d_plan_create(&desc, &plan);
          } catch (...) {
            threw = true;
          }
        },
        0, true);
    message = xcorr_last_error();
  }).join();
  EXPECT_FALSE(threw) << "an exception crossed the C API";
  EXPECT_EQ(XCORR_ERR_OUT_OF_MEMORY, status);
  EXPECT_EQ(nullptr, plan);
  EXPECT_NE(std::string::npos, message.find("out of memory")) << message;
}

TEST(MemoryTest, PlansOfHugeShapesAllocateLittle) {
  // x and y have 2^60 elements: a plan must not allocate per element (or try).
  xcorr_conv2d_desc desc = SmallDesc();
  desc.in_channels = desc.out_channels = 1;
  desc.in_height = desc.in_width = int64_t{1} << 30;
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  xcorr_plan* plan = nullptr;
  xcorr_status status = XCORR_ERR_INTERNAL;
  const Heap heap =
      Counted([&] { status = xcorr_conv2d_plan_create(&desc, &plan); });
  EXPECT_EQ(XCORR_OK, status) << xcorr_last_error();
  EXPECT_LT(heap.bytes, 1 << 20);
  xcorr_plan_destroy(plan);
}

}  // namespace
}  // namespace xcorr
