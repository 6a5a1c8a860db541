#!/usr/bin/python3
"""actload's request rate against h2load's, same server, same requests.

    bench/actload_vs_h2load.py --actserver build/test/server/actserver \
        --actload build/test/client/actload [--sizes 16,1024] [--rounds 3]

For each size: one actserver (--threads=2, loopback, free port); h2load
(Debian nghttp2-client) posts a prebuilt gRPC frame of a Compute request
(sigmoid, forward, raw float32) on `--connections` connections with
`--streams` streams each; actload sends the same request, unary, on as many
connections with connections x streams calls in flight. Rounds alternate the
two tools; each figure is requests/s over `--seconds`; the table gives the
medians and the median of the per-round ratios actload / h2load. Every
h2load response must be a 2xx (a successful call); actload must report zero
errors.
"""

import argparse
import json
import re
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


def run_h2load(target, body, connections, streams, seconds):
    out = subprocess.run(
        ["h2load", "-D", f"{seconds:g}", "--warm-up-time=500ms", "-c",
         str(connections), "-m", str(streams), "-t", "1", "-d", body,
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         f"http://{target}/activation.v1.ActivationService/Compute"],
        capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out).group(1))
    status = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out)
    if not status or int(status.group(1)) == 0 or int(done.group(1)) != int(done.group(2)):
        raise RuntimeError("h2load had failures:\n" + out)
    return rate


def run_actload(actload, target, size, connections, streams, seconds):
    out = subprocess.run(
        [actload, f"--target={target}", f"--size={size}", "--rpc=unary",
         f"--connections={connections}", f"--concurrency={connections * streams}",
         f"--duration={seconds:g}s", "--warmup=500ms", "--output=json", "--quiet"],
        capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    if report["errors"]:
        raise RuntimeError(f"actload had errors: {report['first_error']}")
    return report["requests_per_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actserver", required=True)
    parser.add_argument("--actload", required=True)
    parser.add_argument("--sizes", default="16,1024")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--streams", type=int, default=0,
                        help="per connection; 0: 64 up to 1 Ki values, else 8")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        streams = args.streams or (64 if size <= 1024 else 8)
        server, target = start_server(args.actserver)
        try:
            with tempfile.NamedTemporaryFile(suffix=".grpc") as body:
                body.write(compute_frame(size))
                body.flush()
                h2, al = [], []
                for r in range(args.rounds):
                    order = [(h2, lambda: run_h2load(target, body.name, args.connections,
                                                     streams, args.seconds)),
                             (al, lambda: run_actload(args.actload, target, size,
                                                      args.connections, streams,
                                                      args.seconds))]
                    if r % 2:
                        order.reverse()
                    for out, run in order:
                        out.append(run())
        finally:
            server.terminate()
            server.wait()
        ratios = [a / h for a, h in zip(al, h2)]
        rows.append((size, streams, h2, al, ratios))
    print(f"| values | c x m | h2load req/s (median, range) | actload req/s "
          f"(median, range) | actload / h2load (median of rounds, range) |")
    print("|---:|---:|---:|---:|---:|")
    for size, streams, h2, al, ratios in rows:
        print(f"| {size} | {args.connections} x {streams} | {statistics.median(h2):.0f} "
              f"({min(h2):.0f}–{max(h2):.0f}) | {statistics.median(al):.0f} "
              f"({min(al):.0f}–{max(al):.0f}) | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}–{max(ratios):.2f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
