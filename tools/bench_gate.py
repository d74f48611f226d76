#!/usr/bin/env python3
"""xcorr's benchmark regression gate (Python 3 standard library only).

Time mode compares the per-benchmark medians of repeated runs of a Google
Benchmark binary (or of an existing JSON file it wrote) with a stored
baseline, and fails only on a slowdown that is both large (median slower by
more than --threshold, 10% by default) and statistically significant (the
one-sided Mann-Whitney U test at --alpha, 0.05 by default; with too few
repetitions for the test to reach alpha, non-overlapping ranges instead).

Instruction mode (--instructions) is the noise-free check: it runs each case
of bench/instructions_driver.cc once under callgrind and compares the
instruction counts (Ir) with a stored baseline, failing on any case that
grew by more than --threshold (2% by default in this mode).

Examples:
  # Time mode: record, then gate a change (5 interleaved repetitions).
  tools/bench_gate.py --binary build/bench/xcorr_forward_bench \\
      --filter 'BM_Corr2d/AVX2' --record tools/bench_baseline/forward.json
  tools/bench_gate.py --binary build/bench/xcorr_forward_bench \\
      --filter 'BM_Corr2d/AVX2' --baseline tools/bench_baseline/forward.json
  # Or compare a JSON file written with --benchmark_out=... and repetitions;
  # --relative-to reference gates each time divided by the reference's.
  tools/bench_gate.py --json run.json --baseline tools/bench_baseline/forward.json \\
      --relative-to reference
  # Instruction mode.
  tools/bench_gate.py --instructions \\
      --driver build/bench/xcorr_instructions_driver \\
      --baseline tools/bench_baseline/instructions.json

Exit status: 0 when nothing regressed (improvements, new and missing
benchmarks are reported only), 1 on a regression, 2 on a usage or run error.
"""

import argparse
import itertools
import json
import math
import os
import re
import subprocess
import sys
import tempfile

# Above this many rank assignments the U test uses the normal approximation.
EXACT_LIMIT = 200000

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return 0.5 * (ordered[mid - 1] + ordered[mid])


