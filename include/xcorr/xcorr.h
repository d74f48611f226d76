/* xcorr: 2-D cross-correlation (deep learning's conv2d) and its gradients.
 *
 * This is the stable C99 API for inference engines and other languages. The
 * contract (names, layouts, semantics, errors) is fixed in API.md and changes
 * only by additions. The C++ API in <xcorr/xcorr.hpp> is built on it.
 *
 * Semantics, for both layouts:
 *   y[n][o][i][j] = bias[o] + sum_{c,u,v} x[n][g*Cg + c][i*sh + u*dh - pt]
 *                                         [j*sw + v*dw - pl] * w[o][c][u][v]
 * with g = o / (Cout/groups), Cg = Cin/groups, x read as zero outside the
 * input. Output size: OH = floor((H + pt + pb - dh*(KH-1) - 1) / sh) + 1, and
 * likewise OW. All tensors are f32, dense and row-major:
 *   NCHW: x[N][Cin][H][W], w[Cout][Cin/groups][KH][KW], y[N][Cout][OH][OW]
 *   NHWC: x[N][H][W][Cin], w[Cout][KH][KW][Cin/groups], y[N][OH][OW][Cout]
 * bias has Cout elements. Each output is within 1e-4 * S of an f64 reference,
 * S being the sum of the |x*w| terms (and |bias|) that make it.
 *
 * Errors: every function that takes pointers checks them. A failing call
 * returns a status other than XCORR_OK, leaves its outputs untouched (inputs
 * are validated before any work) and records a message for xcorr_last_error()
 * in the calling thread. No C++ exception crosses this API.
 *
 * Threads: a plan is immutable once made; any number of threads may call
 * forward/backward on one plan at once with distinct outputs and workspaces.
 * Results are bitwise identical whatever the number of threads.
 *
 * Usage:
 *   xcorr_conv2d_desc desc;
 *   xcorr_conv2d_desc_init(&desc);
 *   desc.in_channels = 3; desc.out_channels = 8;
 *   desc.in_height = desc.in_width = 32;
 *   desc.kernel_height = desc.kernel_width = 3;
 *   desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
 *   xcorr_plan* plan = NULL;
 *   if (xcorr_conv2d_plan_create(&desc, &plan) != XCORR_OK) {
 *     fprintf(stderr, "%s\n", xcorr_last_error());
 *   }
 *   xcorr_conv2d_forward(plan, x, w, bias, y, NULL);
 *   xcorr_plan_destroy(plan);
 */
#ifndef XCORR_XCORR_H_
#define XCORR_XCORR_H_

#include <stddef.h>
#include <stdint.h>

#include "xcorr/xcorr_export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xcorr_status {
  XCORR_OK = 0,
  XCORR_ERR_INVALID_ARGUMENT =
      1, /* bad shape, NULL where data is needed, overflow */
  XCORR_ERR_UNSUPPORTED = 2, /* valid but not implemented, or unknown target */
  XCORR_ERR_OUT_OF_MEMORY = 3,
  XCORR_ERR_INTERNAL = 4
} xcorr_status;

typedef enum xcorr_layout {
  XCORR_LAYOUT_NCHW = 0,
  XCORR_LAYOUT_NHWC = 1
} xcorr_layout;

/* A 2-D convolution: sizes in elements, pads per side, all int64_t so that
   engines can pass their shapes without narrowing. */
typedef struct xcorr_conv2d_desc {
  int64_t batch, in_channels, out_channels;
  int64_t in_height, in_width, kernel_height, kernel_width;
  int64_t stride_height, stride_width;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
  int64_t dilation_height, dilation_width;
  int64_t groups;
  xcorr_layout layout;
} xcorr_conv2d_desc;

/* Sets batch, channels, strides, dilations and groups to 1, pads to 0, NCHW;
   the caller then sets sizes. Input and kernel sizes are set to 0, so that a
   size left unset is reported. NULL is a no-op. */
XCORR_API void xcorr_conv2d_desc_init(xcorr_conv2d_desc* desc);

/* Validates desc and writes the output height and width. */
XCORR_API xcorr_status xcorr_conv2d_output_size(const xcorr_conv2d_desc* desc,
                                                int64_t* out_height,
                                                int64_t* out_width);

typedef struct xcorr_plan xcorr_plan;

/* Validates desc, picks kernels and tiling once. On failure *plan is set to
   NULL (when plan itself is not NULL). */
