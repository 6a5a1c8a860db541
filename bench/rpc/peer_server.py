#!/usr/bin/python3
"""The RPC bench's peer: activation.v1 served by Python grpcio + numpy.

What a Python team would write first for the same API: grpcio's synchronous
server on a thread pool, each request turned into a numpy array without a copy
(np.frombuffer over the raw bytes), one vectorised numpy expression, the
result's bytes sent back. It is the comparison point of the bench
(docs/benchmarks.md, "RPC path"), not a second implementation of the
service: it computes the forward value, the derivative, both, and the
backward product g*f'(x) of a few functions of x (sigmoid, tanh, relu,
leaky_relu, silu), in float32 or float64, raw or packed, and lists them in
ListActivations. Anything else fails with INVALID_ARGUMENT (a function or
parameter it does not know) or UNIMPLEMENTED (input_kind OUTPUT,
ComputeBatch, ComputeStream), with a message that says so.

    /usr/bin/python3 bench/rpc/peer_server.py --port 0 --stubs_dir /tmp/stubs

Prints "peer_server: listening on HOST:PORT" (and " and unix:PATH" with
--unix_socket) on stderr once serving; SIGTERM or SIGINT stops it (calls in
flight get 2 s) and it prints how many calls it served.
"""

import argparse
import concurrent.futures
import pathlib
import signal
import sys
import tempfile
import threading

import grpc
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import proto_stubs  # noqa: E402  (after the path is set)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _sigmoid_derivative(x):
    s = _sigmoid(x)
    return s * (1 - s)