def midranks(values):
    """Ranks 1..n of values, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda k: values[k])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def mann_whitney_greater(baseline, current):
    """One-sided Mann-Whitney U test of "current tends to be larger".

    Returns (U, p): U counts the (baseline, current) pairs where current is
    larger (ties count one half); p is the probability of a U at least this
    large if both samples came from one distribution. Exact (enumerating the
    rank assignments, so ties are handled exactly) up to EXACT_LIMIT
    assignments, else the normal approximation with tie and continuity
    corrections.
    """
    m, n = len(baseline), len(current)
    if m == 0 or n == 0:
        return 0.0, 1.0
    ranks = midranks(list(baseline) + list(current))
    rank_sum = sum(ranks[m:])
    u = rank_sum - n * (n + 1) / 2.0
    if math.comb(m + n, n) <= EXACT_LIMIT:
        at_least = sum(1 for chosen in itertools.combinations(ranks, n)
                       if sum(chosen) >= rank_sum - 1e-9)
        return u, at_least / math.comb(m + n, n)
    total = m + n
    ties = {}
    for r in ranks:
        ties[r] = ties.get(r, 0) + 1
    tie_term = sum(t ** 3 - t for t in ties.values()) / (total * (total - 1))
    variance = m * n / 12.0 * ((total + 1) - tie_term)
    if variance <= 0:
        return u, 1.0
    z = (u - m * n / 2.0 - 0.5) / math.sqrt(variance)
    return u, 0.5 * math.erfc(z / math.sqrt(2.0))


def min_p_value(m, n):
    """The smallest p-value the exact one-sided U test can give."""
    return 1.0 / math.comb(m + n, n)


def compare_samples(baseline, current, threshold, alpha):
    """Classifies one benchmark: 'slower', 'faster' or 'same'.

    Returns (verdict, change, p) where change = median(current) /
    median(baseline) - 1 (times: positive is slower) and p the one-sided
    p-value in the direction of the change.
    """
    change = median(current) / median(baseline) - 1.0
    # With too few samples the test can never reach alpha: fall back to
    # "every sample on one side" (non-overlapping ranges).
    testable = min_p_value(len(baseline), len(current)) <= alpha
    if change > threshold:
        _, p = mann_whitney_greater(baseline, current)
        significant = p <= alpha if testable else min(current) > max(baseline)
        return ("slower" if significant else "same"), change, p
    if change < -threshold:
        _, p = mann_whitney_greater(current, baseline)
        significant = p <= alpha if testable else max(current) < min(baseline)
        return ("faster" if significant else "same"), change, p
    _, p = mann_whitney_greater(baseline, current)
    return "same", change, p


def samples_from_json(report):
    """Maps each benchmark name to its real times in ns, in repetition order.

    Accepts Google Benchmark's JSON output (aggregates and failed runs are
    skipped) or a baseline written by --record.
    """
    runs = {}
    for run in report.get("benchmarks", []):
        if run.get("run_type", "iteration") != "iteration" or run.get("error_occurred"):
            continue
        name = run.get("run_name", run["name"])
        scale = TIME_UNIT_NS[run.get("time_unit", "ns")]
        runs.setdefault(name, []).append(
            (run.get("repetition_index", 0), run["real_time"] * scale))
    return {name: [t for _, t in sorted(pairs)] for name, pairs in runs.items()}


def relative_samples(samples, implementation):
    """Each benchmark's times divided by those of `implementation` on its case.

    "BM_F/AVX2/size:64/threads:2/real_time" is divided by
    "BM_F/<implementation>/size:64/threads:1/real_time", repetition by
    repetition. With random interleaving, repetition k of every benchmark
    runs in the same round, so a load that slows the whole machine cancels
    out. Benchmarks without that counterpart, and the counterparts
    themselves, are left out.
    """
    relative = {}
    for name, times in samples.items():
        parts = name.split("/")
        if len(parts) < 2 or parts[1] == implementation:
            continue
        parts[1] = implementation
        denominator = samples.get(re.sub(r"/threads:\d+", "/threads:1", "/".join(parts)))
        if denominator and len(denominator) == len(times):
            relative[name] = [t / d for t, d in zip(times, denominator)]
    return relative


def baseline_document(report):
    """The part of a benchmark JSON report worth storing as a baseline."""
    keep = ("name", "run_name", "run_type", "repetition_index", "real_time",
            "time_unit", "GFLOPS")
    return {
        "context": report.get("context", {}),
        "benchmarks": [{k: run[k] for k in keep if k in run}
                       for run in report.get("benchmarks", [])
                       if run.get("run_type", "iteration") == "iteration"
                       and not run.get("error_occurred")],
    }


def format_ns(ns):
    """A time in ns, in the unit that keeps 1 to 3 digits before the point."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return "%.4g %s" % (ns / scale, unit)
    return "%.4g ns" % ns


def format_table(headers, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def compare_time(baseline, current, threshold, alpha, unit="time"):
    """Returns (regressed, report text) for two name -> samples maps of
    times in ns, or of ratios if `unit` is "ratio"."""
    show = format_ns if unit == "time" else (lambda x: "%.4g" % x)
    rows, regressed = [], False
    for name in sorted(set(baseline) | set(current)):
        if name not in current:
            rows.append((name, show(median(baseline[name])), "-", "-", "-", "missing"))
            continue
        if name not in baseline:
            rows.append((name, "-", show(median(current[name])), "-", "-", "new"))
            continue
        verdict, change, p = compare_samples(baseline[name], current[name],
                                             threshold, alpha)
        regressed |= verdict == "slower"
        rows.append((name, show(median(baseline[name])),
                     show(median(current[name])), "%+.1f%%" % (100 * change),
                     "%.3f" % p, verdict.upper() if verdict != "same" else "same"))
    headers = ("benchmark", "baseline", "now", "change", "p", "verdict")
    return regressed, format_table(headers, rows)


def compare_instructions(baseline, current, threshold):
    """Returns (regressed, report text) for two name -> Ir maps."""
    rows, regressed = [], False
    for name in sorted(set(baseline) | set(current)):
        if name not in current or name not in baseline:
            rows.append((name, baseline.get(name, "-"), current.get(name, "-"), "-",
                         "missing" if name not in current else "new"))
            continue
        change = current[name] / baseline[name] - 1.0
        verdict = "same"
        if change > threshold:
            verdict, regressed = "MORE", True
        elif change < -threshold:
            verdict = "fewer"
        rows.append((name, baseline[name], current[name], "%+.2f%%" % (100 * change),
                     verdict))
    headers = ("case/target", "base Ir", "now Ir", "change", "verdict")
    return regressed, format_table(headers, rows)


def run_benchmark(binary, repetitions, benchmark_filter, extra):
    command = [binary, "--benchmark_repetitions=%d" % repetitions,
               "--benchmark_enable_random_interleaving=true",
               "--benchmark_format=json"]
    if benchmark_filter:
        command.append("--benchmark_filter=" + benchmark_filter)
    command += extra
    print("running: " + " ".join(command), file=sys.stderr)
    result = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True)
    return json.loads(result.stdout)


