/* xcorr.h compiles as strict C99 and its API is usable from C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcorr/xcorr.h"

int main(void) {
  const float x[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  const float k[4] = {0, 1, 2, 3};
  const float want[4] = {19, 25, 37, 43};
  float y[4];
  xcorr_conv2d_desc desc;
  xcorr_plan* plan = NULL;
  void* packed;
  int i;
  if (xcorr_corr2d(x, 3, 3, k, 2, 2, y) != XCORR_OK) return 1;
  for (i = 0; i < 4; ++i) {
    if (y[i] != want[i]) return 2;
  }
  xcorr_conv2d_desc_init(&desc);
  desc.in_height = desc.in_width = 3;
  desc.kernel_height = desc.kernel_width = 2;
  if (xcorr_conv2d_plan_create(&desc, &plan) != XCORR_OK) return 3;
  if (xcorr_conv2d_forward(plan, x, k, NULL, y, NULL) != XCORR_OK) return 4;
  if (memcmp(y, want, sizeof(y)) != 0) return 5;
  /* Weights packed once for repeated inference. */
  packed = malloc(xcorr_plan_packed_weights_size(plan));
  if (packed == NULL) return 8;
  memset(y, 0, sizeof(y));
  if (xcorr_conv2d_pack_weights(plan, k, packed) != XCORR_OK ||
      xcorr_conv2d_forward_packed(plan, x, packed, NULL, y, NULL) != XCORR_OK)
    return 9;
  free(packed);
  xcorr_plan_destroy(plan);
  if (memcmp(y, want, sizeof(y)) != 0) return 10;
  if (xcorr_corr2d(NULL, 3, 3, k, 2, 2, y) != XCORR_ERR_INVALID_ARGUMENT)
    return 6;
  if (strcmp(xcorr_last_error(), "x is NULL") != 0) return 7;
  printf("xcorr %s from C99 on %s\n", xcorr_version(), xcorr_target_name());
  return 0;
}
