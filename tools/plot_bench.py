#!/usr/bin/env python3
"""Plots xcorr's benchmark JSON (bench/*_bench --benchmark_out=...) as PNG and SVG.

Figures, each drawn when the input has the benchmarks it needs:
  corr2d_sweep    GFLOP/s against image side, one panel per kernel size, one
                  line per SIMD target and thread count (2 threads dashed),
                  the reference and every peer (BM_Corr2d; `--full` runs
                  the sweep). Both axes are logarithmic.
  backward_vs_forward
                  GFLOP/s of the one-channel backward pass (BM_Backward with
                  cin = cout = 1) against the forward pass (BM_Corr2d) of the
                  same kernel, per image side, for every target and the
                  reference.
Values are medians over the repetitions of each benchmark. Needs matplotlib
(Debian: apt-get install python3-matplotlib, then run with /usr/bin/python3).

Usage: tools/plot_bench.py forward.json [backward.json ...] --out-dir docs/plots
"""

import argparse
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Text stays text in the SVGs (smaller files); no dates in the outputs.
plt.rcParams.update({"svg.fonttype": "none", "font.size": 8})
SAVE_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


def parse_name(name):
    """"BM_Corr2d/AVX2/size:64/kh:3/kw:3/threads:1/real_time" -> parts."""
    parts = name.split("/")
    args = dict(p.split(":", 1) for p in parts[2:] if ":" in p)
    threads = int(args.pop("threads", "1"))
    return parts[0], parts[1], {k: int(v) for k, v in args.items()}, threads


def load(paths):
    """Median GFLOP/s per (family, implementation, args, threads); the context."""
    samples, context = {}, {}
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        context = context or report.get("context", {})
        for run in report.get("benchmarks", []):
            if run.get("run_type") != "iteration" or "GFLOPS" not in run:
                continue
            family, implementation, args, threads = parse_name(run["run_name"])
            key = (family, implementation, tuple(sorted(args.items())), threads)
            samples.setdefault(key, []).append(run["GFLOPS"])
    return {k: statistics.median(v) for k, v in samples.items()}, context


def label(implementation, threads, targets):
    return "%s t%d" % (implementation, threads) if implementation in targets \
        or implementation.startswith("onednn") else implementation


def series(medians, family, fixed, x_arg):
    """{(implementation, threads): [(x, GFLOP/s)]} of `family` at args `fixed`."""
    lines = {}
    for (fam, implementation, args, threads), gflops in medians.items():
        args = dict(args)
        if fam != family or any(args.get(k) != v for k, v in fixed.items()):
            continue
        lines.setdefault((implementation, threads), []).append((args[x_arg], gflops))
    return {k: sorted(v) for k, v in lines.items()}


def style(implementation, threads, implementations, targets):
    """One colour per implementation; 2 threads dashed; peers with triangles
    and the reference black."""
    if implementation == "reference":
        return {"color": "black", "linestyle": ":", "marker": "x"}
    palette = plt.get_cmap("tab10")
    return {"color": palette(sorted(implementations).index(implementation) % 10),
            "linestyle": "-" if threads == 1 else "--",
            "marker": "o" if implementation in targets else "^"}


def save(figure, out_dir, name):
    for extension in ("png", "svg"):
        path = os.path.join(out_dir, "%s.%s" % (name, extension))
        figure.savefig(path, dpi=90, metadata=SAVE_METADATA[extension])
        print("wrote " + path)
    plt.close(figure)


def subtitle(context):
    return "%s, %s CPUs; xcorr %s; medians; %s" % (
        context.get("cpu", "?"), context.get("num_cpus", "?"),
        context.get("xcorr_version", "?"), context.get("date", "")[:10])


def panels(count, width):
    """A figure of `count` side-by-side panels sharing the y axis."""
    figure, axes = plt.subplots(1, count, figsize=(width * count, 3.4),
                                sharey=True, squeeze=False)
    return figure, axes[0]


def finish_panel(axis, title):
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.set_title(title)
    axis.set_xlabel("image side (pixels)")
    axis.grid(True, alpha=0.3)


def finish_figure(figure, axes, ylabel, title, context, out_dir, name):
    axes[0].set_ylabel(ylabel)
    axes[-1].legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.suptitle(title + "\n" + subtitle(context))
    figure.tight_layout()
    save(figure, out_dir, name)


def plot_corr2d_sweep(medians, context, targets, out_dir):
    kernels = sorted({(dict(a)["kh"], dict(a)["kw"]) for (f, _, a, _) in medians
                      if f == "BM_Corr2d"}, key=lambda k: k[0] * k[1])
    if not kernels:
        return
    figure, axes = panels(len(kernels), 3.0)
    for axis, (kh, kw) in zip(axes, kernels):
        lines = series(medians, "BM_Corr2d", {"kh": kh, "kw": kw}, "size")
        implementations = {i for (_, i, _, _) in medians if i != "reference"}
        for (implementation, threads), points in sorted(lines.items()):
            xs, ys = zip(*points)
            axis.plot(xs, ys, markersize=3, label=label(implementation, threads, targets),
                      **style(implementation, threads, implementations, targets))
        finish_panel(axis, "corr2d, kernel %dx%d" % (kh, kw))
    finish_figure(figure, axes, "GFLOP/s (valid output, 2 per MAC)",
                  "One-channel corr2d throughput vs image size", context, out_dir,
                  "corr2d_sweep")


def plot_backward_vs_forward(medians, context, targets, out_dir):
    kernels = sorted({dict(a)["k"] for (f, _, a, _) in medians
                      if f == "BM_Backward" and dict(a).get("cin") == 1})
    kernels = [k for k in kernels
               if series(medians, "BM_Corr2d", {"kh": k, "kw": k}, "size")]
    if not kernels:
        return
    figure, axes = panels(len(kernels), 3.6)
    for axis, k in zip(axes, kernels):
        forward = series(medians, "BM_Corr2d", {"kh": k, "kw": k}, "size")
        backward = series(medians, "BM_Backward", {"cin": 1, "cout": 1, "k": k}, "size")
        for key in sorted(set(forward) & set(backward)):
            implementation, threads = key
            name = label(implementation, threads, targets)
            drawn = axis.plot(*zip(*forward[key]), marker="o", markersize=3,
                              label=name + " forward")
            axis.plot(*zip(*backward[key]), marker="s", markersize=3, linestyle="--",
                      color=drawn[0].get_color(), label=name + " backward")
        finish_panel(axis, "one channel, kernel %dx%d" % (k, k))
    finish_figure(figure, axes, "GFLOP/s (backward: dx + dw = 2x forward FLOPs)",
                  "Backward (dx, dw, dbias fused) vs forward", context, out_dir,
                  "backward_vs_forward")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="+", help="benchmark JSON output files")
    parser.add_argument("--out-dir", default="docs/plots")
    args = parser.parse_args(argv)
    medians, context = load(args.json)
    if not medians:
        print("no benchmarks with a GFLOPS counter in the input", file=sys.stderr)
        return 1
    targets = set(context.get("xcorr_targets", "").split(","))
    os.makedirs(args.out_dir, exist_ok=True)
    plot_corr2d_sweep(medians, context, targets, args.out_dir)
    plot_backward_vs_forward(medians, context, targets, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
