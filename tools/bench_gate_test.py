#!/usr/bin/env python3
"""Unit tests of tools/bench_gate.py's statistics and comparisons (no timing).

Run directly or through ctest (registered by bench/CMakeLists.txt).
"""

import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_gate  # noqa: E402


def report(samples_by_name, time_unit="ns"):
    """A Google Benchmark JSON report with the given per-repetition times."""
    runs = []
    for name, samples in samples_by_name.items():
        for index, value in enumerate(samples):
            runs.append({"name": name, "run_name": name, "run_type": "iteration",
                         "repetition_index": index, "real_time": value,
                         "time_unit": time_unit})
        runs.append({"name": name + "_median", "run_name": name,
                     "run_type": "aggregate", "aggregate_name": "median",
                     "real_time": bench_gate.median(samples), "time_unit": time_unit})
    return {"context": {"num_cpus": 2}, "benchmarks": runs}


class StatisticsTest(unittest.TestCase):
    def test_median(self):
        self.assertEqual(bench_gate.median([3, 1, 2]), 2)
        self.assertEqual(bench_gate.median([4, 1, 3, 2]), 2.5)

    def test_midranks_share_ties(self):
        self.assertEqual(bench_gate.midranks([10, 20, 20, 5]), [2.0, 3.5, 3.5, 1.0])

    def test_exact_p_of_complete_separation(self):
        # All 5 current samples above all 5 baseline ones: 1 of C(10, 5).
        u, p = bench_gate.mann_whitney_greater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        self.assertEqual(u, 25)
        self.assertAlmostEqual(p, 1 / 252)

    def test_exact_p_matches_table(self):
        # m = n = 4, U = 15 (one inversion of 16 pairs): only U = 15 and
        # U = 16 are as extreme, one arrangement each: P = 2 / C(8, 4).
        u, p = bench_gate.mann_whitney_greater([1, 2, 3, 5], [4, 6, 7, 8])
        self.assertEqual(u, 15)
        self.assertAlmostEqual(p, 2 / 70)

    def test_identical_samples_are_not_significant(self):
        _, p = bench_gate.mann_whitney_greater([5] * 6, [5] * 6)
        self.assertEqual(p, 1.0)

    def test_normal_approximation_agrees_with_exact(self):
        baseline = [float(k) for k in range(12)]
        current = [k + 4.5 for k in range(12)]
        exact_limit = bench_gate.EXACT_LIMIT
        try:
            _, exact = bench_gate.mann_whitney_greater(baseline, current)
            bench_gate.EXACT_LIMIT = 0
            _, approx = bench_gate.mann_whitney_greater(baseline, current)
        finally:
            bench_gate.EXACT_LIMIT = exact_limit
        self.assertLess(abs(exact - approx), 0.01)
        self.assertLess(approx, 0.05)

    def test_min_p_value(self):
        self.assertAlmostEqual(bench_gate.min_p_value(3, 3), 1 / 20)
        self.assertTrue(math.isclose(bench_gate.min_p_value(5, 5), 1 / 252))


class CompareSamplesTest(unittest.TestCase):
    def test_large_consistent_slowdown_fails(self):
        verdict, change, p = bench_gate.compare_samples(
            [100, 101, 99, 100, 102], [120, 119, 121, 122, 118], 0.10, 0.05)
        self.assertEqual(verdict, "slower")
        self.assertAlmostEqual(change, 0.20)
        self.assertLess(p, 0.05)

    def test_small_slowdown_passes_even_if_significant(self):
        verdict, _, _ = bench_gate.compare_samples(
            [100, 101, 99, 100, 102], [105, 106, 104, 105, 107], 0.10, 0.05)
        self.assertEqual(verdict, "same")

    def test_noisy_slowdown_passes(self):
        # Median 15% slower, but the samples overlap heavily.
        verdict, change, p = bench_gate.compare_samples(
            [100, 160, 90, 140, 95], [115, 92, 150, 98, 170], 0.10, 0.05)
        self.assertGreater(change, 0.10)
        self.assertGreater(p, 0.05)
        self.assertEqual(verdict, "same")

    def test_speedup_is_reported_not_failed(self):
        verdict, change, _ = bench_gate.compare_samples(
            [100, 101, 99, 100, 102], [50, 51, 49, 50, 52], 0.10, 0.05)
        self.assertEqual(verdict, "faster")
        self.assertLess(change, 0)

    def test_too_few_samples_use_ranges(self):
        # Two repetitions can never reach alpha = 0.05: ranges decide.
        self.assertEqual(bench_gate.compare_samples([100, 101], [130, 131], 0.1, 0.05)[0],
                         "slower")
        self.assertEqual(bench_gate.compare_samples([100, 140], [130, 131], 0.1, 0.05)[0],
                         "same")


