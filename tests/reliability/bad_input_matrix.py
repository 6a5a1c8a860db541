#!/usr/bin/python3
"""The bad-input matrix: every malformed, invalid or abusive request we know of, sent to a live
actserver, with the status code and message that came back.

Usage:
  bad_input_matrix.py --actserver BUILD/server/actserver [--proto-dir SRC/proto]
                      [--markdown OUT.md] [--json OUT.json] [--strict]

Starts actserver on 127.0.0.1 (a free port, --threads=2) with small limits so that the limit
cases are cheap: --max_elements=100000 --max_message_bytes=1048576. Sends each case, and prints
(or writes) a Markdown table: case, RPC, expected code, the code and message received, and
whether the answer is right: the expected code, and for a refusal a message that is not empty,
at most 1024 characters and free of control characters, naming the field where the case says
which. Cases come from issue 7's table, from every validation
rule of the server and library, and from the catalogue itself: for every parameter of every
activation (read from ListActivations), values just outside each end of its range, NaN and the
infinities.

Requests that must not parse are sent as raw bytes through grpcio's generic calls, so the bytes
on the wire are exactly the case's. --strict exits 1 when any code differs from the expected one
(the expected codes are the service's contract: README "Errors" and issue 7).

Needs Debian's python3-grpcio and python3-protobuf (/usr/bin/python3) and protoc.
"""

import argparse
import json
import math
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
SERVICE = "/activation.v1.ActivationService/"
MAX_ELEMENTS = 100000
MAX_MESSAGE_BYTES = 1 << 20
TIMEOUT = 20.0
# Longer error messages count as wrong: a quoted value must be cut short.
MAX_MESSAGE_CHARS = 1024


def load_pb2(proto_dir):
    out = pathlib.Path(tempfile.mkdtemp(prefix="actsvc_matrix_"))
    subprocess.run(["protoc", f"--proto_path={proto_dir}", f"--python_out={out}",
                    "activation/v1/activation.proto"], check=True)
    sys.path.insert(0, str(out))
    from activation.v1 import activation_pb2  # pylint: disable=import-outside-toplevel
    return activation_pb2


