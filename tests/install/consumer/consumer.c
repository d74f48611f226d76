/* Uses an installed xcorr from C: the seed's corr2d, and a conv2d plan. */
#include <stdio.h>
#include <xcorr/xcorr.h>

int main(void) {
  const float x[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  const float k[4] = {0, 1, 2, 3};
  float y[4];
  xcorr_conv2d_desc desc;
  xcorr_plan* plan = NULL;
  if (xcorr_corr2d(x, 3, 3, k, 2, 2, y) != XCORR_OK) return 1;
  if (y[0] != 19 || y[1] != 25 || y[2] != 37 || y[3] != 43) return 2;
  xcorr_conv2d_desc_init(&desc);
  desc.in_height = desc.in_width = 3;
  desc.kernel_height = desc.kernel_width = 2;
  if (xcorr_conv2d_plan_create(&desc, &plan) != XCORR_OK) return 3;
  xcorr_plan_destroy(plan);
  printf("C consumer: xcorr %s on %s\n", xcorr_version(), xcorr_target_name());
  return 0;
}
