#!/usr/bin/python3
"""A long-lived gRPC client balancing over several replicas, as a user's client would.

Usage: rr_client.py --source SOURCE_DIR --targets 127.0.0.1:A,127.0.0.1:B,... [--duration S]
                    [--concurrency N] [--size N] [--health_check]

One channel over all the addresses with gRPC's own round_robin policy and a retry policy for
UNAVAILABLE in its service config (what deploy/README.md tells users to configure); N threads
call Compute(sigmoid) in a closed loop for the duration and check every value against a float64
sigmoid within the bound the server states (max_ulp_error). This is the client side of the
scale-out test's failover phase: while it runs, replicas are killed, and it must see no error
and no wrong answer.

Prints one JSON line: ok, errors (by status code), wrong, worst_ulp, ok per second of the run.
Exit code 0 iff ok > 0, no errors and no wrong answers. Stubs are generated at start into a
temporary folder with protoc and Debian's grpc_python_plugin (nothing generated is kept).
"""

import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

import grpc
import numpy as np

SERVICE_CONFIG = {
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [{
        "name": [{"service": "activation.v1.ActivationService"}],
        "retryPolicy": {
            "maxAttempts": 5,
            "initialBackoff": "0.05s",
            "maxBackoff": "1s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }],
}


# Client-side health checking (--health_check, for addresses that are replicas): each
# subchannel watches grpc.health.v1 on its replica, and round_robin stops picking a replica as
# soon as it reports NOT_SERVING (it drains). Never through a proxy: there the one health
# stream reaches one replica behind it, and when that replica drains, the client marks the
# whole proxy unhealthy and fails every call ("backend unhealthy") though the others serve.
HEALTH_CHECK_CONFIG = {"serviceName": ""}


def load_stubs(source, workdir):
    proto_root = pathlib.Path(source) / "proto"
    subprocess.run(["protoc", f"-I{proto_root}", f"--python_out={workdir}",
                    f"--grpc_python_out={workdir}",
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    "activation/v1/activation.proto"], check=True)
    sys.path.insert(0, workdir)
    from activation.v1 import activation_pb2, activation_pb2_grpc  # noqa: E402
    return activation_pb2, activation_pb2_grpc


def ulp_distance(got, want):
    """Distance in float32 ULPs between float32 `got` and float64 `want`, elementwise."""
    want32 = want.astype(np.float32)
    spacing = np.spacing(np.abs(want32)).astype(np.float64)
    spacing[spacing == 0] = np.finfo(np.float32).smallest_subnormal
    return np.abs(got.astype(np.float64) - want) / spacing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--targets", required=True)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--health_check", action="store_true",
                        help="watch each target's grpc.health.v1 (targets are replicas)")
    args = parser.parse_args()
    service_config = dict(SERVICE_CONFIG)
    if args.health_check:
        service_config["healthCheckConfig"] = HEALTH_CHECK_CONFIG

    with tempfile.TemporaryDirectory() as workdir:
        pb2, pb2_grpc = load_stubs(args.source, workdir)
        channel = grpc.insecure_channel(
            "ipv4:" + args.targets,
            options=[("grpc.service_config", json.dumps(service_config)),
                     ("grpc.enable_retries", 1)])
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = pb2_grpc.ActivationServiceStub(channel)

        lock = threading.Lock()
        ok_per_second = collections.Counter()
        errors = collections.Counter()
        first_error = []
        wrong = [0]
        worst = [0.0]
        start = time.monotonic()
        stop_at = start + args.duration

        def worker(seed):
            rng = np.random.default_rng(seed)
            while time.monotonic() < stop_at:
                x = rng.uniform(-8, 8, args.size).astype(np.float32)
                request = pb2.ComputeRequest(
                    function="sigmoid", mode=pb2.MODE_FORWARD,
                    input=pb2.Tensor(shape=[args.size], raw=pb2.RawArray(
                        dtype=pb2.DTYPE_FLOAT32, data=x.tobytes())))
                try:
                    response = stub.Compute(request, timeout=10)
                except grpc.RpcError as e:
                    with lock:
                        errors[e.code().name] += 1
                        if not first_error:
                            first_error.append(f"{e.code().name}: {e.details()}")
                    continue
                got = np.frombuffer(response.output.raw.data, dtype=np.float32)
                want = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
                ulps = ulp_distance(got, want) if got.size == x.size else np.array([np.inf])
                bound = max(response.max_ulp_error, 1.0)
                second = int(time.monotonic() - start)
                with lock:
                    ok_per_second[second] += 1
                    worst[0] = max(worst[0], float(ulps.max()))
                    if float(ulps.max()) > bound:
                        wrong[0] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        channel.close()

    ok = sum(ok_per_second.values())
    seconds = max(ok_per_second) + 1 if ok_per_second else 0
    summary = {
        "ok": ok,
        "errors": dict(errors),
        "first_error": first_error[0] if first_error else "",
        "wrong": wrong[0],
        "worst_ulp": worst[0],
        "ok_per_second": [ok_per_second.get(s, 0) for s in range(seconds)],
    }
    print(json.dumps(summary))
    return 0 if ok > 0 and not errors and not wrong[0] else 1


if __name__ == "__main__":
    sys.exit(main())
