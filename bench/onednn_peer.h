// oneDNN (2.6, Debian's OpenMP build) as a benchmark peer: direct convolution
// forward, backward-data and backward-weights (with bias) on one of our
// descriptors, either on the user's plain tensors ("onednn_plain": nchw/oihw;
// for NHWC cases nhwc activations with weights that oneDNN packs once) or on
// the blocked layouts oneDNN prefers ("onednn_any"). In the latter case the
// reorders happen once, outside the timed calls, as PERF.md measured it.
// Compiled only when oneDNN is found (XCORR_HAVE_ONEDNN).
#ifndef XCORR_BENCH_ONEDNN_PEER_H_
#define XCORR_BENCH_ONEDNN_PEER_H_

#include <cstdint>
#include <memory>

#include "bench/bench_util.h"

namespace xcorr {
namespace bench {

class OneDnnConv {
 public:
  // Creates the primitives for `data`'s descriptor (groups and dilation 1)
  // with `threads` OpenMP threads and copies data's inputs into them.
  // `with_bias` adds the bias to the forward pass; `backward` creates the
  // backward-data and backward-weights primitives instead of the forward one.
  OneDnnConv(const ConvData& data, bool any_layout, bool with_bias,
             bool backward, int64_t threads);
  ~OneDnnConv();

  void Forward();
  void Backward();  // dx, then dw and dbias

  // Copies the results into data's outputs (y, or dx, dw, dbias) in the user
  // layout.
  void CopyOutputs(ConvData* data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Registers family/onednn_any and family/onednn_plain at every thread count
// up to kMaxThreads: forward passes (with or without bias), or backward passes
// computing dx, dw and dbias with the backward-data and backward-weights
// primitives. Each checks its outputs against the reference once. The plain
// layout skips one-channel cases: there oneDNN falls back to a reference
// kernel (seconds per 1024x1024 image), and PERF.md times only "any".
void RegisterOneDnn(const Family& family, bool with_bias, bool backward);

}  // namespace bench
}  // namespace xcorr

#endif  // XCORR_BENCH_ONEDNN_PEER_H_