class ReportsTest(unittest.TestCase):
    def test_samples_skip_aggregates_and_errors_and_convert_units(self):
        data = report({"BM_A/AVX2": [1.0, 2.0, 3.0]}, time_unit="us")
        data["benchmarks"].append({"name": "BM_B", "run_type": "iteration",
                                   "error_occurred": True, "real_time": 0,
                                   "time_unit": "ns"})
        self.assertEqual(bench_gate.samples_from_json(data),
                         {"BM_A/AVX2": [1000.0, 2000.0, 3000.0]})

    def test_recorded_baseline_round_trips(self):
        data = report({"BM_A": [5.0, 6.0, 7.0], "BM_B": [1.0, 1.0, 1.0]})
        stored = json.loads(json.dumps(bench_gate.baseline_document(data)))
        self.assertEqual(bench_gate.samples_from_json(stored),
                         bench_gate.samples_from_json(data))

    def test_compare_time_flags_only_the_regression(self):
        baseline = {"BM_Slow": [100.0, 101, 99, 100, 102],
                    "BM_Same": [50.0, 51, 49, 50, 52], "BM_Gone": [1.0] * 5}
        current = {"BM_Slow": [130.0, 131, 129, 130, 132],
                   "BM_Same": [50.0, 52, 49, 51, 50], "BM_New": [2.0] * 5}
        regressed, table = bench_gate.compare_time(baseline, current, 0.10, 0.05)
        self.assertTrue(regressed)
        self.assertIn("SLOWER", table)
        self.assertIn("missing", table)
        self.assertIn("new", table)
        regressed, _ = bench_gate.compare_time(baseline, baseline, 0.10, 0.05)
        self.assertFalse(regressed)

    def test_samples_follow_repetition_order(self):
        data = report({"BM_A": [3.0, 1.0, 2.0]})
        data["benchmarks"].reverse()
        self.assertEqual(bench_gate.samples_from_json(data), {"BM_A": [3.0, 1.0, 2.0]})

    def test_relative_samples_divide_by_the_reference_at_one_thread(self):
        samples = {"BM_F/AVX2/size:64/threads:2/real_time": [2.0, 6.0],
                   "BM_F/AVX2/size:64/threads:1/real_time": [4.0, 9.0],
                   "BM_F/reference/size:64/threads:1/real_time": [8.0, 12.0],
                   "BM_F/AVX2/size:128/threads:1/real_time": [1.0, 1.0]}
        self.assertEqual(bench_gate.relative_samples(samples, "reference"),
                         {"BM_F/AVX2/size:64/threads:2/real_time": [0.25, 0.5],
                          "BM_F/AVX2/size:64/threads:1/real_time": [0.5, 0.75]})

    def test_relative_mode_ignores_a_uniform_slowdown(self):
        name, ref = "BM_F/AVX2/k:3/threads:1/real_time", "BM_F/reference/k:3/threads:1/real_time"
        baseline = {name: [10.0, 11, 10, 12, 10], ref: [100.0, 110, 100, 120, 100]}
        loaded = {k: [2.5 * t for t in v] for k, v in baseline.items()}
        self.assertTrue(bench_gate.compare_time(baseline, loaded, 0.1, 0.05)[0])
        self.assertFalse(bench_gate.compare_time(
            bench_gate.relative_samples(baseline, "reference"),
            bench_gate.relative_samples(loaded, "reference"), 0.1, 0.05, "ratio")[0])
        slower_kernel = dict(loaded, **{name: [3.5 * t for t in baseline[name]]})
        self.assertTrue(bench_gate.compare_time(
            bench_gate.relative_samples(baseline, "reference"),
            bench_gate.relative_samples(slower_kernel, "reference"), 0.1, 0.05,
            "ratio")[0])

    def test_compare_instructions_threshold(self):
        baseline = {"corr2d/AVX2": 1000000, "forward/AVX2": 2000000}
        regressed, _ = bench_gate.compare_instructions(
            baseline, {"corr2d/AVX2": 1015000, "forward/AVX2": 1500000}, 0.02)
        self.assertFalse(regressed)
        regressed, table = bench_gate.compare_instructions(
            baseline, {"corr2d/AVX2": 1030000, "forward/AVX2": 2000000}, 0.02)
        self.assertTrue(regressed)
        self.assertIn("MORE", table)


class MainTest(unittest.TestCase):
    def test_record_then_gate_json_files(self):
        with tempfile.TemporaryDirectory() as scratch:
            def write(name, samples):
                path = os.path.join(scratch, name)
                with open(path, "w") as f:
                    json.dump(report(samples), f)
                return path
            base = write("base.json", {"BM_A": [100.0, 101, 99, 100, 102]})
            stored = os.path.join(scratch, "baseline.json")
            self.assertEqual(bench_gate.main(["--json", base, "--record", stored]), 0)
            same = write("same.json", {"BM_A": [100.0, 102, 98, 101, 100]})
            slow = write("slow.json", {"BM_A": [150.0, 151, 149, 150, 152]})
            with open(os.devnull, "w") as devnull:
                stdout, sys.stdout = sys.stdout, devnull
                try:
                    self.assertEqual(bench_gate.main(["--json", same, "--baseline", stored]), 0)
                    self.assertEqual(bench_gate.main(["--json", slow, "--baseline", stored]), 1)
                    self.assertEqual(bench_gate.main(
                        ["--json", slow, "--baseline", stored, "--filter", "BM_X"]), 0)
                finally:
                    sys.stdout = stdout


if __name__ == "__main__":
    unittest.main()
