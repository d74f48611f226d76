#!/usr/bin/python3
"""PyTorch as a peer: F.conv2d forward and its backward on PERF.md's cases.

Times PyTorch (Debian's python3-torch) end to end, NCHW tensors with bias, at
1 and 2 threads, and prints median GFLOP/s per case, counted as the C++
benchmarks count them (2 FLOPs per MAC with padding taps; the backward, dx +
dw + dbias, twice the forward's). Run it beside build/bench/xcorr_*_bench in
the same session; only ratios measured close together mean anything.

Usage: bench/torch_peer.py [--repetitions N] [--seconds S]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

# (batch, in_channels, out_channels, size, kernel, pad), as BM_Forward.
CASES = [
    (1, 64, 64, 56, 3, 1),
    (1, 3, 64, 224, 7, 3),
    (1, 256, 256, 14, 3, 1),
    (1, 64, 64, 56, 1, 0),
    (8, 64, 64, 56, 3, 1),
]
# One channel, valid (BM_Backward's one-channel cases).
ONE_CHANNEL = [(1, 1, 1, 256, 3, 0), (1, 1, 1, 1024, 3, 0), (1, 1, 1, 1024, 7, 0)]


def seconds_per_call(call, budget):
    """Median seconds of one call over repetitions filling `budget` seconds."""
    call()  # warm-up: allocations, thread pool
    times = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(times) < 3:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(case, backward, budget):
    n, cin, cout, size, k, pad = case
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(n, cin, size, size, generator=generator,
                   requires_grad=backward)
    w = torch.rand(cout, cin, k, k, generator=generator,
                   requires_grad=backward)
    b = torch.rand(cout, generator=generator, requires_grad=backward)
    out = size + 2 * pad - k + 1
    flops = 2.0 * n * cout * cin * k * k * out * out
    if backward:
        y = F.conv2d(x, w, b, padding=pad)
        dy = torch.rand(y.shape, generator=generator)

        def call():
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b, padding=pad).backward(dy)
        flops *= 2
    else:
        def call():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=pad)
    return flops / seconds_per_call(call, budget) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3,
                        help="medians of this many measurements")
    parser.add_argument("--seconds", type=float, default=0.3,
                        help="time budget of one measurement")
    args = parser.parse_args()
    print("PyTorch %s; median GFLOP/s of %d measurements"
          % (torch.__version__, args.repetitions))
    print("%-9s %-36s %9s %9s" % ("pass", "case", "torch t1", "torch t2"))
    for backward, cases in ((False, CASES), (True, CASES[:1] + ONE_CHANNEL)):
        for case in cases:
            figures = []
            for threads in (1, 2):
                torch.set_num_threads(threads)
                figures.append(statistics.median(
                    measure(case, backward, args.seconds)
                    for _ in range(args.repetitions)))
            name = "n:%d/cin:%d/cout:%d/size:%d/k:%d/pad:%d" % case
            print("%-9s %-36s %9.2f %9.2f" % (
                "backward" if backward else "forward", name, *figures))


if __name__ == "__main__":
    main()
