#!/usr/bin/python3
"""Instructions the server executes per small request, with and without the
observability code: a figure that does not move with the machine's load.

Each configuration runs under valgrind's callgrind: after a warm-up of
--warmup requests its counters are zeroed (callgrind_control --zero), actload
sends --requests requests one at a time, the counters are dumped, and the
instructions executed (Ir, every thread of the server) are divided by the
requests. gRPC's and oneTBB's threads also execute instructions while the
server waits (timers, polling), in proportion to wall time, which valgrind
stretches unevenly: so the server's idle rate is measured too (counters
zeroed, --idle seconds without requests, dumped) and its share over the
load's wall time subtracted. The baseline runs first and last, which shows
the figure's reproducibility. Configurations, as in metrics_cost.py:

  baseline     an actserver built WITHOUT the observability code (--baseline)
  recording    this actserver, no flags (the registry records every request)
  access_log   this actserver with --access_log to a file

(A scrape is a separate, per-scrape cost: see metrics_benchmark's
BM_RenderScrape.) Needs Debian's valgrind.

  instructions_per_request.py --baseline OLD_ACTSERVER --actserver ACTSERVER
                              --actload ACTLOAD [--requests 3000] [--json FILE]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time


def start(binary, flags, workdir, name):
    out = os.path.join(workdir, f"{name}.callgrind")
    err_path = os.path.join(workdir, f"{name}.err")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         "--dump-instr=no", "--collect-atstart=yes", binary,
         "--address=127.0.0.1", "--port=0", "--threads=1", *flags],
        stderr=open(err_path, "w"))
    deadline = time.time() + 300
    while time.time() < deadline:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(err_path).read())
        if m:
            return proc, int(m.group(1)), out
        if proc.poll() is not None:
            raise RuntimeError(open(err_path).read())
        time.sleep(0.2)
    raise RuntimeError(f"{name}: no port under valgrind")


def actload(args, port, total):
    out = subprocess.run(
        [args.actload, f"--target=127.0.0.1:{port}", f"--size={args.size}",
         "--concurrency=1", f"--total={total}", "--duration=600s",
         "--warmup=0s", "--timeout=60s", "--output=json"],
        capture_output=True, text=True, timeout=900, check=True)
    result = json.loads(out.stdout)
    if result["errors"] or result["ok"] != total:
        raise RuntimeError(f"actload: {result['ok']} ok, {result['errors']} errors")


def total_ir(pattern):
    """Sum of the 'totals:' lines of every dump file written so far."""
    total = 0
    for path in glob.glob(pattern):
        for line in open(path):
            if line.startswith("totals:") or line.startswith("summary:"):
                total += int(line.split()[1])
                break
    return total


def control(pid, what):
    subprocess.run(["callgrind_control", what, str(pid)], check=True,
                   capture_output=True, timeout=120)


def dumped_ir(pid, out, name):
    """Dumps the counters and returns the instructions in the new dump."""
    before = set(glob.glob(out + "*"))
    control(pid, "--dump")
    new = sorted(set(glob.glob(out + "*")) - before)
    if not new:
        raise RuntimeError(f"{name}: callgrind wrote no dump")
    return sum(total_ir(p) for p in new)


def measure(args, name, binary, flags, workdir):
    """(net, raw) instructions per request."""
    proc, port, out = start(binary, flags, workdir, name)
    try:
        actload(args, port, args.warmup)
        control(proc.pid, "--zero")
        t0 = time.time()
        time.sleep(args.idle)
        idle_rate = dumped_ir(proc.pid, out, name) / (time.time() - t0)
        control(proc.pid, "--zero")
        t0 = time.time()
        actload(args, port, args.requests)
        ir = dumped_ir(proc.pid, out, name)
        wall = time.time() - t0
        return (ir - idle_rate * wall) / args.requests, ir / args.requests
    finally:
        proc.terminate()
        proc.wait(timeout=300)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--baseline", required=True)
    p.add_argument("--actserver", required=True)
    p.add_argument("--actload", required=True)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--idle", type=float, default=5)
    p.add_argument("--json")
    args = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="actsvc-ir-")
    configs = [
        ("baseline", args.baseline, []),
        ("recording", args.actserver, []),
        ("access_log", args.actserver,
         [f"--access_log={os.path.join(workdir, 'access.jsonl')}"]),
        ("baseline again", args.baseline, []),
    ]
    results = {}
    for name, binary, flags in configs:
        results[name] = measure(args, name, binary, flags, workdir)
        print(f"{name}: {results[name][0]:.0f} net, {results[name][1]:.0f} raw "
              "instructions/request", file=sys.stderr)
    base = (results["baseline"][0] + results["baseline again"][0]) / 2
    print(f"server instructions per request (callgrind Ir, all threads, idle "
          f"share subtracted), {args.requests} requests of {args.size} float32 "
          "values, one at a time")
    print(f"{'configuration':<15} {'Ir/request':>11} {'vs baseline mean':>17} "
          f"{'raw Ir/request':>15}")
    for name, _, _ in configs:
        net, raw = results[name]
        print(f"{name:<15} {net:>11.0f} {net / base:>17.4f} {raw:>15.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"requests": args.requests, "size": args.size,
                       "net_and_raw_ir_per_request": results}, f, indent=1)


if __name__ == "__main__":
    main()
