#!/usr/bin/python3
"""actload's request rate and cost against h2load's, same server, same requests.

    bench/actload_vs_h2load.py --actserver build/test/server/actserver \\
        --actload build/test/client/actload [--baseline OTHER_ACTLOAD] \\
        [--sizes 16,1024] [--rounds 5] [--seconds 3]
    bench/actload_vs_h2load.py ... --instructions [--floor build/test/bench/unary_floor_client]

Rates (the default): for each size, one actserver (--threads=2, loopback,
free port); h2load (Debian nghttp2-client) posts a prebuilt gRPC frame of a
Compute request (sigmoid, forward, raw float32) on `--connections`
connections with `--streams` streams each; actload sends the same request,
unary, on as many connections with connections x streams calls in flight
(and so does the `--baseline` binary, e.g. an older actload). Each round runs every tool once, in an order
rotated from round to round; each figure is requests/s over `--seconds`, and
the table gives medians and ranges, the median of the per-round ratios to
h2load, and the CPU per request of each tool (getrusage of the child: user +
system; actload's own figure, measured phase only) and of the server in the
same run (/proc/PID/stat). Every h2load response must be a 2xx; actload must
report no errors.

--instructions: the instructions each client executes per request, counted
by callgrind (valgrind), which does not depend on the machine's load: each
client makes N and 3N calls (one in flight, then `--streams`), and the
difference over 2N is its cost per call, start-up excluded. With --floor,
also bench/unary_floor_client: the least gRPC's callback API and its
completion-queue API (with the same lean channel as actload) do per call.
"""

import argparse
import json
import os
import re
import resource
import statistics
import struct
import subprocess
import sys
import tempfile

import numpy as np


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def compute_frame(size, seed=1):
    """A gRPC-framed ComputeRequest (sigmoid, MODE_FORWARD, raw float32)."""
    x = np.random.default_rng(seed).uniform(-8, 8, size).astype("<f4")
    raw = b"\x08\x01" + field(2, x.tobytes())  # dtype FLOAT32, data
    tensor = field(1, varint(size)) + field(4, raw)
    request = field(2, b"sigmoid") + b"\x20\x01" + field(5, tensor)
    return b"\x00" + struct.pack(">I", len(request)) + request


def start_server(actserver):
    proc = subprocess.Popen([actserver, "--port=0", "--address=127.0.0.1",
                             "--threads=2"], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        match = re.search(r"listening on (\S+?),", line)
        if match:
            return proc, match.group(1)
    raise RuntimeError("actserver did not start")


def h2load_argv(target, body, connections, streams, seconds=None, total=None):
    limit = ["-D", f"{seconds:g}", "--warm-up-time=500ms"] if seconds else ["-n", str(total)]
    return ["h2load", *limit, "-c", str(connections), "-m", str(streams), "-t", "1",
            "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
            f"http://{target}/activation.v1.ActivationService/Compute"]


def server_cpu(pid):
    """CPU seconds the process has used (user + system, /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_cpu(argv):
    """Runs argv; returns (stdout, CPU seconds it used: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_h2load(target, body, connections, streams, seconds):
    out, cpu = child_cpu(h2load_argv(target, body, connections, streams, seconds=seconds))
    rate = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out).group(1))
    status = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out)
    if not status or int(status.group(1)) == 0 or int(done.group(1)) != int(done.group(2)):
        raise RuntimeError("h2load had failures:\n" + out)
    # Warm-up included in its CPU: count its requests too (rate x duration
    # underestimates them only by the warm-up's share).
    return rate, 1e6 * cpu / (rate * (seconds + 0.5))


def actload_argv(actload, target, size, connections, in_flight, extra):
    return [actload, f"--target={target}", f"--size={size}", "--rpc=unary",
            f"--connections={connections}", f"--concurrency={in_flight}",
            "--quiet", *extra]


