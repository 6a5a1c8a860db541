#!/usr/bin/python3
"""What the package costs over the bare generated stubs, per Compute call.

    clients/python/bench_overhead.py --actserver build/test/server/actserver
    clients/python/bench_overhead.py --target 127.0.0.1:50051

Baseline: the least a caller of the bare stubs does -- its own channel with
gRPC's defaults, a ComputeRequest with the values as raw bytes (x.tobytes()),
stub.Compute, np.frombuffer of the output. Package: Client(target).compute
with its defaults (round robin, retry policy, validation, shape and dtype
kept). Both call sigmoid on the same float32 array, one call in flight, in
interleaved rounds; each round's figure is the median of its calls, and the
overhead is the median over rounds of package/baseline - 1.
"""

import argparse
import pathlib
import re
import statistics
import subprocess
import sys
import time

import grpc
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "src"))
from activation_client import Client  # noqa: E402
from activation_client._proto import activation_pb2 as pb  # noqa: E402
from activation_client._proto import activation_pb2_grpc as pb_grpc  # noqa: E402


def bare_call(stub, x):
    request = pb.ComputeRequest(
        function="sigmoid", mode=pb.MODE_FORWARD,
        input=pb.Tensor(shape=x.shape, raw=pb.RawArray(
            dtype=pb.DTYPE_FLOAT32, data=x.tobytes())))
    response = stub.Compute(request, timeout=30)
    return np.frombuffer(response.output.raw.data, np.float32).reshape(x.shape)


def timed(fn, x, calls):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(target, sizes, rounds, budget_s):
    limit = [("grpc.max_send_message_length", 64 << 20),
             ("grpc.max_receive_message_length", 64 << 20)]
    channel = grpc.insecure_channel(target, limit)
    stub = pb_grpc.ActivationServiceStub(channel)
    client = Client(target)
    rows = []
    for size in sizes:
        x = np.random.default_rng(1).uniform(-8, 8, size).astype(np.float32)
        bare = lambda v: bare_call(stub, v)  # noqa: E731
        package = lambda v: client.compute("sigmoid", v)  # noqa: E731
        assert np.array_equal(bare(x), package(x))
        # Calls per round: about budget_s / rounds of work per method.
        start = time.perf_counter()
        for _ in range(5):
            bare(x)
        per_call = (time.perf_counter() - start) / 5
        calls = max(5, int(budget_s / rounds / 2 / per_call))
        base, pkg = [], []
        for r in range(rounds):
            order = [(bare, base), (package, pkg)]
            if r % 2:
                order.reverse()
            for fn, out in order:
                out.append(timed(fn, x, calls))
        ratios = [p / b for p, b in zip(pkg, base)]
        rows.append((size, calls, statistics.median(base), statistics.median(pkg),
                     statistics.median(ratios), min(ratios), max(ratios)))
    client.close()
    channel.close()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target")
    parser.add_argument("--actserver", help="start this actserver on a free port")
    parser.add_argument("--sizes", default="1024,1048576")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="time budget per size")
    args = parser.parse_args()
    server = None
    target = args.target
    if args.actserver:
        server = subprocess.Popen([args.actserver, "--port=0",
                                   "--address=127.0.0.1", "--threads=2"],
                                  stderr=subprocess.PIPE, text=True)
        for line in server.stderr:
            match = re.search(r"listening on (\S+?),", line)
            if match:
                target = match.group(1)
                break
    if not target:
        parser.error("give --target or --actserver")
    try:
        rows = measure(target, [int(s) for s in args.sizes.split(",")],
                       args.rounds, args.seconds)
    finally:
        if server:
            server.terminate()
            server.wait()
    print("| values | calls/round | bare stubs (median) | package (median) "
          "| overhead: median (min..max) over rounds |")
    print("|---:|---:|---:|---:|---:|")
    for size, calls, base, pkg, ratio, lo, hi in rows:
        print(f"| {size} | {calls} | {base * 1e6:.0f} µs | {pkg * 1e6:.0f} µs | "
              f"{(ratio - 1) * 100:+.1f}% ({(lo - 1) * 100:+.1f}%.."
              f"{(hi - 1) * 100:+.1f}%) |")


if __name__ == "__main__":
    main()
