#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus (tests/fuzz/corpus/*) from named cases.

Each seed encodes, in the byte format that conv2d_fuzzer.cc decodes, one
interesting call: small valid shapes of every kind (stride, padding,
dilation, groups, NHWC, 1x1, kernel as large as the padded input), NULL
arguments, invalid and overflowing sizes, corr2d, thread counts and target
names. FuzzedDataProvider reads integers from the end of the input, most
significant byte first, and strings from the front, so the encoder collects
integers in the order the fuzzer consumes them and appends them reversed.

Usage: tests/fuzz/make_corpus.py   (rewrites tests/fuzz/corpus)
"""
import os

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
INT64_MIN = -(1 << 63)


class Encoder:
    def __init__(self):
        self.front = b""
        self.tail = []  # integer bytes in consumption order

    def integral(self, value, lo, hi):
        """ConsumeIntegralInRange(lo, hi) returning value."""
        span = hi - lo
        nbytes = 0
        while nbytes < 8 and (span >> (8 * nbytes)) > 0:
            nbytes += 1
        offset = value - lo
        assert 0 <= offset <= span
        self.tail += list(offset.to_bytes(nbytes, "big")) if nbytes else []

    def int64(self, value):
        self.integral(value, INT64_MIN, (1 << 63) - 1)

    def boolean(self, value):
        self.integral(int(value), 0, 255)

    def size(self, value, lo, hi):
        """ConsumeSize: a small value, or one of the special cases."""
        if lo <= value <= hi:
            self.integral(4, 0, 63)
            self.integral(value, lo, hi)
        elif value == 0:
            self.integral(0, 0, 63)
        elif -3 <= value < 0:
            self.integral(1, 0, 63)
            self.integral(-value, 1, 3)
        else:
            self.integral(3, 0, 63)
            self.int64(value)

    def data(self, count, pattern=(8, -4, 3, 0, -16, 1)):
        for k in range(count):
            self.integral(pattern[k % len(pattern)], -128, 127)

    def bytes(self):
        return self.front + bytes(reversed(self.tail))


def conv_desc(e, n=1, g=1, ci=1, co=1, h=5, w=6, kh=3, kw=3, sh=1, sw=1,
              pads=(0, 0, 0, 0), dh=1, dw=1, layout=0, null_pointers=False):
    """ConsumeDesc; ci and co are per group when small, as the decoder does."""
    e.size(n, 1, 3)
    e.size(g, 1, 3)
    e.size(ci, 1, 3)
    e.size(co, 1, 3)
    e.size(h, 1, 12)
    e.size(w, 1, 160)
    e.size(kh, 1, 4)
    e.size(kw, 1, 5)
    e.size(sh, 1, 3)
    e.size(sw, 1, 3)
    for pad in pads:
        e.size(pad, 0, 2)
    e.size(dh, 1, 3)
    e.size(dw, 1, 3)
    if layout in (0, 1):
        e.integral(1, 0, 7)
        e.boolean(layout)
    else:
        e.integral(0, 0, 7)
        e.integral(layout, -(1 << 31), (1 << 31) - 1)
    e.integral(0 if null_pointers else 1, 0, 15)  # 0: also NULL arguments


def elements(n, g, ci, co, h, w, kh, kw, sh, sw, pads, dh, dw):
    oh = (h + pads[0] + pads[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (w + pads[2] + pads[3] - dw * (kw - 1) - 1) // sw + 1
    cin, cout = ci * g, co * g
    return n * cin * h * w, cout * ci * kh * kw, n * cout * oh * ow, cout


def conv(forward, nulls=0, misalign=0, workspace=True, bias=True, **shape):
    e = Encoder()
    e.integral(2, 0, 7)  # FuzzConv2d
    conv_desc(e, **shape)
    full = dict(n=1, g=1, ci=1, co=1, h=5, w=6, kh=3, kw=3, sh=1, sw=1,
                pads=(0, 0, 0, 0), dh=1, dw=1)
    full.update({k: v for k, v in shape.items()
                 if k not in ("layout", "null_pointers")})
    x, w, y, cout = elements(**full)
    e.boolean(forward)
    if forward:
        e.data(x)
        e.data(w)
        e.data(cout)
        e.integral(nulls, 0, 255)
        if nulls < 192 or not nulls & 8:
            e.boolean(bias)
        e.integral(misalign, 0, 3)
        e.boolean(workspace)
    else:
        e.data(x)
        e.data(w)
        e.data(y)
        e.integral(nulls, 0, 255)
        e.integral(misalign, 0, 3)
        e.boolean(workspace)
    return e.bytes()


def invalid(**shape):
    e = Encoder()
    e.integral(2, 0, 7)
    conv_desc(e, **shape)
    return e.bytes()


def corr2d(h, w, kh, kw):
    e = Encoder()
    e.integral(0, 0, 7)
    e.size(h, 1, 9)
    e.size(w, 1, 160)
    e.size(kh, 1, 4)
    e.size(kw, 1, 5)
    if 1 <= kh <= h and 1 <= kw <= w and h * w <= 1 << 16:
        e.data(h * w)
        e.data(kh * kw)
        e.integral(1, 0, 3)
    return e.bytes()


def threads(n):
    e = Encoder()
    e.integral(1, 0, 7)
    e.boolean(True)
    e.integral(n, -3, 4)
    return e.bytes()


def target(choice, name=b"", index=0):
    e = Encoder()
    # ConsumeRandomLengthString ends at a backslash followed by another byte.
    e.front = name + b"\\;"
    e.integral(1, 0, 7)
    e.boolean(False)
    e.integral(choice, 0, 3)
    if choice == 1:
        e.integral(index, 0, 5)
    return e.bytes()


def seeds():
    big = 1 << 40
    yield "fwd_3x3_valid", conv(True)
    yield "fwd_seed_1x2", conv(True, h=6, w=8, kh=1, kw=2)
    yield "fwd_wide_rows", conv(True, h=3, w=37, kh=2, kw=5)
    yield "fwd_1x1_batch", conv(True, n=3, ci=3, co=2, kh=1, kw=1)
    yield "fwd_stride_pad", conv(True, sh=2, sw=3, pads=(1, 2, 0, 1))
    yield "fwd_dilation", conv(True, h=9, w=11, dh=2, dw=3)
    yield "fwd_groups", conv(True, g=3, ci=1, co=2, pads=(1, 1, 1, 1))
    yield "fwd_nhwc", conv(True, ci=3, co=2, layout=1, pads=(1, 0, 2, 1))
    yield "fwd_kernel_is_padded_input", conv(True, h=2, w=3, kh=4, kw=5,
                                             pads=(1, 1, 1, 1))
    yield "fwd_unaligned_no_bias", conv(True, misalign=3, bias=False,
                                        workspace=False)
    yield "fwd_null_x", conv(True, nulls=192 | 1)
    yield "fwd_null_w", conv(True, nulls=192 | 2)
    yield "fwd_null_y", conv(True, nulls=192 | 4)
    yield "fwd_null_plan", conv(True, nulls=192 | 16)
    yield "bwd_all", conv(False)
    yield "bwd_nhwc_groups", conv(False, g=2, ci=2, co=1, layout=1,
                                  pads=(1, 1, 0, 2), sw=2)
    yield "bwd_dilation_stride", conv(False, h=8, w=9, dh=2, sh=2)
    # 64 outputs and more per row: dw and dbias read dy in place.
    yield "bwd_rows_of_dy_in_place", conv(False, h=6, w=90, kh=2, kw=3,
                                          pads=(1, 0, 2, 1))
    yield "bwd_only_dbias", conv(False, nulls=8 | 16)
    yield "bwd_null_dy", conv(False, nulls=128 | 4)
    yield "bwd_dw_without_x", conv(False, nulls=128 | 1 | 8)
    yield "bwd_dx_without_w", conv(False, nulls=128 | 2 | 16)
    yield "bwd_nothing", conv(False, nulls=8 | 16 | 32)
    yield "null_pointers_valid", invalid(null_pointers=True)
    yield "null_pointers_invalid", invalid(n=0, null_pointers=True)
    yield "bad_negative_batch", invalid(n=-1)
    yield "bad_zero_width", invalid(w=0)
    yield "bad_groups", invalid(g=2, ci=17)
    yield "bad_kernel_too_big", invalid(h=2, kh=4)
    yield "bad_layout", invalid(layout=7)
    yield "bad_negative_pad", invalid(pads=(0, -1, 0, 0))
    yield "bad_x_overflows", invalid(n=big, h=big, w=big)
    yield "bad_y_overflows", invalid(kh=1, kw=1, h=1, w=1,
                                     pads=(big, big, big, big))
    yield "huge_pads_and_stride", invalid(h=1, w=1, kh=1, kw=1, sh=1 << 62,
                                          pads=(1 << 62, 1 << 62, 0, 0))
    yield "huge_dilation", invalid(dh=(1 << 62) + 1, kh=2)
    # One kernel row with a 2^62 dilation is valid; the backward's dw index
    # arithmetic overflowed on it (fuzzer).
    yield "regression_backward_one_tap_huge_dilation", conv(
        False, h=2, w=3, kh=1, kw=2, dh=(1 << 62) + 1)
    yield "huge_valid_plan_only", invalid(n=1, h=1 << 20, w=1 << 20, kh=1, kw=1)
    yield "corr2d_small", corr2d(6, 8, 1, 2)
    yield "corr2d_square", corr2d(9, 33, 4, 5)
    # One kernel row, over a whole AVX-512 block of 8 vectors.
    yield "corr2d_one_row_wide", corr2d(3, 150, 1, 3)
    yield "corr2d_kernel_too_big", corr2d(2, 3, 4, 1)
    yield "corr2d_negative", corr2d(-2, 3, 1, 1)
    yield "threads_negative", threads(-2)
    yield "threads_three", threads(3)
    yield "threads_all", threads(0)
    yield "target_best", target(0)
    yield "target_avx2", target(1, index=4)
    yield "target_scalar", target(1, index=0)
    yield "target_unknown", target(2, name=b"AVX9000")
    yield "target_empty", target(2, name=b"")


def main():
    # Inputs the fuzzer found (regression_*) are kept as they were found.
    os.makedirs(CORPUS, exist_ok=True)
    for name in os.listdir(CORPUS):
        if not name.startswith("regression_"):
            os.remove(os.path.join(CORPUS, name))
    for name, data in seeds():
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