def run_actload(argv, seconds):
    out = subprocess.run(argv + [f"--duration={seconds:g}s", "--warmup=500ms",
                                 "--output=json"],
                         capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    if report["errors"]:
        raise RuntimeError(f"actload had errors: {report['first_error']}")
    return report["requests_per_s"], report["cpu_us_per_request"]


def instructions(argv):
    """Instructions callgrind counts for argv (every thread)."""
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(["valgrind", "--tool=callgrind",
                              f"--callgrind-out-file={d}/cg.out", *argv],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed under callgrind:\n{out.stderr}")
        return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def per_call(make_argv, n):
    """Instructions per call: (I(3n) - I(n)) / 2n."""
    return (instructions(make_argv(3 * n)) - instructions(make_argv(n))) / (2 * n)


def uptime():
    with open("/proc/loadavg") as f:
        return "load average " + " ".join(f.read().split()[:3])


def instruction_table(args, target, body, size, streams):
    tools = [("h2load", lambda c: lambda n: h2load_argv(
        target, body, 1, c, total=n))]
    tools.append(("actload", lambda c: lambda n: actload_argv(
        args.actload, target, size, 1, c,
        [f"--total={n}", "--duration=0", "--warmup=0s"])))
    if args.baseline:
        tools.append(("baseline actload", lambda c: lambda n: actload_argv(
            args.baseline, target, size, 1, c,
            [f"--total={n}", "--duration=0", "--warmup=0s"])))
    if args.floor:
        floor = lambda c, extra: lambda n: [
            args.floor, f"--target={target}", f"--size={size}",
            f"--concurrency={c}", f"--total={n}", *extra]
        tools.append(("floor: callback API, gRPC defaults",
                      lambda c: floor(c, ["--api=callback"])))
        tools.append(("floor: completion queue, lean channel",
                      lambda c: floor(c, ["--api=cq", "--nodeadlock_detection",
                                          "--noretries", "--minimal_stack"])))
    rows = []
    for name, make in tools:
        rows.append((name, [per_call(make(c), args.calls) for c in (1, streams)]))
    print(f"\n{size} values ({uptime()}):\n")
    print(f"| client | instructions per call, 1 in flight | {streams} in flight |")
    print("|---|---:|---:|")
    for name, (one, many) in rows:
        print(f"| {name} | {one / 1e3:.1f} k | {many / 1e3:.1f} k |")


def rate_table(args, server, target, body, size, streams):
    tools = [("h2load", lambda: run_h2load(target, body, args.connections, streams,
                                           args.seconds))]
    argv = actload_argv(args.actload, target, size, args.connections,
                        args.connections * streams, [])
    tools.append(("actload", lambda argv=argv: run_actload(argv, args.seconds)))
    if args.baseline:
        argv = actload_argv(args.baseline, target, size, args.connections,
                            args.connections * streams, [])
        tools.append(("baseline actload", lambda argv=argv: run_actload(argv, args.seconds)))
    rates = {name: [] for name, _ in tools}
    cpus = {name: [] for name, _ in tools}
    server_cpus = {name: [] for name, _ in tools}
    start_load = uptime()
    for r in range(args.rounds):
        k = r % len(tools)
        for name, run in tools[k:] + tools[:k]:
            before = server_cpu(server.pid)
            rate, cpu = run()
            # Per request, the warm-up's half second counted at the same rate.
            requests = rate * (args.seconds + 0.5)
            server_cpus[name].append(1e6 * (server_cpu(server.pid) - before) / requests)
            rates[name].append(rate)
            cpus[name].append(cpu)
    h2 = rates["h2load"]
    print(f"\n{size} values, {args.connections} x {streams} in flight, {args.rounds} "
          f"rounds of {args.seconds:g} s ({start_load} before, {uptime()} after):\n")
    print("| tool | req/s: median (range) | / h2load: median of rounds (range) "
          "| tool CPU per request | server CPU per request |")
    print("|---|---:|---:|---:|---:|")
    for name, _ in tools:
        ratios = [a / h for a, h in zip(rates[name], h2)]
        print(f"| {name} | {statistics.median(rates[name]):.0f} "
              f"({min(rates[name]):.0f}–{max(rates[name]):.0f}) | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) | "
              f"{statistics.median(cpus[name]):.1f} µs | "
              f"{statistics.median(server_cpus[name]):.1f} µs |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actserver", required=True)
    parser.add_argument("--actload", required=True)
    parser.add_argument("--baseline", help="another actload binary to compare")
    parser.add_argument("--floor", help="bench/unary_floor_client (--instructions)")
    parser.add_argument("--sizes", default="16,1024")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--streams", type=int, default=0,
                        help="per connection; 0: 64 up to 1 Ki values, else 8")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per call with callgrind instead")
    parser.add_argument("--calls", type=int, default=1000,
                        help="--instructions: N (each client makes N and 3N calls)")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        streams = args.streams or (64 if size <= 1024 else 8)
        server, target = start_server(args.actserver)
        try:
            with tempfile.NamedTemporaryFile(suffix=".grpc") as body:
                body.write(compute_frame(size))
                body.flush()
                if args.instructions:
                    instruction_table(args, target, body.name, size, streams)
                else:
                    rate_table(args, server, target, body.name, size, streams)
        finally:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