XCORR_API xcorr_status xcorr_conv2d_plan_create(const xcorr_conv2d_desc* desc,
                                                xcorr_plan** plan);
XCORR_API void xcorr_plan_destroy(xcorr_plan* plan); /* NULL is a no-op */

/* Bytes of scratch that forward/backward use; may be 0. A NULL plan gives 0. */
XCORR_API size_t xcorr_plan_workspace_size(const xcorr_plan* plan);

/* y = corr(x, w) + bias. bias and workspace may be NULL (a NULL workspace lets
   the call allocate); a workspace needs xcorr_plan_workspace_size() bytes, any
   alignment. y must not overlap x, w or bias. */
XCORR_API xcorr_status xcorr_conv2d_forward(const xcorr_plan* plan,
                                            const float* x, const float* w,
                                            const float* bias, float* y,
                                            void* workspace);

/* Inference with constant weights: pack w once into the form that the plan's
   kernel reads, then run forward on the packed weights, which skips the
   repacking that xcorr_conv2d_forward does on every call (for many channels,
   megabytes of weights). packed needs xcorr_plan_packed_weights_size() bytes,
   any alignment, and must not overlap w. The packed weights serve any plan of
   the same weight shape and layout (another batch or image size too) whose
   kernel reads their form; a plan that cannot read them, or a buffer that
   xcorr_conv2d_pack_weights did not write, is XCORR_ERR_INVALID_ARGUMENT.
   The form may change between versions of xcorr: pack again after an
   upgrade (a buffer of another form is refused the same way).
   A NULL plan gives 0 bytes. */
XCORR_API size_t xcorr_plan_packed_weights_size(const xcorr_plan* plan);
XCORR_API xcorr_status xcorr_conv2d_pack_weights(const xcorr_plan* plan,
                                                 const float* w, void* packed);
/* xcorr_conv2d_forward with the weights that xcorr_conv2d_pack_weights packed:
   the same bits. bias and workspace as there (a workspace of
   xcorr_plan_workspace_size() bytes is enough); y must not overlap x, packed
   or bias. */
XCORR_API xcorr_status xcorr_conv2d_forward_packed(const xcorr_plan* plan,
                                                   const float* x,
                                                   const void* packed,
                                                   const float* bias, float* y,
                                                   void* workspace);

/* Given dy = dL/dy, overwrites dx = dL/dx, dw = dL/dw and dbias = dL/dbias
   (Cout elements) in one pass; any of them may be NULL to skip it. x is needed
   only for dw and w only for dx. Outputs must not overlap inputs or each
   other. */
XCORR_API xcorr_status xcorr_conv2d_backward(const xcorr_plan* plan,
                                             const float* x, const float* w,
                                             const float* dy, float* dx,
                                             float* dw, float* dbias,
                                             void* workspace);

/* The seed's corr2d: one channel, stride 1, no padding; y is
   (h-kh+1) x (w-kw+1), row-major, and must not overlap x or k. */
XCORR_API xcorr_status xcorr_corr2d(const float* x, int64_t h, int64_t w,
                                    const float* k, int64_t kh, int64_t kw,
                                    float* y);

/* A static English name of the status ("invalid argument", ...). */
XCORR_API const char* xcorr_status_string(xcorr_status status);
/* This thread's last failure, in words; "" if none. Valid until this thread's
   next xcorr call. */
XCORR_API const char* xcorr_last_error(void);
XCORR_API const char* xcorr_version(void); /* "MAJOR.MINOR.PATCH" */
/* The SIMD target that calls dispatch to now, e.g. "AVX3", "AVX2", "SCALAR". */
XCORR_API const char* xcorr_target_name(void);
/* Restricts dispatch to the named target (as xcorr_target_name spells it);
   NULL restores the best available. Unknown, or not supported by this CPU and
   build: XCORR_ERR_UNSUPPORTED. Process-wide (it also affects any other user of
   Highway in the process); call it while no xcorr call is running. The
   environment variable XCORR_TARGET does the same at the first call of any
   kind (plan creation included); a bad value is ignored with a warning on
   stderr. */
XCORR_API xcorr_status xcorr_force_target(const char* name);
/* Threads that calls may use: 0 means all cores, n < 0 is invalid. The
   environment variable XCORR_NUM_THREADS sets the initial value (a value that
   is not an integer from 0 to 65536 is ignored with a warning on stderr). */
XCORR_API xcorr_status xcorr_set_num_threads(int n);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif /* XCORR_XCORR_H_ */
