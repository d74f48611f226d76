// The library's threads: one tbb::task_arena, sized by xcorr_set_num_threads
// or XCORR_NUM_THREADS, that every parallel loop runs in.
//
// We never create a tbb::global_control: it would throttle the host's own TBB
// work. A call takes a shared_ptr to the arena current at its start, so that
// resizing never pulls an arena from under running work.
#ifndef XCORR_SRC_THREADING_H_
#define XCORR_SRC_THREADING_H_

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <memory>

#include "src/status.h"

namespace xcorr {
namespace detail {

// n == 0: all cores; n < 0: invalid.
Status SetNumThreads(int n);

// The arena calls run in now.
std::shared_ptr<tbb::task_arena> CurrentArena();

// Whether parallel loops run in the calling thread's arena (an engine's own)
// instead of the library's; see xcorr::use_caller_arena.
void SetUseCallerArena(bool enable);
bool UseCallerArena();

// Runs body(tile) for every tile in [0, tile_count): on the calling thread
// when `serial` (small problems, where task overhead would dominate), else in
// the library's arena. Each tile must write disjoint outputs, so the result
// does not depend on which thread runs which tile.
template <typename Body>
void ForEachTile(int64_t tile_count, bool serial, const Body& body) {
  if (serial || tile_count == 1) {
    for (int64_t tile = 0; tile < tile_count; ++tile) body(tile);
    return;
  }
  const auto run_tiles = [&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, tile_count),
                      [&](const tbb::blocked_range<int64_t>& range) {
                        for (int64_t tile = range.begin(); tile != range.end();
                             ++tile) {
                          body(tile);
                        }
                      });
  };
  if (UseCallerArena()) {
    run_tiles();  // in whatever arena the caller is running
    return;
  }
  CurrentArena()->execute(run_tiles);
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_THREADING_H_
