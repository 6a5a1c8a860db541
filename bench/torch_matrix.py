#!/usr/bin/python3
"""Every elementwise function beside PyTorch, interleaved: the issue-8 table.

Run with Debian's interpreter (python3-torch):

  /usr/bin/python3 bench/torch_matrix.py --bench build/test/bench/activation_benchmark \
      [--dtypes f32,f64] [--sizes 1Mi,16Mi] [--dispatches default,avx512] [--rounds 3] \
      [--functions gelu,silu] [--json out.json]

bench/torch_compare.py times all of PyTorch first and all of ours after, so
a change of machine load between the two halves moves every ratio. Here the
measurements are interleaved: in each round, for each function, PyTorch's
forward and backward are timed in one worker process per dispatch (PyTorch
reads ATEN_CPU_CAPABILITY once, at import: "default" leaves it unset,
"avx512" sets it), then ours in a fresh activation_benchmark run filtered to
that function. Every figure is CPU time of one thread (time.thread_time here,
Google Benchmark's CPU time there). A ratio is formed within each round and
the table gives the median over the rounds, with the range when it crosses
1.0 (or 1.3 for our own derivative modes against our forward).

Columns: forward against PyTorch's forward; backward against PyTorch's
backward of the same input (from y for sigmoid and tanh, where PyTorch has no
backward from x; from x otherwise); and our derivative, forward_and_derivative
and backward from x as multiples of our forward's time (issue 8: <= 1.3x).

logsigmoid (session 23): PyTorch's log_sigmoid_backward(grad, x, buffer)
reads the buffer its forward stored (exp(-|x|)), so it computes no
exponential; it is a backward from the forward's saved state. Ours from y
consumes what our forward returned (y, from which f' = -expm1(y)), which is
the same contract: its row is "logsigmoid", "bwd from" = "x+buf / ours y".
Our backward from x alone (an exponential of its own) is the row
"logsigmoid (ours from x)", against the same PyTorch call.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"1Mi": 1 << 20, "16Mi": 1 << 24}
DISPATCH_ENV = {"default": None, "avx512": "avx512", "avx2": "avx2"}
OUR_MODES = ["forward", "derivative", "forward_and_derivative", "backward",
             "backward_from_output"]
# Functions whose PyTorch backward reads state its forward saved (not x
# alone): our backward from y is the mode that matches it, and the table
# adds a second row for our backward from x. name -> what PyTorch reads.
FROM_SAVED_STATE = {"logsigmoid": "x+buf"}


# ---------------------------------------------------------------------------
# Worker: one per PyTorch dispatch. Reads "dtype size function" lines, answers
# one JSON line each.

def worker():
    import torch
    sys.path.insert(0, HERE)
    import torch_compare as tc
    torch.set_num_threads(1)
    cap = [l.strip() for l in torch.__config__.show().splitlines()
           if "CPU capability" in l][0]
    tensors = {}
    for line in sys.stdin:
        dtype, size, name = line.split()
        key = (dtype, size)
        if key not in tensors:
            tensors.clear()  # one set at a time: 16 Mi float64 x 5 is 640 MiB
            n = SIZES[size]
            dt = {"f32": torch.float32, "f64": torch.float64}[dtype]
            gen = torch.Generator().manual_seed(20240601)
            x = torch.randn(n, generator=gen, dtype=dt) * 3
            g = torch.randn(n, generator=gen, dtype=dt)
            out, tmp, y = (torch.empty(n, dtype=dt) for _ in range(3))
            tensors[key] = (tc.torch_cases(x, g, y, out, tmp), y)
        cases, y = tensors[key]
        if name not in cases:
            print(json.dumps({"error": "unknown function " + name}), flush=True)
            continue
        fwd, bwd, bwd_from, make_y = cases[name]
        if make_y is not None:
            y.copy_(make_y())
        n = SIZES[size]
        tf = tc.time_op(fwd, reps=3, min_seconds=0.15)
        tb = tc.time_op(bwd, reps=3, min_seconds=0.15)
        print(json.dumps({"fwd": n / tf / 1e9, "bwd": n / tb / 1e9,
                          "from": bwd_from, "capability": cap,
                          "version": torch.__version__}), flush=True)


class Worker:
    def __init__(self, dispatch):
        env = dict(os.environ)
        env.pop("ATEN_CPU_CAPABILITY", None)
        if DISPATCH_ENV[dispatch]:
            env["ATEN_CPU_CAPABILITY"] = DISPATCH_ENV[dispatch]
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def time(self, dtype, size, name):
        self.proc.stdin.write("%s %s %s\n" % (dtype, size, name))
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("torch worker died (ATEN_CPU_CAPABILITY not supported here?)")
        answer = json.loads(line)
        if "error" in answer:
            sys.exit(answer["error"])
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def ours(bench, dtype, size, name):
    filt = "^ours/%s/(%s)/%s/t1/%s$" % (name, "|".join(OUR_MODES), dtype, size)
    cmd = [bench, "--benchmark_filter=" + filt, "--benchmark_min_time=0.15",
           "--benchmark_format=json"]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                    text=True).stdout)
    got = {}
    for b in res["benchmarks"]:
        mode = b["run_name"].split("/")[2]
        got[mode] = b["items_per_second"] / 1e9
    return got


def median_range(values):
    return statistics.median(values), min(values), max(values)


def fmt_ratio(values, line):
    if not values:
        return "-"
    med, lo, hi = median_range(values)
    text = "%.2f×" % med
    if lo < line <= hi or lo <= line < hi:
        text += " (%.2f–%.2f)" % (lo, hi)
    return text


def table(dtype, size, names, dispatches, rows):
    """rows[name] = list of per-round dicts."""
    head = ["function"]
    for d in dispatches:
        head += ["torch fwd %s" % d]
    head += ["ours fwd"]
    head += ["fwd / torch %s" % d for d in dispatches]
    head += ["bwd from"] + ["torch bwd %s" % d for d in dispatches] + ["ours bwd"]
    head += ["bwd / torch %s" % d for d in dispatches]
    head += ["deriv / fwd time", "f+d / fwd time", "bwd / fwd time"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    geo = {d: [] for d in dispatches}
    below = {d: [] for d in dispatches}
    slow_modes = []
    lines = []
    for name in names:
        if name in FROM_SAVED_STATE:
            lines.append((name, name, "backward_from_output", FROM_SAVED_STATE[name] + " / ours y"))
            lines.append((name, name + " (ours from x)", "backward", FROM_SAVED_STATE[name] + " / ours x"))
        else:
            lines.append((name, name, None, None))
    for name, label, our_bwd_mode, src in lines:
        rounds = rows[name]
        cell = lambda vals: "%.3f" % statistics.median(vals) if vals else "-"
        out = [label]
        extra_line = label != name  # the forward was counted on the first line
        for d in dispatches:
            out.append(cell([r["torch"][d]["fwd"] for r in rounds]))
        out.append(cell([r["ours"]["forward"] for r in rounds]))
        for d in dispatches:
            ratios = [r["ours"]["forward"] / r["torch"][d]["fwd"] for r in rounds]
            if not extra_line:
                geo[d].append(statistics.median(ratios))
                if statistics.median(ratios) < 1.0:
                    below[d].append("%s fwd %.2f×" % (name, statistics.median(ratios)))
            out.append(fmt_ratio(ratios, 1.0))
        if our_bwd_mode is None:
            src = rounds[0]["torch"][dispatches[0]]["from"]
            our_bwd_mode = "backward_from_output" if src == "y" else "backward"
        out.append(src)
        for d in dispatches:
            out.append(cell([r["torch"][d]["bwd"] for r in rounds]))
        have_bwd = all(our_bwd_mode in r["ours"] for r in rounds)
        out.append(cell([r["ours"][our_bwd_mode] for r in rounds]) if have_bwd else "-")
        for d in dispatches:
            if not have_bwd:
                out.append("-")
                continue
            ratios = [r["ours"][our_bwd_mode] / r["torch"][d]["bwd"] for r in rounds]
            if statistics.median(ratios) < 1.0:
                below[d].append("%s bwd %.2f×" % (label, statistics.median(ratios)))
            out.append(fmt_ratio(ratios, 1.0))
        for mode in ["derivative", "forward_and_derivative", "backward"]:
            # time(mode) / time(forward) = rate(forward) / rate(mode)
            ratios = [r["ours"]["forward"] / r["ours"][mode] for r in rounds
                      if mode in r["ours"]]
            if ratios and statistics.median(ratios) > 1.3 and not extra_line:
                slow_modes.append("%s %s %.2f×" % (name, mode, statistics.median(ratios)))
            out.append(fmt_ratio(ratios, 1.3))
        print("| " + " | ".join(out) + " |")
    print()
    kind = {"f32": "float32", "f64": "float64"}[dtype]
    print("G elements/s, %s %s, one thread, medians over rounds." % (size.replace("Mi", " Mi"), kind))
    for d in dispatches:
        print("Geometric mean of the forward ratios against PyTorch %s: %.2f× over %d functions."
              % (d, statistics.geometric_mean(geo[d]), len(geo[d])))
        print("Below 1.0× against PyTorch %s: %s." % (d, ", ".join(below[d]) or "none"))
    print("Our modes above 1.3× our forward's time: %s." % (", ".join(slow_modes) or "none"))
    print()


def main():
    if "--worker" in sys.argv:
        worker()
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="activation_benchmark binary")
    ap.add_argument("--dtypes", default="f32,f64")
    ap.add_argument("--sizes", default="1Mi,16Mi")
    ap.add_argument("--dispatches", default="default,avx512",
                    help="PyTorch dispatches: default (ATEN_CPU_CAPABILITY unset), avx512, avx2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--functions", help="comma-separated subset (default: all)")
    ap.add_argument("--json", help="write every round's figures here")
    args = ap.parse_args()
    dtypes = args.dtypes.split(",")
    sizes = args.sizes.split(",")
    dispatches = args.dispatches.split(",")
    for value, valid, flag in [(dtypes, ["f32", "f64"], "--dtypes"),
                               (sizes, list(SIZES), "--sizes"),
                               (dispatches, list(DISPATCH_ENV), "--dispatches")]:
        bad = sorted(set(value) - set(valid))
        if bad:
            ap.error("%s: unknown %s; valid: %s" % (flag, ", ".join(bad), ", ".join(valid)))
    if args.rounds < 1:
        ap.error("--rounds: %d; must be >= 1" % args.rounds)
    sys.path.insert(0, HERE)
    import torch
    import torch_compare as tc
    names = list(tc.torch_cases(*[torch.empty(1)] * 5))
    if args.functions:
        wanted = args.functions.split(",")
        bad = sorted(set(wanted) - set(names))
        if bad:
            ap.error("--functions: unknown %s; valid: %s" % (", ".join(bad), ", ".join(names)))
        names = [n for n in names if n in wanted]

    workers = {d: Worker(d) for d in dispatches}
    everything = {}
    try:
        print("```")
        print(" ".join(["/usr/bin/python3", "bench/torch_matrix.py"] + sys.argv[1:]))
        print("```")
        for dtype in dtypes:
            for size in sizes:
                rows = {n: [] for n in names}
                caps = {}
                for r in range(args.rounds):
                    for name in names:
                        t = {}
                        for d in dispatches:
                            t[d] = workers[d].time(dtype, size, name)
                            caps[d] = "%s (%s)" % (t[d]["capability"], t[d]["version"])
                        rows[name].append({"torch": t, "ours": ours(args.bench, dtype, size, name)})
                    print("round %d/%d of %s %s done (load %s)" % (
                        r + 1, args.rounds, dtype, size,
                        " ".join(open("/proc/loadavg").read().split()[:3])), file=sys.stderr)
                print("#### %s, %s\n" % ({"f32": "float32", "f64": "float64"}[dtype],
                                          size.replace("Mi", " Mi")))
                print("PyTorch: " + "; ".join("%s = %s" % kv for kv in caps.items()) + ".\n")
                table(dtype, size, names, dispatches, rows)
                everything["%s/%s" % (dtype, size)] = rows
    finally:
        for w in workers.values():
            w.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1)


if __name__ == "__main__":
    main()