class Server:
    def __init__(self, binary, flags):
        self.proc = subprocess.Popen([binary, "--address=127.0.0.1", "--port=0", "--threads=2",
                                      "--drain_delay=0s"] + flags,
                                     stderr=subprocess.PIPE, text=True)
        self.port = None
        started = threading.Event()

        def read():
            for line in self.proc.stderr:
                match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if match:
                    self.port = int(match.group(1))
                    started.set()
            started.set()

        threading.Thread(target=read, daemon=True).start()
        if not started.wait(30) or self.port is None:
            raise RuntimeError("actserver did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


# --- raw protobuf wire bytes, for requests no protobuf library would write ----------------

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def ld(number, payload):
    """A length-delimited field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def raw_request(function=b"sigmoid", id_=b"", param_key=None, tensor=None):
    tensor = tensor if tensor is not None else ld(2, ld(1, b"\x00\x00\x80\x3f"))  # float32 [1]
    out = ld(1, id_) if id_ else b""
    out += ld(2, function) + varint(4 << 3 | 0) + varint(1)  # mode FORWARD
    if param_key is not None:
        out += ld(3, ld(1, param_key) + varint(2 << 3 | 1) + b"\x00" * 8)
    return out + ld(5, tensor)


# --- the cases --------------------------------------------------------------------------------

class Case:
    def __init__(self, name, rpc, request, expect, note="", contains=None, stream=None,
                 timeout=TIMEOUT, metadata=None, empty_ok=False):
        self.name, self.rpc, self.request, self.expect = name, rpc, request, expect
        self.note, self.contains, self.stream = note, contains, stream
        self.timeout, self.metadata, self.empty_ok = timeout, metadata, empty_ok


def tensor_f32(pb, values, shape=()):
    return pb.Tensor(shape=list(shape), float32=pb.FloatArray(values=values))


def request(pb, function="sigmoid", mode=None, values=(0.5,), **kw):
    mode = pb.MODE_FORWARD if mode is None else mode
    kw.setdefault("input", tensor_f32(pb, list(values)))
    return pb.ComputeRequest(function=function, mode=mode, **kw)


def catalogue_cases(pb, catalogue):
    """Every parameter of every activation: just outside both ends, NaN, +-inf; and one
    accepted value at each closed end."""
    cases = []
    for info in catalogue.activations:
        for p in info.parameters:
            r = p.valid_range
            bad = [("NaN", math.nan)]
            if math.isfinite(r.min):
                below = r.min if not r.min_inclusive else math.nextafter(r.min, -math.inf)
                bad.append((f"{below!r} (below min)", below))
            bad.append(("-inf", -math.inf))
            if math.isfinite(r.max):
                above = r.max if not r.max_inclusive else math.nextafter(r.max, math.inf)
                bad.append((f"{above!r} (above max)", above))
            elif not r.max_inclusive:
                bad.append(("+inf", math.inf))
            for label, value in bad:
                cases.append(Case(
                    f"{info.name}: {p.name}={label}", "Compute",
                    request(pb, info.name, params={p.name: value}), "INVALID_ARGUMENT",
                    contains=f"params.{p.name}"))
            if r.min_inclusive and math.isfinite(r.min):
                # The other parameters at their closed min ends too, so that a
                # relation between them (rrelu's lower <= upper) holds.
                params = {q.name: q.valid_range.min for q in info.parameters
                          if q.valid_range.min_inclusive and math.isfinite(q.valid_range.min)}
                params[p.name] = r.min
                cases.append(Case(f"{info.name}: {p.name}={r.min!r} (closed min end, accepted)",
                                  "Compute", request(pb, info.name, params=params),
                                  "OK"))
        cases.append(Case(f"{info.name}: unknown parameter \"gamma\"", "Compute",
                          request(pb, info.name, params={"gamma": 1.0}), "INVALID_ARGUMENT",
                          contains="params"))
        if not info.derivative_from_output:
            cases.append(Case(f"{info.name}: input_kind=OUTPUT (f' not computable from y)",
                              "Compute",
                              request(pb, info.name, pb.MODE_DERIVATIVE,
                                      input_kind=pb.INPUT_KIND_OUTPUT),
                              "INVALID_ARGUMENT", contains="input_kind"))
    return cases


def fixed_cases(pb):
    C = Case
    F, D, B, FD = pb.MODE_FORWARD, pb.MODE_DERIVATIVE, pb.MODE_BACKWARD, \
        pb.MODE_FORWARD_AND_DERIVATIVE
    raw = lambda dtype, data: pb.Tensor(raw=pb.RawArray(dtype=dtype, data=data))
    ok = request(pb)
    cases = [
        # Functions.
        C("function unknown (\"sigmod\")", "Compute", request(pb, "sigmod"), "INVALID_ARGUMENT",
          contains="function"),
        C("function empty", "Compute", request(pb, ""), "INVALID_ARGUMENT", contains="function"),
        C("function in upper case (\"Sigmoid\")", "Compute", request(pb, "Sigmoid"),
          "INVALID_ARGUMENT", contains="function"),
        C("function with a trailing space", "Compute", request(pb, "tanh "), "INVALID_ARGUMENT",
          contains="function"),
        C("function with a NUL byte", "Compute", request(pb, "tanh\0"), "INVALID_ARGUMENT",
          contains="function"),
        # Just under --max_message_bytes, so that the name, not the size, is what is wrong.
        C("function name of 1 MiB", "Compute", request(pb, "x" * ((1 << 20) - 200)),
          "INVALID_ARGUMENT", note="issue 7: the whole name was copied into the message",
          contains="function"),
        C("parameter name of 512 KiB", "Compute",
          request(pb, "elu", params={"a" * (512 << 10): 1.0}), "INVALID_ARGUMENT",
          contains="params"),
        C("parameter for a function without parameters (tanh beta=1)", "Compute",
          request(pb, "tanh", params={"beta": 1.0}), "INVALID_ARGUMENT", contains="params"),
        C("parameter name empty", "Compute", request(pb, "elu", params={"": 1.0}),
          "INVALID_ARGUMENT", contains="params"),
        # Modes and input kinds.
        C("mode unspecified (0)", "Compute", request(pb, mode=pb.MODE_UNSPECIFIED),
          "INVALID_ARGUMENT", contains="mode"),
        C("mode unknown (99)", "Compute", request(pb, mode=99), "INVALID_ARGUMENT",
          contains="mode"),
        C("mode negative (-1)", "Compute", request(pb, mode=-1), "INVALID_ARGUMENT",
          contains="mode"),
        C("input_kind unknown (7)", "Compute", request(pb, mode=D, input_kind=7),
          "INVALID_ARGUMENT", contains="input_kind"),
        C("input_kind=OUTPUT in forward mode", "Compute",
          request(pb, "sigmoid", F, input_kind=pb.INPUT_KIND_OUTPUT), "INVALID_ARGUMENT",
          contains="input_kind"),
        # Input tensors.
        C("input missing", "Compute", pb.ComputeRequest(function="tanh", mode=F),
          "INVALID_ARGUMENT", contains="input"),
        C("input with no data member set", "Compute",
          request(pb, input=pb.Tensor(shape=[2])), "INVALID_ARGUMENT", contains="input"),
        C("raw dtype unspecified", "Compute",
          request(pb, input=raw(pb.DTYPE_UNSPECIFIED, b"\0" * 8)), "INVALID_ARGUMENT",
          contains="input.raw.dtype"),
        C("raw dtype unknown (9)", "Compute", request(pb, input=raw(9, b"\0" * 8)),
          "INVALID_ARGUMENT", contains="input.raw.dtype"),
        C("raw float32 of 7 bytes", "Compute", request(pb, input=raw(pb.DTYPE_FLOAT32, b"\0" * 7)),
          "INVALID_ARGUMENT", contains="input.raw.data"),
        C("raw float64 of 12 bytes", "Compute",
          request(pb, input=raw(pb.DTYPE_FLOAT64, b"\0" * 12)), "INVALID_ARGUMENT",
          contains="input.raw.data"),
        C("shape with a negative dimension", "Compute",
          request(pb, input=tensor_f32(pb, [1, 2, 3, 4], [-4])), "INVALID_ARGUMENT",
          contains="input.shape"),
        C("shape product differs from the values", "Compute",
          request(pb, input=tensor_f32(pb, [1, 2, 3, 4], [5])), "INVALID_ARGUMENT",
          contains="input.shape"),
        C("shape product overflows 64 bits", "Compute",
          request(pb, input=tensor_f32(pb, [1], [1 << 40, 1 << 40])), "INVALID_ARGUMENT",
          contains="input.shape"),
        C("shape with a zero dimension and values", "Compute",
          request(pb, input=tensor_f32(pb, [1, 2], [2, 0])), "INVALID_ARGUMENT",
          contains="input.shape"),
        C("empty tensor (0 values)", "Compute", request(pb, values=()), "OK"),
        C("shape [4, 0] and no values", "Compute",
          request(pb, input=tensor_f32(pb, [], [4, 0])), "OK"),
        C("NaN and infinities in the input (data, not errors)", "Compute",
          request(pb, values=(math.nan, math.inf, -math.inf)), "OK"),
        C("subnormal and -0 inputs", "Compute", request(pb, values=(1e-45, -0.0)), "OK"),
        # Gradients.
        C("backward without grad", "Compute", request(pb, "tanh", B), "INVALID_ARGUMENT",
          contains="grad"),
        C("grad of another element type", "Compute",
          request(pb, "tanh", B, grad=pb.Tensor(float64=pb.DoubleArray(values=[1.0]))),
          "INVALID_ARGUMENT", contains="grad"),
        C("grad with another count", "Compute",
          request(pb, "tanh", B, grad=tensor_f32(pb, [1, 2])), "INVALID_ARGUMENT",
          contains="grad"),
        C("grad with another shape, same count", "Compute",
          request(pb, "tanh", B, input=tensor_f32(pb, [1, 2, 3, 4], [2, 2]),
                  grad=tensor_f32(pb, [1, 2, 3, 4], [4])), "OK",
          note="the contract (README): grad has input's count and type; shapes are not compared"),
        C("grad malformed (raw, 3 bytes)", "Compute",
          request(pb, "tanh", B, grad=raw(pb.DTYPE_FLOAT32, b"abc")), "INVALID_ARGUMENT",
          contains="grad"),
        C("grad given in forward mode", "Compute",
          request(pb, "tanh", F, grad=tensor_f32(pb, [1.0])), "INVALID_ARGUMENT",
          contains="grad"),
        # Limits (server started with --max_elements=100000 --max_message_bytes=1048576).
        C("100001 elements (> --max_elements)", "Compute",
          request(pb, input=raw(pb.DTYPE_FLOAT32, b"\0" * 4 * (MAX_ELEMENTS + 1))),
          "RESOURCE_EXHAUSTED"),
        C("exactly --max_elements elements", "Compute",
          request(pb, input=raw(pb.DTYPE_FLOAT32, b"\0" * 4 * MAX_ELEMENTS)), "OK"),
        C("message of 1 MiB + 1 KiB (> --max_message_bytes)", "Compute",
          request(pb, input=raw(pb.DTYPE_FLOAT64, b"\0" * ((1 << 20) + 1024))),
          "RESOURCE_EXHAUSTED"),
        C("batch whose items sum over --max_elements", "ComputeBatch",
          pb.ComputeBatchRequest(items=[request(pb, input=raw(pb.DTYPE_FLOAT32,
                                                              b"\0" * 4 * 60000))] * 2),
          "RESOURCE_EXHAUSTED"),
        C("metadata of 1 MiB", "Compute", ok, "RESOURCE_EXHAUSTED",
          metadata=[("x-big", "v" * (1 << 20))], note="gRPC refuses it before the service"),
        # Batches.
        C("empty batch", "ComputeBatch", pb.ComputeBatchRequest(), "OK"),
        C("batch with a bad item at index 3", "ComputeBatch",
          pb.ComputeBatchRequest(items=[ok] * 3 + [request(pb, "nope")] + [ok]),
          "INVALID_ARGUMENT", contains="items[3]"),
        C("batch item with a bad shape", "ComputeBatch",
          pb.ComputeBatchRequest(items=[ok, request(pb, input=tensor_f32(pb, [1], [-1]))]),
          "INVALID_ARGUMENT", contains="items[1]"),
        C("batch of 1000 one-element items", "ComputeBatch",
          pb.ComputeBatchRequest(items=[ok] * 1000), "OK"),
        # Deadlines and unknown methods.
        C("deadline of 1 ms on a 100k-element call", "Compute",
          request(pb, "gelu", FD, input=raw(pb.DTYPE_FLOAT64, b"\0" * 8 * 100000)),
          "DEADLINE_EXCEEDED", timeout=0.001),
        C("unknown method", "/activation.v1.ActivationService/Nope", b"", "UNIMPLEMENTED",
          note="gRPC's own answer, no message", empty_ok=True),
        C("unknown service", "/activation.v2.ActivationService/Compute", b"", "UNIMPLEMENTED",
          note="gRPC's own answer, no message", empty_ok=True),
        C("health of an unknown service", "Health", b"\x0a\x04nope", "NOT_FOUND"),
    ]
    # Requests that do not parse: raw bytes (issue 7).
    unparseable = [
        ("truncated request (first 10 bytes of a valid one)",
         ok.SerializeToString()[:10]),
        ("0xff garbage (64 bytes)", b"\xff" * 64),
        ("non-UTF-8 function name", raw_request(function=b"tan\xffh")),
        ("non-UTF-8 id", raw_request(id_=b"\xc3\x28")),
        ("non-UTF-8 parameter key", raw_request(function=b"elu", param_key=b"al\xfepha")),
        ("function as a varint, the only field (protobuf keeps it as an unknown field: "
         "the request then has no mode)", varint(2 << 3 | 0) + varint(5)),
        ("length prefix past the end", ld(2, b"sigmoid")[:-3]),
        ("field number 0", varint(0) + varint(1)),
        ("tensor bytes that do not parse", raw_request(tensor=b"\xff\xff\xff")),
    ]
    for name, data in unparseable:
        cases.append(C(name, "Compute", data, "INVALID_ARGUMENT",
                       note="issue 7: was UNIMPLEMENTED with an empty message"))
    cases.append(C("ListActivations with garbage bytes", "ListActivations", b"\xff" * 16,
                   "INVALID_ARGUMENT"))
    # Streams: one response per request, errors in place, the stream goes on.
    good = ok.SerializeToString()
    bad_valid = request(pb, "nope").SerializeToString()
    cases += [
        C("stream: message 3 of 10 fails validation", "ComputeStream",
          [good] * 2 + [bad_valid] + [good] * 7, "OK",
          stream={"responses": 10, "error_at": [2]}),
        C("stream: message 3 of 10 does not parse", "ComputeStream",
          [good] * 2 + [b"\xff" * 32] + [good] * 7, "OK",
          stream={"responses": 10, "error_at": [2]},
          note="issue 7: ended OK after 2 responses; or the stream fails INVALID_ARGUMENT"),
        C("stream: every message bad", "ComputeStream", [bad_valid] * 5, "OK",
          stream={"responses": 5, "error_at": [0, 1, 2, 3, 4]}),
        C("stream: no message", "ComputeStream", [], "OK", stream={"responses": 0,
                                                                   "error_at": []}),
        C("stream: one message over --max_elements", "ComputeStream",
          [good, request(pb, input=raw(pb.DTYPE_FLOAT32, b"\0" * 4 * (MAX_ELEMENTS + 1)))
           .SerializeToString(), good], "OK",
          stream={"responses": 3, "error_at": [1]}),
        C("stream: one message over --max_message_bytes", "ComputeStream",
          [good, request(pb, input=raw(pb.DTYPE_FLOAT64, b"\0" * ((1 << 20) + 1024)))
           .SerializeToString()], "RESOURCE_EXHAUSTED",
          stream={"responses": 1, "error_at": [], "lockstep": True},
          note="gRPC itself refuses the message and ends the stream"),
    ]
    return cases


# --- running a case ---------------------------------------------------------------------------

def identity(x):
    return x


def run_case(channel, pb, case):
    method = case.rpc if case.rpc.startswith("/") else (
        "/grpc.health.v1.Health/Check" if case.rpc == "Health" else SERVICE + case.rpc)
    data = case.request
    if case.stream is not None:
        call = channel.stream_stream(method, request_serializer=identity,
                                     response_deserializer=identity)
        responses = []
        answered = threading.Condition()

        def messages():
            # "lockstep": each message only once the previous one is answered. gRPC cancels
            # the whole stream when it refuses a message, so without it, whether the answer to
            # an earlier message was written before the cancellation is a race.
            for i, message in enumerate(data):
                if case.stream.get("lockstep"):
                    with answered:
                        answered.wait_for(lambda: len(responses) >= i, timeout=case.timeout)
                yield message

        try:
            for reply in call(messages(), timeout=case.timeout):
                with answered:
                    responses.append(pb.ComputeStreamResponse.FromString(reply))
                    answered.notify_all()
            code, message = "OK", ""
        except grpc.RpcError as e:
            code, message = e.code().name, e.details() or ""
        errors = [i for i, r in enumerate(responses) if r.HasField("error")]
        detail = f"{len(responses)} responses; errors at {errors}"
        if errors:
            first = responses[errors[0]].error
            detail += f"; first: code {first.code} \"{first.message}\""
        stream_ok = (len(responses) == case.stream["responses"]
                     and errors == case.stream["error_at"])
        if code != "OK":
            detail += f"; stream ended {code}: {message}"
        return code, detail, stream_ok
    if not isinstance(data, (bytes, bytearray)):
        data = data.SerializeToString()
    call = channel.unary_unary(method, request_serializer=identity,
                               response_deserializer=identity)
    try:
        call(data, timeout=case.timeout, metadata=case.metadata)
        return "OK", "", True
    except grpc.RpcError as e:
        return e.code().name, e.details() or "", True


def shorten(text, limit=160):
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actserver", required=True)
    parser.add_argument("--proto-dir", default=str(SOURCE / "proto"))
    parser.add_argument("--markdown")
    parser.add_argument("--json")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    pb = load_pb2(args.proto_dir)
    server = Server(args.actserver, [f"--max_elements={MAX_ELEMENTS}",
                                     f"--max_message_bytes={MAX_MESSAGE_BYTES}"])
    rows = []
    try:
        # The client's other limits stay gRPC's defaults (8 KiB of metadata, as most clients
        # have): an error message too long for them fails the call on the client side.
        options = [("grpc.max_send_message_length", -1),
                   ("grpc.max_receive_message_length", -1)]
        channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=options)
        catalogue = pb.ListActivationsResponse.FromString(
            channel.unary_unary(SERVICE + "ListActivations")(b"", timeout=TIMEOUT))
        cases = fixed_cases(pb) + catalogue_cases(pb, catalogue)
        channel.close()
        for case in cases:
            # A channel (and connection) per case: some cases end their connection (oversized
            # metadata is a connection error to gRPC), and must not fail the next case.
            channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=options)
            started = time.monotonic()
            code, message, stream_ok = run_case(channel, pb, case)
            channel.close()
            if case.contains and case.contains not in message:
                stream_ok = False
            # A refusal must say why, briefly and printably (issue 7: quoted values are cut
            # short; a message is for the person reading the log).
            if (code != "OK" and case.stream is None and
                    ((not message and not case.empty_ok) or len(message) > MAX_MESSAGE_CHARS
                     or any(ord(c) < 0x20 for c in message))):
                stream_ok = False
            rows.append({"case": case.name, "rpc": case.rpc.rsplit("/", 1)[-1],
                         "expect": case.expect, "code": code, "message": message,
                         "ms": round((time.monotonic() - started) * 1000, 1),
                         "right": code == case.expect and stream_ok, "note": case.note})
        alive = server.proc.poll() is None
    finally:
        exit_code = server.stop()
    lines = [f"{len(rows)} cases against actserver --max_elements={MAX_ELEMENTS} "
             f"--max_message_bytes={MAX_MESSAGE_BYTES}; "
             f"{sum(r['right'] for r in rows)} right, "
             f"{sum(not r['right'] for r in rows)} wrong; server alive after all: "
             f"{'yes' if alive else 'NO'}, exit after SIGTERM: {exit_code}", "",
             "| # | case | RPC | expected | got | message | right |",
             "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows, 1):
        lines.append(f"| {i} | {shorten(r['case'], 80)} | {r['rpc']} | {r['expect']} | "
                     f"{r['code']} | {shorten(r['message']) or '(empty)'} | "
                     f"{'yes' if r['right'] else '**NO**'} |")
    text = "\n".join(lines) + "\n"
    if args.markdown:
        pathlib.Path(args.markdown).write_text(text)
    print(text)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    wrong = sum(not r["right"] for r in rows)
    if args.strict and (wrong or not alive):
        sys.exit(1)


if __name__ == "__main__":
    main()
