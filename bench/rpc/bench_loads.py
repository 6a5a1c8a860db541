"""The loads of the RPC bench: the request frame built from the proto, and the
two clients that send it -- h2load (nghttp2's HTTP/2 load generator, which
knows nothing of gRPC: it posts a prepared body) and actload (the project's
gRPC C++ load generator).

Every call is the same: Compute, sigmoid forward, N float32 values as raw
bytes, uniform in [-8, 8] from a fixed seed.
"""

import dataclasses
import json
import pathlib
import re
import struct
import subprocess
import time

import numpy as np

METHOD_PATH = "/activation.v1.ActivationService/Compute"
# What a gRPC client sends; without te: trailers gRPC servers refuse the call.
GRPC_HEADERS = ("content-type: application/grpc", "te: trailers")
FUNCTION = "sigmoid"
INPUT_RANGE = 8.0  # as actload's --input_range default
SEED = 1


def streams_for(values):
    """Calls in flight on the one connection: 64 up to 1 Ki values, else 8."""
    return 64 if values <= 1024 else 8


def make_request(pb, values):
    """(ComputeRequest, x): sigmoid forward of `values` raw float32 inputs."""
    x = np.random.default_rng(SEED).uniform(
        -INPUT_RANGE, INPUT_RANGE, values).astype("<f4")
    request = pb.ComputeRequest(
        function=FUNCTION, mode=pb.MODE_FORWARD,
        input=pb.Tensor(raw=pb.RawArray(dtype=pb.DTYPE_FLOAT32,
                                        data=x.tobytes())))
    return request, x


def grpc_frame(message):
    """A gRPC length-prefixed message: flag 0 (not compressed), big-endian
    length, the serialized bytes (gRPC over HTTP/2, "Length-Prefixed-Message").
    """
    return struct.pack(">BI", 0, len(message)) + message


def split_grpc_frames(body):
    """The messages of a gRPC response body; ValueError if it is malformed."""
    messages = []
    offset = 0
    while offset < len(body):
        if len(body) - offset < 5:
            raise ValueError(f"truncated gRPC frame header at byte {offset}")
        compressed, length = struct.unpack_from(">BI", body, offset)
        if compressed:
            raise ValueError("compressed gRPC message (none was asked for)")
        offset += 5
        if len(body) - offset < length:
            raise ValueError(f"gRPC message of {length} bytes truncated to "
                             f"{len(body) - offset}")
        messages.append(body[offset:offset + length])
        offset += length
    return messages


@dataclasses.dataclass
class H2LoadResult:
    """What h2load printed (its summary) and, with a log file, latencies."""
    requests: int = 0     # "N total"
    done: int = 0
    succeeded: int = 0    # HTTP 2xx/3xx: says nothing of grpc-status
    failed: int = 0
    errored: int = 0
    timeout: int = 0
    status_2xx: int = 0
    data_bytes: int = 0   # DATA frame payload received: the gRPC messages
    elapsed_s: float = 0.0
    rps: float = 0.0
    latencies_us: list | None = None
    output: str = ""


_DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_h2load(text):
    """Parses h2load's summary; ValueError if a line is missing."""
    result = H2LoadResult(output=text)
    finished = re.search(r"finished in ([\d.]+)(us|ms|s|m|h), ([\d.]+) req/s",
                         text)
    requests = re.search(
        r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, "
        r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx", text)
    traffic = re.search(r"traffic: .*\((\d+)\) data", text)
    if not (finished and requests and codes and traffic):
        raise ValueError(f"unexpected h2load output:\n{text[-1500:]}")
    result.elapsed_s = float(finished.group(1)) * _DURATION_UNITS[
        finished.group(2)]
    result.rps = float(finished.group(3))
    (result.requests, result.done, result.succeeded, result.failed,
     result.errored, result.timeout) = map(int, requests.groups())
    result.status_2xx = int(codes.group(1))
    result.data_bytes = int(traffic.group(1))
    return result


def read_latency_log(path):
    """Latencies (µs) of the HTTP-200 rows of an h2load --log-file."""
    latencies = []
    with open(path) as log:
        for line in log:
            fields = line.split("\t")
            if len(fields) >= 3 and fields[1] == "200":
                latencies.append(int(fields[2]))
    return latencies


def percentile(values, q):
    """Nearest-rank percentile (q in [0, 100]) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(np.ceil(q / 100.0 * len(ordered))))
    return ordered[rank - 1]


def h2load_argv(h2load, target, frame_path, streams, total=None,
                duration_s=None, log_file=None, unix_socket=None):
    """One connection, one thread, `streams` calls in flight; either `total`
    calls or a `duration_s` run (exactly one of the two). To `target`
    (host:port) over TCP, or over the Unix domain socket `unix_socket`."""
    if (total is None) == (duration_s is None):
        raise ValueError("give total or duration_s")
    argv = [h2load, "-c1", "-t1", f"-m{streams}", "-d", str(frame_path)]
    argv += [f"-n{total}"] if total is not None else [
        f"-D{max(1, round(duration_s * 1000))}ms"]
    for header in GRPC_HEADERS:
        argv += ["-H", header]
    if log_file is not None:
        argv.append(f"--log-file={log_file}")
    if unix_socket is not None:
        argv += [f"--base-uri=unix:{unix_socket}"]
        target = "localhost"  # only the :authority header
    return argv + [f"http://{target}{METHOD_PATH}"]


def run_h2load(argv, timeout_s, log_file=None):
    """Runs h2load; RuntimeError if it fails or overruns `timeout_s`."""
    if log_file is not None:
        pathlib.Path(log_file).unlink(missing_ok=True)  # h2load appends
    try:
        done = subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"h2load ran over {timeout_s:.0f} s: "
                           f"{' '.join(argv)}") from e
    if done.returncode != 0:
        raise RuntimeError(f"h2load exited {done.returncode}: "
                           f"{done.stderr[-1000:]}{done.stdout[-1000:]}")
    result = parse_h2load(done.stdout)
    if log_file is not None:
        result.latencies_us = read_latency_log(log_file)
    return result


def actload_argv(actload, target, values, concurrency, duration_s=None,
                 warmup_s=0.0, total=None, verify=False):
    """The same call as the h2load frame, over one connection, JSON out."""
    argv = [actload, f"--target={target}", "--connections=1",
            f"--concurrency={concurrency}", f"--size={values}",
            f"--function={FUNCTION}", "--mode=forward", "--dtype=f32",
            "--encoding=raw", f"--input_range={INPUT_RANGE:g}",
            f"--warmup={warmup_s:g}s", "--timeout=60s", "--output=json"]
    argv.append(f"--duration={duration_s:g}s" if duration_s else
                "--duration=0")
    if total is not None:
        argv.append(f"--total={total}")
    if verify:
        argv.append("--verify")
    return argv


def run_actload(argv, timeout_s):
    """(exit code, parsed JSON report or None, stderr tail)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, None, f"actload ran over {timeout_s:.0f} s"
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = None
    return done.returncode, report, done.stderr[-1500:]


def start_actservers(spec, default_binary, work, settle_s=1.5):
    """Starts the servers of `spec` ("NAME=BINARY:FLAGS;...", BINARY empty:
    default_binary; FLAGS space-separated), each on 127.0.0.1:0 and its own
    Unix socket WORK/NAME.sock, logging to WORK/NAME.log. Returns {NAME:
    dict(proc, sock, log, port)} once they have had settle_s to print their
    port (bench/rpc/unix_buffer_ab.py, syscalls_per_call.py)."""
    servers = {}
    for item in spec.split(";"):
        name, rest = item.split("=", 1)
        binary, _, flags = rest.partition(":")
        sock = work / f"{name}.sock"
        if sock.exists():
            sock.unlink()
        log = open(work / f"{name}.log", "w+")
        proc = subprocess.Popen([binary or str(default_binary), "--port=0",
                                 "--address=127.0.0.1", f"--unix_socket={sock}"]
                                + flags.split(),
                                stdout=log, stderr=subprocess.STDOUT)
        servers[name] = dict(proc=proc, sock=sock, log=log)
    time.sleep(settle_s)
    for s in servers.values():
        s["log"].seek(0)
        # actserver prints "127.0.0.1:PORT, ..."; echo_floor "127.0.0.1:PORT and unix:...".
        s["port"] = re.match(r"\d+", s["log"].read().split("127.0.0.1:")[1])[0]
    return servers


def stop_actservers(servers):
    for s in servers.values():
        s["proc"].terminate()
        s["proc"].wait()
