#!/usr/bin/python3
"""The overload table of docs/reliability.md: actserver under the loads that
once took it to gigabytes and seconds-long health checks, with its memory
budget and admission control in force.

    bench/overload/overload.py --build build/test                # every load
    bench/overload/overload.py --build build/test --loads big16,unary600

For each load a fresh actserver (--memory_budget, --threads) listens on
127.0.0.1 on a port the kernel chooses; actload drives it for a bounded time
while this script samples the server's resident memory every 10 ms, one
prober asks grpc.health.v1 every 50 ms how it is, and another GETs the HTTP
liveness probe /healthz on --metrics_address every 50 ms (civetweb's
threads, not gRPC's). Printed per load: peak RSS against the budget, calls
accepted and refused (by status code), p50/p99 of the accepted calls, both
probes' p50/p99/max, and the server's CPU seconds. A Markdown table at the end; --json FILE keeps the raw figures.

Uses /usr/bin/python3 with Debian's python3-grpcio, and the build tree's
actserver and actload. Exit code 0 when every load ran, 1 otherwise.
"""

import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import threading
import time

import http.client

import grpc

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")

# name: (description, actload arguments). Sizes as in issue 7: "~64 MiB"
# requests are 16,000,000 float32 values (61 MiB: under the 64 MiB message
# limit with the framing), then 1 Mi values unary and 256 Ki per stream
# message.
LOADS = {
    "big8": ("8 concurrent ~61 MiB requests, one connection each",
             ["--size=16000000", "--concurrency=8", "--connections=8"]),
    "big16": ("16 concurrent ~61 MiB requests",
              ["--size=16000000", "--concurrency=16", "--connections=16"]),
    "big32": ("32 concurrent ~61 MiB requests",
              ["--size=16000000", "--concurrency=32", "--connections=32"]),
    "big64": ("64 concurrent ~61 MiB requests",
              ["--size=16000000", "--concurrency=64", "--connections=64"]),
    "unary600": ("600 concurrent 1 Mi float32 calls, 8 connections",
                 ["--size=1Mi", "--concurrency=600", "--connections=8"]),
    "stream600": ("600 streams of 256 Ki float32 messages, 8 connections",
                  ["--size=256Ki", "--concurrency=600", "--connections=8",
                   "--rpc=stream"]),
    "open2x": ("open loop at 2x the measured capacity, 1 Mi float32",
               ["--size=1Mi", "--connections=8", "--max_in_flight=2000"]),
    # SIGTERM halfway through a steady load: every call the server accepted
    # must finish; calls sent after it stopped taking new ones are refused
    # (UNAVAILABLE, which clients retry elsewhere), never lost.
    "drain": ("SIGTERM halfway through 16 concurrent 64 Ki calls",
              ["--size=64Ki", "--concurrency=16", "--connections=4"]),
}


