#!/usr/bin/python3
"""What metrics and the access log cost on the small-request rate.

Runs actload (closed loop, small requests) against actserver configurations in
interleaved rounds -- A B C D, A B C D, ... -- so that the machine's changing
load falls on all of them alike, and prints for each configuration the median
request rate and the median server CPU time per request (utime + stime of the
actserver process over the run, from /proc, divided by the requests served),
each with its ratio to the baseline's median. On a shared machine the rate
swings with other people's load; CPU per request is what the code costs and
moves far less.

  baseline     an actserver built WITHOUT the observability code (--baseline,
               e.g. built from the main branch before it landed)
  recording    this actserver, no flags: the registry records every request
               (it always does), no endpoint, access log off
  scraped      this actserver with --metrics_address, scraped every second
               (Prometheus's usual interval is 15 s: this is the worst case)
  access_log   as scraped, plus --access_log to a file

  metrics_cost.py --baseline OLD_ACTSERVER --actserver ACTSERVER --actload ACTLOAD
                  [--rounds 7] [--seconds 4] [--size 16] [--concurrency 8]
                  [--rps N] [--json FILE]

--rps N runs actload in open loop at N requests/s instead of as fast as it
can: every configuration then serves the same rate, and the CPU per request
is compared at equal load.

Every process is ours, on 127.0.0.1, and bounded in time.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def start_server(binary, flags, workdir):
    err = open(os.path.join(workdir, f"server-{time.time_ns()}.err"), "w+")
    proc = subprocess.Popen([binary, "--address=127.0.0.1", "--port=0",
                             "--threads=1", *flags], stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline:
        err.seek(0)
        text = err.read()
        grpc = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
        metrics = re.search(r"metrics on http://127\.0\.0\.1:(\d+)", text)
        wants_metrics = any(f.startswith("--metrics_address") for f in flags)
        if grpc and (metrics or not wants_metrics):
            return proc, int(grpc.group(1)), int(metrics.group(1)) if metrics else 0
        if proc.poll() is not None:
            raise RuntimeError(f"{binary} exited: {text}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{binary} printed no port")


class Scraper(threading.Thread):
    """GETs /metrics every second until stopped."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop, self.scrapes = port, threading.Event(), 0

    def run(self):
        while not self.stop.wait(1.0):
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                r.read()
            self.scrapes += 1


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat (fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_round(args, name, binary, flags, workdir):
    """(requests/s, server CPU microseconds per request) of one run."""
    proc, port, metrics_port = start_server(binary, flags, workdir)
    scraper = Scraper(metrics_port) if metrics_port else None
    try:
        if scraper:
            scraper.start()
        cpu_before = cpu_seconds(proc.pid)
        # No warm-up: every request the server's CPU time covers is counted.
        out = subprocess.run(
            [args.actload, f"--target=127.0.0.1:{port}", f"--size={args.size}",
             f"--concurrency={args.concurrency}", f"--duration={args.seconds}s",
             "--warmup=0s", "--output=json"]
            + ([f"--rps={args.rps}"] if args.rps else []),
            capture_output=True, text=True, timeout=args.seconds + 60, check=True)
        cpu = cpu_seconds(proc.pid) - cpu_before
        result = json.loads(out.stdout)
        if result["errors"]:
            raise RuntimeError(f"{name}: {result['errors']} errors")
        return result["requests_per_s"], cpu * 1e6 / max(result["ok"], 1)
    finally:
        if scraper:
            scraper.stop.set()
            scraper.join()
        proc.terminate()
        proc.wait(timeout=30)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--baseline", required=True)
    p.add_argument("--actserver", required=True)
    p.add_argument("--actload", required=True)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rps", type=float, default=0)
    p.add_argument("--json")
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="actsvc-cost-")
    log_file = os.path.join(workdir, "access.jsonl")
    configs = [
        ("baseline", args.baseline, []),
        ("recording", args.actserver, []),
        ("scraped", args.actserver, ["--metrics_address=127.0.0.1:0"]),
        ("access_log", args.actserver,
         ["--metrics_address=127.0.0.1:0", f"--access_log={log_file}"]),
    ]
    rates = {name: [] for name, _, _ in configs}
    cpus = {name: [] for name, _, _ in configs}
    load = [os.getloadavg()[0]]
    for r in range(args.rounds):
        for name, binary, flags in configs:
            rate, cpu = run_round(args, name, binary, flags, workdir)
            rates[name].append(rate)
            cpus[name].append(cpu)
            if name == "access_log" and os.path.exists(log_file):
                os.remove(log_file)  # keep the file system's state alike
        load.append(os.getloadavg()[0])
        print(f"round {r + 1}: " + ", ".join(
            f"{n} {rates[n][-1]:.0f}/s {cpus[n][-1]:.1f}us" for n, _, _ in configs),
              file=sys.stderr)

    base = statistics.median(rates["baseline"])
    base_cpu = statistics.median(cpus["baseline"])
    summary = {"size": args.size, "concurrency": args.concurrency, "rps": args.rps,
               "seconds": args.seconds, "rounds": args.rounds,
               "loadavg_1m_min_max": [min(load), max(load)], "configs": {}}
    loop = f"open loop at {args.rps:g}/s" if args.rps else \
        f"closed loop, concurrency {args.concurrency}"
    print(f"small requests ({args.size} float32 values), {loop}, "
          f"{args.rounds} interleaved rounds of {args.seconds:g} s, "
          f"server --threads=1; load average {min(load):.1f}..{max(load):.1f}")
    print(f"{'configuration':<12} {'req/s':>8} {'ratio':>6} {'CPU us/req':>11} "
          f"{'ratio':>6}   rounds (req/s)")
    for name, _, _ in configs:
        median = statistics.median(rates[name])
        cpu = statistics.median(cpus[name])
        summary["configs"][name] = {
            "median_rps": round(median, 1), "rps_ratio": round(median / base, 4),
            "median_cpu_us_per_request": round(cpu, 2),
            "cpu_ratio": round(cpu / base_cpu, 4),
            "rounds_rps": [round(x, 1) for x in rates[name]],
            "rounds_cpu_us": [round(x, 2) for x in cpus[name]]}
        print(f"{name:<12} {median:>8.0f} {median / base:>6.3f} {cpu:>11.2f} "
              f"{cpu / base_cpu:>6.3f}   " + " ".join(f"{x:.0f}" for x in rates[name]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