def callgrind_ir(driver, case, target):
    """Runs one driver case under callgrind; returns (target name, Ir)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                   "--toggle-collect=XcorrBenchMeasured", driver, case]
        if target:
            command.append(target)
        result = subprocess.run(command, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise RuntimeError("%s failed:\n%s" % (" ".join(command), result.stderr))
        ran_target = result.stdout.split()[-1]
        with open(out) as profile:
            for line in profile:
                if line.startswith("summary:"):
                    return ran_target, int(line.split()[1])
    raise RuntimeError("no summary line in callgrind's output for " + case)


def measure_instructions(driver, target):
    cases = subprocess.run([driver, "--list"], stdout=subprocess.PIPE, check=True,
                           text=True).stdout.split()
    counts = {}
    for case in cases:
        ran_target, ir = callgrind_ir(driver, case, target)
        counts["%s/%s" % (case, ran_target)] = ir
        print("  %s/%s: %d Ir" % (case, ran_target, ir), file=sys.stderr)
    return counts


def write_json(path, document):
    with open(path, "w") as out:
        json.dump(document, out, indent=1, sort_keys=True)
        out.write("\n")
    print("recorded baseline " + path, file=sys.stderr)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--binary", help="benchmark binary to run")
    source.add_argument("--json", help="existing benchmark JSON output")
    source.add_argument("--driver",
                        help="instruction-count driver (with --instructions)")
    parser.add_argument("--instructions", action="store_true",
                        help="compare callgrind instruction counts")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--baseline", help="stored baseline JSON to compare with")
    target.add_argument("--record", metavar="PATH", help="write a new baseline")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--filter", help="--benchmark_filter regex")
    parser.add_argument("--threshold", type=float,
                        help="relative slowdown that matters "
                             "(default 0.10; 0.02 with --instructions)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level of the U test")
    parser.add_argument("--relative-to", metavar="IMPLEMENTATION",
                        help="compare each benchmark's time divided by that of "
                             "IMPLEMENTATION (e.g. reference) on the same case "
                             "at 1 thread, in the same repetition: robust to "
                             "the machine's load")
    parser.add_argument("--target", help="--instructions: Highway target to force")
    parser.add_argument("benchmark_args", nargs="*",
                        help="extra arguments for the binary (after --)")
    args = parser.parse_args(argv)
    if args.instructions != (args.driver is not None):
        parser.error("--instructions goes with --driver")
    if args.threshold is None:
        args.threshold = 0.02 if args.instructions else 0.10
    return args


def main(argv):
    args = parse_args(argv)
    try:
        if args.instructions:
            current = measure_instructions(args.driver, args.target)
            if args.record:
                write_json(args.record, {"kind": "instructions", "counts": current})
                return 0
            with open(args.baseline) as f:
                baseline = json.load(f)["counts"]
            regressed, table = compare_instructions(baseline, current, args.threshold)
        else:
            if args.json:
                with open(args.json) as f:
                    report = json.load(f)
            else:
                report = run_benchmark(args.binary, args.repetitions, args.filter,
                                       args.benchmark_args)
            if args.record:
                write_json(args.record, baseline_document(report))
                return 0
            with open(args.baseline) as f:
                baseline = samples_from_json(json.load(f))
            current = samples_from_json(report)
            if args.relative_to:
                baseline = relative_samples(baseline, args.relative_to)
                current = relative_samples(current, args.relative_to)
            if args.filter:
                pattern = re.compile(args.filter)
                baseline, current = ({k: v for k, v in d.items() if pattern.search(k)}
                                     for d in (baseline, current))
            regressed, table = compare_time(baseline, current, args.threshold,
                                            args.alpha,
                                            "ratio" if args.relative_to else "time")
    except (OSError, ValueError, KeyError, RuntimeError,
            subprocess.CalledProcessError) as error:
        print("bench_gate: %s" % error, file=sys.stderr)
        return 2
    print(table)
    print("\n%s (threshold %.0f%%%s)" % (
        "REGRESSION" if regressed else "no significant regression",
        100 * args.threshold,
        "" if args.instructions else ", alpha %.2f" % args.alpha))
    return 1 if regressed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