class Sampler(threading.Thread):
    """Peak resident memory of a process, sampled every 10 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        path = f"/proc/{self.pid}/statm"
        while not self.stop.is_set():
            try:
                with open(path) as f:
                    rss = int(f.read().split()[1]) * PAGE
                self.peak = max(self.peak, rss)
            except OSError:
                return
            time.sleep(0.01)


class Prober(threading.Thread):
    """Calls probe() every 50 ms until stopped: latencies in ms of the
    probes that passed, failures counted by the key probe() returns."""

    def __init__(self):
        super().__init__(daemon=True)
        self.latencies = []
        self.failures = 0
        self.failure_codes = {}
        self.stop = threading.Event()

    def probe(self):
        """None when healthy, else a short key naming the failure."""
        raise NotImplementedError

    def run(self):
        while not self.stop.is_set():
            start = time.perf_counter()
            failure = self.probe()
            if failure is None:
                self.latencies.append((time.perf_counter() - start) * 1e3)
            else:
                self.failures += 1
                self.failure_codes[failure] = self.failure_codes.get(failure, 0) + 1
            time.sleep(0.05)
        self.close()

    def close(self):
        pass


class HealthProber(Prober):
    """grpc.health.v1.Health/Check."""

    def __init__(self, target):
        super().__init__()
        self.channel = grpc.insecure_channel(target)
        self.check = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=None, response_deserializer=None)

    def probe(self):
        try:
            self.check(b"", timeout=5)
            return None
        except grpc.RpcError as e:
            return e.code().name if e.code() else "?"

    def close(self):
        self.channel.close()


class HttpProber(Prober):
    """GET /healthz, a new connection each time (as kubelet's httpGet probe
    does); a status other than 200 is a failure."""

    def __init__(self, port, path="/healthz"):
        super().__init__()
        self.port = port
        self.path = path

    def probe(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", self.path)
            response = conn.getresponse()
            response.read()
            conn.close()
        except OSError as e:
            return type(e).__name__
        return None if response.status == 200 else str(response.status)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_server(build, budget, threads, health_port=False):
    """Starts actserver with /metrics (and /healthz) on a port of its own;
    returns (process, target, health target, HTTP port). The health target
    is the --health_port listener when `health_port`, else the main port."""
    proc = subprocess.Popen(
        [str(build / "server/actserver"), "--address=127.0.0.1", "--port=0",
         f"--threads={threads}", f"--memory_budget={budget}",
         "--drain_delay=0s", "--shutdown_grace=2s",
         "--metrics_address=127.0.0.1:0"]
        + (["--health_port=0"] if health_port else []),
        stderr=subprocess.PIPE, text=True)
    # Three start-up lines: the listener, the transport (and health port),
    # the metrics port.
    lines = "".join(proc.stderr.readline() for _ in range(3))
    match = re.search(r"listening on (127\.0\.0\.1:\d+)", lines)
    http_port = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/", lines)
    if not match or not http_port:
        proc.kill()
        raise RuntimeError(f"actserver did not start: {lines!r}")
    health = match.group(1)
    if health_port:
        found = re.search(r"health-only plaintext port (127\.0\.0\.1:\d+)",
                          lines)
        if not found:
            proc.kill()
            raise RuntimeError(f"no health port in {lines!r}")
        health = found.group(1)
    # Keep draining stderr so the server never blocks on a full pipe.
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc, match.group(1), health, int(http_port.group(1))


def quantile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_actload(build, target, extra, duration):
    out = subprocess.run(
        [str(build / "client/actload"), f"--target={target}",
         f"--duration={duration}s", "--warmup=0s", "--timeout=10s",
         "--quiet", "--output=json"] + extra,
        capture_output=True, text=True, timeout=duration + 120)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"actload failed: {out.stderr[-2000:]}")


def capacity(build, budget, threads):
    """Closed-loop 1 Mi calls per second with a few in flight."""
    proc, target, _, _ = start_server(build, budget, threads)
    try:
        report = run_actload(build, target,
                             ["--size=1Mi", "--concurrency=4"], 5)
        return report["ok"] / report["elapsed_s"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_drain(build, budget, threads, duration):
    """SIGTERM at half the run; counts what the clients saw by status."""
    description, extra = LOADS["drain"]
    proc = subprocess.Popen(
        [str(build / "server/actserver"), "--address=127.0.0.1", "--port=0",
         f"--threads={threads}", f"--memory_budget={budget}",
         "--drain_delay=1s", "--shutdown_grace=10s"],
        stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    target = re.search(r"listening on (127\.0\.0\.1:\d+)", line).group(1)
    log = []
    reader = threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True)
    reader.start()
    timer = threading.Timer(duration / 2, proc.terminate)
    timer.start()
    report = run_actload(build, target, extra, duration)
    code = proc.wait(timeout=60)
    reader.join(timeout=5)
    lost = {c: n for c, n in report["errors_by_code"].items() if c != "UNAVAILABLE"}
    return {
        "load": "drain", "description": description, "budget": budget,
        "accepted": report["ok"], "errors_by_code": report["errors_by_code"],
        "refused_at_the_door": report["errors_by_code"].get("UNAVAILABLE", 0),
        "lost": sum(lost.values()), "lost_by_code": lost,
        "server_exit_code": code,
        "server_log": [l.strip() for l in log if "SIGTERM" in l or "stopped" in l],
    }


def run_load(build, name, budget, threads, duration, rps=None,
             health_port=False):
    description, extra = LOADS[name]
    if rps is not None:
        extra = extra + [f"--rps={rps:.0f}"]
        description += f" ({rps:.0f} req/s)"
    proc, target, health, http_port = start_server(build, budget, threads,
                                                   health_port)
    sampler = Sampler(proc.pid)
    prober = HealthProber(health)
    http_prober = HttpProber(http_port)
    sampler.start()
    prober.start()
    http_prober.start()
    cpu_before = cpu_seconds(proc.pid)
    try:
        report = run_actload(build, target, extra, duration)
    finally:
        cpu = cpu_seconds(proc.pid) - cpu_before
        prober.stop.set()
        http_prober.stop.set()
        prober.join()
        http_prober.join()
        sampler.stop.set()
        sampler.join()
        with open(f"/proc/{proc.pid}/status") as f:
            hwm = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) * 1024
        proc.terminate()
        proc.wait(timeout=30)
    ok_latency = report.get("ok_latency", {})
    return {
        "load": name, "description": description, "budget": budget,
        "peak_rss": max(sampler.peak, hwm),
        "accepted": report["ok"], "refused": report["errors"],
        "errors_by_code": report["errors_by_code"],
        "first_error": report["first_error"],
        "ok_p50_ms": ok_latency.get("p50_us", float("nan")) / 1e3,
        "ok_p99_ms": ok_latency.get("p99_us", float("nan")) / 1e3,
        "health_checks": len(prober.latencies),
        "health_failures": prober.failures,
        "health_failure_codes": prober.failure_codes,
        "health_p50_ms": quantile(prober.latencies, 0.5),
        "health_p99_ms": quantile(prober.latencies, 0.99),
        "health_max_ms": max(prober.latencies, default=float("nan")),
        "http_health_checks": len(http_prober.latencies),
        "http_health_failures": http_prober.failures,
        "http_health_failure_codes": http_prober.failure_codes,
        "http_health_p50_ms": quantile(http_prober.latencies, 0.5),
        "http_health_p99_ms": quantile(http_prober.latencies, 0.99),
        "http_health_max_ms": max(http_prober.latencies, default=float("nan")),
        "server_cpu_s": cpu,
    }


def parse_bytes(text):
    match = re.fullmatch(r"(\d+)\s*(B|KiB|MiB|GiB)?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: want e.g. 1GiB")
    scale = {"B": 1, None: 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    return int(match.group(1)) * scale[match.group(2)]


def mib(n):
    return f"{n / (1 << 20):,.0f} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=pathlib.Path, default=pathlib.Path("build/test"))
    parser.add_argument("--budget", default="1GiB", help="--memory_budget of the server")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--loads", default=",".join(LOADS),
                        help="comma-separated: " + ", ".join(LOADS))
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    parser.add_argument("--health_port", action="store_true",
                        help="probe health on the server's --health_port "
                             "listener (as deploy/k8s does) instead of the "
                             "main port")
    args = parser.parse_args()
    budget_bytes = parse_bytes(args.budget)
    names = [n for n in args.loads.split(",") if n]
    unknown = [n for n in names if n not in LOADS]
    if unknown:
        parser.error(f"unknown loads {unknown}; valid: {', '.join(LOADS)}")

    rows = []
    drains = []
    failed = False
    for name in names:
        try:
            if name == "drain":
                drains.append(run_drain(args.build, args.budget, args.threads,
                                        args.duration))
                print(json.dumps(drains[-1]), file=sys.stderr, flush=True)
                continue
            rps = None
            if name == "open2x":
                rps = 2 * capacity(args.build, args.budget, args.threads)
            row = run_load(args.build, name, args.budget, args.threads,
                           args.duration, rps, args.health_port)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            print(f"{name}: FAILED: {error}", file=sys.stderr)
            failed = True
            continue
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    print(f"\nactserver --memory_budget={args.budget} --threads={args.threads}, "
          f"{args.duration} s per load; `uptime`: {os.getloadavg()[0]:.1f}\n")
    print("| load | peak RSS (budget + 10%: "
          f"{mib(budget_bytes * 1.1)}) | accepted | refused | accepted p50 / p99 "
          f"| gRPC health ({'--health_port' if args.health_port else 'main port'}) "
          "p50 / p99 / max | HTTP /healthz p50 / p99 / max | server CPU |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for r in rows:
        codes = ", ".join(f"{n} {c}" for c, n in sorted(r["errors_by_code"].items())) or "0"
        print(f"| {r['description']} | {mib(r['peak_rss'])} | {r['accepted']} | {codes} "
              f"| {r['ok_p50_ms']:.0f} / {r['ok_p99_ms']:.0f} ms "
              f"| {r['health_p50_ms']:.1f} / {r['health_p99_ms']:.1f} / "
              f"{r['health_max_ms']:.1f} ms ({r['health_failures']} failed) "
              f"| {r['http_health_p50_ms']:.1f} / {r['http_health_p99_ms']:.1f} / "
              f"{r['http_health_max_ms']:.1f} ms ({r['http_health_failures']} failed) "
              f"| {r['server_cpu_s']:.1f} s |")
    for d in drains:
        print(f"\n{d['description']}: {d['accepted']} calls completed, "
              f"{d['refused_at_the_door']} refused at the door (UNAVAILABLE, "
              f"retryable), {d['lost']} lost {d['lost_by_code'] or ''}; "
              f"server exit code {d['server_exit_code']}")
        for line in d["server_log"]:
            print(f"    {line}")
    if args.json:
        args.json.write_text(json.dumps(rows + drains, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