# name -> (f(x) as text, parameters with their defaults, f(x, **p),
# f'(x, **p)).
FUNCTIONS = {
    "sigmoid": ("1 / (1 + exp(-x))", {}, _sigmoid, _sigmoid_derivative),
    "tanh": ("tanh(x)", {}, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": ("max(0, x)", {}, lambda x: np.maximum(x, 0),
             lambda x: (x > 0).astype(x.dtype)),
    "leaky_relu": (
        "x if x > 0 else negative_slope * x", {"negative_slope": 0.01},
        lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
        lambda x, negative_slope: np.where(
            x > 0, x.dtype.type(1), x.dtype.type(negative_slope))),
    "silu": ("x * sigmoid(x)", {}, lambda x: x * _sigmoid(x),
             lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
}


class BadRequest(Exception):
    """A request the peer cannot compute, with the gRPC code to answer."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class PeerService:
    """Compute over numpy and its catalogue; the rest is UNIMPLEMENTED."""

    def __init__(self, pb):
        self._pb = pb
        self._lock = threading.Lock()
        self.calls = 0

    def _to_numpy(self, tensor, field):
        pb = self._pb
        kind = tensor.WhichOneof("data")
        if kind == "raw":
            dtype = {pb.DTYPE_FLOAT32: "<f4", pb.DTYPE_FLOAT64: "<f8"}.get(
                tensor.raw.dtype)
            if dtype is None:
                raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                                 f"{field}.raw.dtype: {tensor.raw.dtype} is "
                                 "not DTYPE_FLOAT32 or DTYPE_FLOAT64")
            if len(tensor.raw.data) % np.dtype(dtype).itemsize:
                raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                                 f"{field}.raw.data: {len(tensor.raw.data)} "
                                 "bytes is not a whole number of elements")
            return np.frombuffer(tensor.raw.data, dtype=dtype), kind
        if kind == "float32":
            return np.array(tensor.float32.values, dtype=np.float32), kind
        if kind == "float64":
            return np.array(tensor.float64.values, dtype=np.float64), kind
        raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                         f"{field}: no data set")

    def _to_tensor(self, values, like, kind):
        pb = self._pb
        out = pb.Tensor(shape=like.shape)
        if kind == "raw":
            out.raw.dtype = like.raw.dtype
            out.raw.data = values.tobytes()
        elif kind == "float32":
            out.float32.values.extend(values)
        else:
            out.float64.values.extend(values)
        return out

    def _compute(self, request):
        pb = self._pb
        if request.function not in FUNCTIONS:
            raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                             f'function: "{request.function}" is not served '
                             f"by the peer; valid: {', '.join(FUNCTIONS)}")
        _, defaults, f, df = FUNCTIONS[request.function]
        params = dict(defaults)
        for name, value in request.params.items():
            if name not in defaults:
                raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                                 f"params.{name}: {request.function} has no "
                                 f"such parameter; valid: "
                                 f"{', '.join(defaults) or 'none'}")
            params[name] = value
        if request.input_kind == pb.INPUT_KIND_OUTPUT:
            raise BadRequest(grpc.StatusCode.UNIMPLEMENTED,
                             "input_kind: INPUT_KIND_OUTPUT is not served by "
                             "the peer")
        x, kind = self._to_numpy(request.input, "input")
        response = pb.ComputeResponse(id=request.id)
        with np.errstate(over="ignore"):  # exp(-x) -> inf gives sigmoid 0
            if request.mode == pb.MODE_FORWARD:
                response.output.CopyFrom(
                    self._to_tensor(f(x, **params), request.input, kind))
            elif request.mode == pb.MODE_DERIVATIVE:
                response.output.CopyFrom(
                    self._to_tensor(df(x, **params), request.input, kind))
            elif request.mode == pb.MODE_FORWARD_AND_DERIVATIVE:
                response.output.CopyFrom(
                    self._to_tensor(f(x, **params), request.input, kind))
                response.derivative.CopyFrom(
                    self._to_tensor(df(x, **params), request.input, kind))
            elif request.mode == pb.MODE_BACKWARD:
                g, _ = self._to_numpy(request.grad, "grad")
                if g.shape != x.shape or g.dtype != x.dtype:
                    raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                                     "grad: must have the input's count and "
                                     "element type")
                response.output.CopyFrom(self._to_tensor(
                    g * df(x, **params), request.input, kind))
            else:
                raise BadRequest(grpc.StatusCode.INVALID_ARGUMENT,
                                 f"mode: {request.mode} is not one of "
                                 "MODE_FORWARD, MODE_DERIVATIVE, "
                                 "MODE_FORWARD_AND_DERIVATIVE, MODE_BACKWARD")
        return response

    def Compute(self, request, context):  # noqa: N802 (gRPC's name)
        with self._lock:
            self.calls += 1
        try:
            return self._compute(request)
        except BadRequest as e:
            context.abort(e.code, str(e))

    def _unimplemented(self, context, method):
        context.abort(grpc.StatusCode.UNIMPLEMENTED,
                      f"{method} is not served by the bench's Python peer")

    def ComputeBatch(self, request, context):  # noqa: N802
        self._unimplemented(context, "ComputeBatch")

    def ComputeStream(self, request_iterator, context):  # noqa: N802
        self._unimplemented(context, "ComputeStream")

    def ListActivations(self, request, context):  # noqa: N802
        """The functions served, with their parameters (no bounds, notes or
        properties: the peer makes no accuracy promise)."""
        pb = self._pb
        response = pb.ListActivationsResponse(simd_target="numpy")
        for name, (formula, defaults, _, _) in FUNCTIONS.items():
            response.activations.add(
                name=name, formula=f"f(x) = {formula}",
                parameters=[pb.Parameter(name=p, default_value=v)
                            for p, v in defaults.items()])
        return response


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0,
                        help="0 lets the kernel choose")
    parser.add_argument("--unix_socket", default="",
                        help="also listen on this Unix domain socket path")
    parser.add_argument("--workers", type=int, default=16,
                        help="threads of grpcio's server pool")
    parser.add_argument("--max_message_bytes", type=int, default=64 << 20,
                        help="largest request accepted (grpcio's default, "
                        "4 MiB, is too small for 1 Mi float32 values)")
    parser.add_argument("--stubs_dir", default=None,
                        help="where to generate the Python stubs "
                        "(default: a temporary directory)")
    args = parser.parse_args()

    pb, pb_grpc = proto_stubs.load(
        args.stubs_dir or tempfile.mkdtemp(prefix="peer_stubs_"))
    service = PeerService(pb)
    server = grpc.server(
        concurrent.futures.ThreadPoolExecutor(max_workers=args.workers),
        options=[("grpc.max_receive_message_length", args.max_message_bytes),
                 ("grpc.max_send_message_length", args.max_message_bytes),
                 ("grpc.so_reuseport", 0)])
    pb_grpc.add_ActivationServiceServicer_to_server(service, server)
    host = f"[{args.address}]" if ":" in args.address else args.address
    port = server.add_insecure_port(f"{host}:{args.port}")
    if port == 0:
        print(f"peer_server: cannot listen on {host}:{args.port}",
              file=sys.stderr)
        return 1
    also = ""
    if args.unix_socket:
        if not server.add_insecure_port(f"unix:{args.unix_socket}"):
            print(f"peer_server: cannot listen on unix:{args.unix_socket}",
                  file=sys.stderr)
            return 1
        also = f" and unix:{args.unix_socket}"
    server.start()
    print(f"peer_server: listening on {host}:{port}{also}", file=sys.stderr,
          flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()
    print(f"peer_server: stopped after serving {service.calls} calls",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
