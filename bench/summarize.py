#!/usr/bin/python3
"""Markdown tables from activation_benchmark's JSON output.

  activation_benchmark --benchmark_filter=... --benchmark_format=json \
      --benchmark_repetitions=5 --benchmark_report_aggregates_only=true > run.json
  bench/summarize.py main run.json [more runs...] [--size 1Mi --dtype f32 --threads t1]
      # one size/dtype/threads: ours vs the scalar loop vs the copy; with more
      # runs, the range of each ratio over all of them
  bench/summarize.py scaling run.json [--size 16Mi --dtype f32]
      # one thread vs all threads, per function and mode
  bench/summarize.py matrix run.json
      # every size and thread count, per mode and dtype

Figures are G elements/s: medians when the run has aggregates, else the one
run's value. Ratios are of elements/s. Only the standard library is used.
"""

import argparse
import json
from collections import defaultdict

SIZES = ["1Ki", "64Ki", "1Mi", "16Mi"]
MODES = ["forward", "derivative", "forward_and_derivative", "backward", "backward_from_output"]


ELEMENTS = {"1Ki": 1 << 10, "64Ki": 1 << 16, "1Mi": 1 << 20, "16Mi": 1 << 24}
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def load(paths, clock="own"):
    """{(kind, fn, mode, dtype, threads, size): G elements/s} and the context.

    clock: "own" takes each benchmark's items_per_second (CPU time for the
    one-thread runs, wall time for the parallel ones); "real" recomputes every
    rate from wall time, so that one-thread and parallel runs compare alike.
    """
    rates, context = {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        context = data.get("context", context)
        for b in data["benchmarks"]:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            if b.get("error_occurred"):
                continue
            parts = b["run_name"].split("/")
            if parts[-1] == "real_time":
                parts = parts[:-1]
            if parts[0].startswith("copy_"):
                continue  # the two-output / two-input byte baselines: not tabled here
            if parts[0] == "copy":
                key = ("copy", "copy", "copy", parts[1], parts[2], parts[3])
            else:
                key = tuple(parts[:6])
            if clock == "real":
                seconds = b["real_time"] * UNIT_SECONDS[b["time_unit"]]
                rates[key] = ELEMENTS[key[5]] / seconds / 1e9
            else:
                rates[key] = b["items_per_second"] / 1e9
    return rates, context


def functions(rates):
    seen = []
    for k in rates:
        if k[0] != "copy" and k[1] not in seen:
            seen.append(k[1])
    return seen


def fmt(v):
    return "-" if v is None else ("%.3f" % v if v < 10 else "%.2f" % v)


def ratio(a, b):
    return "-" if a is None or b is None else "%.2f×" % (a / b) if a / b < 10 else "%.1f×" % (a / b)


def main_table(runs, dtype="f32", threads="t1", size="1Mi"):
    """Figures of the first run; with more runs, the range of the ratios over
    all of them (the spread a shared machine gives)."""
    rates = runs[0]
    copy_key = ("copy", "copy", "copy", dtype, threads, size)
    copy = rates.get(copy_key)
    print("copy of the same bytes (memcpy, %s %s %s): %s G elements/s%s\n" % (
        size, dtype, threads, fmt(copy),
        "" if len(runs) == 1 else " (runs: %s)" % ", ".join(fmt(r.get(copy_key)) for r in runs)))

    def spread(fn, mode, base):
        vals = []
        for r in runs:
            a = r.get(("ours", fn, mode, dtype, threads, size))
            b = r.get(base if base[0] == "copy" else ("scalar", fn, mode, dtype, threads, size))
            if a and b:
                vals.append(a / b)
        if len(vals) < 2:
            return ""
        return " | %.2f–%.2f" % (min(vals), max(vals))

    many = len(runs) > 1
    for mode in MODES:
        rows = [(fn, rates.get(("ours", fn, mode, dtype, threads, size)),
                 rates.get(("scalar", fn, mode, dtype, threads, size)))
                for fn in functions(rates)]
        rows = [r for r in rows if r[1] is not None]
        if not rows:
            continue
        print("**%s** (%s, %s, %s)\n" % (mode, size, dtype, threads))
        if many:
            print("| function | ours G/s | scalar loop G/s | ours / scalar | range over %d runs "
                  "| ours / copy | range over %d runs |" % (len(runs), len(runs)))
            print("|---|---:|---:|---:|---:|---:|---:|")
        else:
            print("| function | ours G/s | scalar loop G/s | ours / scalar | ours / copy |")
            print("|---|---:|---:|---:|---:|")
        for fn, ours, scalar in rows:
            s_sc = spread(fn, mode, ("scalar",)) if many else ""
            s_cp = spread(fn, mode, copy_key) if many else ""
            if many and not s_sc and scalar is None:
                s_sc = " | -"
            print("| %s | %s | %s | %s%s | %s%s |" % (fn, fmt(ours), fmt(scalar),
                                                     ratio(ours, scalar), s_sc or (" | -" if many else ""),
                                                     ratio(ours, copy), s_cp or (" | -" if many else "")))
        print()


def scaling_table(rates, dtype="f32", size="16Mi"):
    threads = sorted({k[4] for k in rates if k[4] != "t1"})
    if not threads:
        print("(no parallel runs)")
        return
    tn = threads[0]
    print("| benchmark | t1 G/s | %s G/s | %s / t1 |" % (tn, tn))
    print("|---|---:|---:|---:|")
    c1 = rates.get(("copy", "copy", "copy", dtype, "t1", size))
    cn = rates.get(("copy", "copy", "copy", dtype, tn, size))
    if c1 or cn:
        print("| copy | %s | %s | %s |" % (fmt(c1), fmt(cn), ratio(cn, c1)))
    for mode in MODES:
        for fn in functions(rates):
            a = rates.get(("ours", fn, mode, dtype, "t1", size))
            b = rates.get(("ours", fn, mode, dtype, tn, size))
            if a is None and b is None:
                continue
            print("| %s %s | %s | %s | %s |" % (fn, mode, fmt(a), fmt(b), ratio(b, a)))
    print("\n%s %s, G elements/s." % (size, dtype))


def matrix_table(rates):
    threads = sorted({k[4] for k in rates})
    cols = [(s, t) for s in SIZES for t in threads]
    for dtype in ("f32", "f64"):
        for mode in MODES:
            rows = []
            for kind in ("copy", "ours", "scalar"):
                for fn in (["copy"] if kind == "copy" else functions(rates)):
                    m = "copy" if kind == "copy" else mode
                    vals = [rates.get((kind, fn, m, dtype, t, s)) for s, t in cols]
                    if any(v is not None for v in vals):
                        rows.append(("%s %s" % (kind, fn) if kind != "copy" else "copy", vals))
            if len(rows) <= 1:
                continue
            print("**%s %s** (G elements/s)\n" % (mode, dtype))
            print("| | " + " | ".join("%s %s" % c for c in cols) + " |")
            print("|---|" + "---:|" * len(cols))
            for name, vals in rows:
                print("| %s | %s |" % (name, " | ".join(fmt(v) for v in vals)))
            print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("table", choices=["main", "scaling", "matrix"])
    ap.add_argument("json", nargs="+", help="main: the first is quoted, the others give ranges; "
                    "scaling and matrix: merged")
    ap.add_argument("--dtype", default="f32")
    ap.add_argument("--size", help="default: 1Mi for main, 16Mi for scaling")
    ap.add_argument("--threads", default="t1", help="main only")
    ap.add_argument("--clock", choices=["own", "real"],
                    help="default: real for scaling (wall time on both sides), else own")
    args = ap.parse_args()
    clock = args.clock or ("real" if args.table == "scaling" else "own")
    runs = []
    for path in args.json:
        rates, context = load([path], clock)
        runs.append(rates)
    rates, context = load(args.json[:1], clock)
    if context:
        print("<!-- %s; simd_target=%s; engine_threads=%s; load_avg=%s; clock=%s -->\n" % (
            context.get("date"), context.get("simd_target"), context.get("engine_threads"),
            context.get("load_avg"), clock))
    if args.table == "main":
        main_table(runs, args.dtype, args.threads, args.size or "1Mi")
    elif args.table == "scaling":
        scaling_table(rates, args.dtype, args.size or "16Mi")
    else:
        matrix_table(rates)


if __name__ == "__main__":
    main()
