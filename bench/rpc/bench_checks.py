"""Verification of the RPC bench: only gRPC-OK answers count.

h2load counts a response as a success when its HTTP status is 2xx, but a
failed gRPC call is an HTTP 200 too, with grpc-status in the trailers (a
request over the receive limit comes back at once as "200, grpc-status 8"
and would be counted at full speed). So:

* before anything is measured, each server gets the very frame h2load sends,
  posted with nghttp2's `nghttp` (same HTTP/2 library, same headers): the
  trailers must carry grpc-status 0 and the body must decode as a
  ComputeResponse whose output is the right answer (the input itself for
  the echo floor, sigmoid(x) for the others). That fixes the size in bytes
  of one OK response;
* every measured h2load run sends a fixed number of calls and must receive
  exactly that many 2xx responses and that many OK responses' worth of DATA:
  a failed call carries no message, so one failure is a shortfall of a whole
  response;
* actload counts gRPC statuses itself: its run must report no errors (and
  in the check run, with --verify, no wrong answers).
"""

import re
import subprocess

import numpy as np

import bench_loads

ECHO = "echo"        # the output must be the input, bit for bit
SIGMOID = "sigmoid"  # the output must be sigmoid(input)
# sigmoid in float32 within 8 ULP: loose enough for a numpy 1/(1+exp(-x)),
# tight enough that a wrong function or wrong bytes fail.
SIGMOID_RTOL = 8 * 2.0 ** -24


class CheckFailed(Exception):
    pass


def _nghttp(nghttp, target, frame_path, verbose, timeout_s):
    argv = [nghttp, "-d", str(frame_path), f"--timeout={timeout_s}s"]
    for header in bench_loads.GRPC_HEADERS:
        argv += ["-H", header]
    argv += ["-v", "-n"] if verbose else []
    argv.append(f"http://{target}{bench_loads.METHOD_PATH}")
    done = subprocess.run(argv, capture_output=True, timeout=timeout_s + 10)
    if done.returncode != 0:
        raise CheckFailed(f"nghttp exited {done.returncode}: "
                          f"{done.stderr[-500:]!r}")
    return done.stdout


def parse_nghttp_headers(verbose_output):
    """{name: value} of the header fields nghttp -v printed as received
    (response headers and trailers of the one stream)."""
    fields = {}
    for match in re.finditer(rb"recv \(stream_id=\d+\) ([^:\s][^:]*|:\w+): "
                             rb"(.*)", verbose_output):
        fields[match.group(1).decode()] = match.group(2).decode(
            errors="replace").strip()
    return fields


def expected_output(expect, x):
    """What a correct server answers for input x."""
    if expect == ECHO:
        return x
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64))))


def check_response(pb, body, expect, x):
    """Raises CheckFailed unless `body` holds one right ComputeResponse."""
    messages = bench_loads.split_grpc_frames(body)
    if len(messages) != 1:
        raise CheckFailed(f"{len(messages)} gRPC messages in the response")
    response = pb.ComputeResponse.FromString(messages[0])
    output = response.output
    if (output.WhichOneof("data") != "raw"
            or output.raw.dtype != pb.DTYPE_FLOAT32):
        raise CheckFailed("output is not raw float32")
    y = np.frombuffer(output.raw.data, dtype="<f4")
    if y.shape != x.shape:
        raise CheckFailed(f"output has {y.size} values, input {x.size}")
    want = expected_output(expect, x)
    if expect == ECHO:
        bad = np.flatnonzero(y.view(np.uint32) != x.view(np.uint32))
    else:
        bad = np.flatnonzero(np.abs(y - want) > SIGMOID_RTOL * np.abs(want))
    if bad.size:
        i = bad[0]
        raise CheckFailed(f"{bad.size} wrong values, first x[{i}]={x[i]!r}: "
                          f"got {y[i]!r}, want {want[i]!r}")


def check_frame(nghttp, pb, target, frame_path, expect, x, timeout_s=60):
    """Posts the bench's frame once; returns the OK response's body size
    (bytes of DATA), or raises CheckFailed."""
    fields = parse_nghttp_headers(
        _nghttp(nghttp, target, frame_path, True, timeout_s))
    if fields.get(":status") != "200":
        raise CheckFailed(f"HTTP status {fields.get(':status')}")
    if fields.get("grpc-status") != "0":
        raise CheckFailed(f"grpc-status {fields.get('grpc-status')}: "
                          f"{fields.get('grpc-message', '')}")
    body = _nghttp(nghttp, target, frame_path, False, timeout_s)
    check_response(pb, body, expect, x)
    return len(body)


def h2load_problems(result, total, response_bytes):
    """Why a measured h2load run of `total` calls is not all gRPC-OK ([] if
    it is)."""
    problems = []
    if result.done != total or result.succeeded != total:
        problems.append(f"{result.done} done, {result.succeeded} succeeded "
                        f"of {total}")
    if result.failed or result.errored or result.timeout:
        problems.append(f"{result.failed} failed, {result.errored} errored, "
                        f"{result.timeout} timed out")
    if result.status_2xx != total:
        problems.append(f"{result.status_2xx} HTTP 2xx of {total}")
    if result.data_bytes != total * response_bytes:
        problems.append(
            f"{result.data_bytes} bytes of DATA, {total} OK responses are "
            f"{total * response_bytes}: some calls were not gRPC-OK")
    return problems


def actload_problems(exit_code, report, stderr):
    """Why an actload run is not clean ([] if it is)."""
    if report is None:
        return [f"actload exit {exit_code}, no report: {stderr}"]
    problems = []
    if report.get("errors") or report.get("wrong") or not report.get("ok"):
        problems.append(f"actload: {report.get('ok')} ok, "
                        f"{report.get('errors')} errors "
                        f"{report.get('errors_by_code')}, "
                        f"{report.get('wrong')} wrong; first error "
                        f"{report.get('first_error')!r}")
    if exit_code != 0 and not problems:
        problems.append(f"actload exit {exit_code}: {stderr}")
    return problems
