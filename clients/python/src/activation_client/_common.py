"""What the blocking and the asyncio clients share: targets, channel options,
credentials, the dtype table, request building, response decoding, errors
and the catalogue dataclasses. No I/O here."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import math
import os
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import grpc
import numpy as np
import numpy.typing as npt

from . import _wire
from ._proto import activation_pb2 as pb
from ._proto import activation_pb2_grpc as pb_grpc

ArrayLike = npt.ArrayLike
Target = Union[str, Sequence[str]]
# compute() returns one array, or (f(x), f'(x)) for forward_and_derivative.
Value = Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_MAX_MESSAGE_BYTES = 64 << 20
SERVICE = "activation.v1.ActivationService"
METHOD = f"/{SERVICE}/"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"


# --- Errors --------------------------------------------------------------


class ActivationError(Exception):
    """Every failure of this package: an RPC the server (or the channel)
    failed, an item of a stream the server rejected, or an argument this
    client cannot put on the wire.

    Attributes:
        code: the grpc.StatusCode (INVALID_ARGUMENT for a bad function,
            parameter, shape or dtype; RESOURCE_EXHAUSTED for a request over
            the server's limits; DEADLINE_EXCEEDED; UNAVAILABLE when no
            server could be reached).
        details: the server's message, naming the field, the value and the
            valid choices ("params.beta: softplus: beta=0 is outside (0, inf)").
    """

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


_CODES_BY_NUMBER = {c.value[0]: c for c in grpc.StatusCode}


def status_code(number: int) -> grpc.StatusCode:
    """The grpc.StatusCode of a google.rpc.Code number (UNKNOWN if none)."""
    return _CODES_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


def from_rpc_error(error: grpc.RpcError) -> ActivationError:
    """The ActivationError for a failed call (sync or aio)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    return ActivationError(code or grpc.StatusCode.UNKNOWN, details or "")


def invalid(message: str) -> ActivationError:
    return ActivationError(grpc.StatusCode.INVALID_ARGUMENT, message)


# --- Targets and channels ------------------------------------------------


def _ip_family(entry: str) -> Optional[int]:
    """4 for "1.2.3.4:80", 6 for "[::1]:80", None for anything else."""
    if entry.startswith("["):
        host, sep, port = entry[1:].partition("]:")
    else:
        host, sep, port = entry.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        return None
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return None


def channel_target(target: Target) -> str:
    """The gRPC target URI for `target`.

    `target` is "host:port", a gRPC URI ("dns:///svc:50051",
    "unix:/run/act.sock", "unix:///abs/path.sock"), or several replicas --
    a list or a comma-separated string -- of IP "addr:port" entries (all of
    one family: gRPC's ipv4:/ipv6: lists) or of unix: paths. Calls are spread
    over the replicas round robin.

    Raises ActivationError(INVALID_ARGUMENT) for an empty target or a list
    that gRPC cannot take as one address list.
    """
    entries = ([e.strip() for e in target.split(",")] if isinstance(target, str)
               else [str(e).strip() for e in target])
    if not entries or any(not e for e in entries):
        raise invalid(f"target {target!r} is empty or has an empty entry")
    if len(entries) == 1:
        return entries[0]
    if all(e.startswith("unix:") for e in entries):
        # unix:/a, unix:///a and unix:rel all become paths of one unix: list.
        paths = [e[len("unix://"):] if e.startswith("unix://") else e[len("unix:"):]
                 for e in entries]
        return "unix:" + ",".join(paths)
    families = {_ip_family(e) for e in entries}
    if None in families:
        bad = next(e for e in entries if _ip_family(e) is None)
        raise invalid(
            f"target list entry {bad!r} is not an IP address with a port "
            "(1.2.3.4:50051 or [::1]:50051) nor a unix: path; for host names "
            "use dns:///NAME:PORT")
    if len(families) > 1:
        raise invalid(f"target list {target!r} mixes IPv4 and IPv6 addresses")
    return ("ipv4:" if families == {4} else "ipv6:") + ",".join(entries)


def service_config_json(max_attempts: int) -> str:
    """The channel's service config: round_robin over every resolved address
    and, when max_attempts > 1, gRPC retries of UNAVAILABLE (a replica
    restarting or draining) with exponential backoff -- the same policy as the
    C++ client library. gRPC retries only calls no server has answered, so a
    computation is never applied twice."""
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    if max_attempts > 1:
        config["methodConfig"] = [{
            "name": [{"service": SERVICE}, {"service": "grpc.health.v1.Health"}],
            "retryPolicy": {
                "maxAttempts": max_attempts,
                "initialBackoff": "0.05s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }]
    return json.dumps(config, separators=(",", ":"))


def _pem(value: Union[bytes, str, os.PathLike, None]) -> Optional[bytes]:
    """PEM bytes from bytes, PEM text, or a path to a PEM file."""
    if value is None or isinstance(value, bytes):
        return value
    text = os.fspath(value)
    if "-----BEGIN" in text:
        return text.encode()
    with open(text, "rb") as f:
        return f.read()


@dataclasses.dataclass(frozen=True)
class Tls:
    """TLS settings of a client. Each PEM field takes bytes, PEM text or a
    path to a PEM file.

    Attributes:
        root_certificates: CAs that sign the server's certificate (None: the
            system's roots).
        certificate_chain, private_key: this client's certificate and key, for
            servers that require client certificates (mutual TLS); give both
            or neither.
        server_name: the name to check the server's certificate against when
            it differs from the target's host (e.g. "localhost" when
            connecting to 127.0.0.1 or over a unix: socket).
    """

    root_certificates: Union[bytes, str, os.PathLike, None] = None
    certificate_chain: Union[bytes, str, os.PathLike, None] = None
    private_key: Union[bytes, str, os.PathLike, None] = None
    server_name: Optional[str] = None

    def credentials(self) -> grpc.ChannelCredentials:
        chain, key = _pem(self.certificate_chain), _pem(self.private_key)
        if (chain is None) != (key is None):
            raise invalid("tls: certificate_chain and private_key go together "
                          "(mutual TLS needs both)")
        return grpc.ssl_channel_credentials(
            root_certificates=_pem(self.root_certificates),
            private_key=key, certificate_chain=chain)


def channel_args(target: Target, tls: Union[bool, Tls], timeout: float,
                 max_attempts: int, max_message_bytes: int,
                 options: Sequence[Tuple[str, Any]]):
    """(uri, credentials or None, options) for grpc.*_channel, validated."""
    uri = channel_target(target)
    if not (timeout > 0 and math.isfinite(timeout)):
        raise invalid(f"timeout={timeout!r} must be a finite number of "
                      "seconds > 0")
    if max_attempts < 1:
        raise invalid(f"max_attempts={max_attempts} must be >= 1")
    opts = [
        ("grpc.service_config", service_config_json(max_attempts)),
        ("grpc.enable_retries", 1 if max_attempts > 1 else 0),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
    ]
    credentials = None
    if tls:
        settings = tls if isinstance(tls, Tls) else Tls()
        credentials = settings.credentials()
        if settings.server_name:
            opts.append(("grpc.ssl_target_name_override", settings.server_name))
    return uri, credentials, opts + list(options)


def open_channel(module, target: Target, tls: Union[bool, "Tls"],
                 timeout: float, max_attempts: int, max_message_bytes: int,
                 options: Sequence[Tuple[str, Any]]):
    """(target URI, channel) from `module`: grpc or grpc.aio."""
    uri, credentials, opts = channel_args(target, tls, timeout, max_attempts,
                                          max_message_bytes, options)
    if credentials is not None:
        return uri, module.secure_channel(uri, credentials, opts)
    return uri, module.insecure_channel(uri, opts)


def raw_methods(channel):
    """The callables of the methods this package encodes itself, taking and
    returning bytes: Compute, ComputeBatch, ComputeStream, Health/Check."""
    return (channel.unary_unary(METHOD + "Compute"),
            channel.unary_unary(METHOD + "ComputeBatch"),
            channel.stream_stream(METHOD + "ComputeStream"),
            channel.unary_unary(HEALTH_CHECK))


class ClientBase:
    """What Client and AsyncClient hold alike: the channel, from the
    subclass's gRPC module (_GRPC: grpc or grpc.aio), the generated stub,
    the raw methods and the default deadline. Arguments: see Client."""

    _GRPC: Any = grpc

    def __init__(self, target: Target, *, tls: Union[bool, "Tls"] = False,
                 timeout: float = DEFAULT_TIMEOUT_S,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 options: Sequence[Tuple[str, Any]] = ()):
        self.target, self._channel = open_channel(
            self._GRPC, target, tls, timeout, max_attempts, max_message_bytes,
            options)
        self.timeout = float(timeout)
        # The generated stub, for what the client classes do not wrap.
        self.stub = pb_grpc.ActivationServiceStub(self._channel)
        # The tensor-carrying methods take and return bytes (_wire encodes).
        (self._compute, self._batch, self._stream,
         self._health) = raw_methods(self._channel)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.target!r}, "
                f"timeout={self.timeout:g})")

    def _deadline(self, timeout: Optional[float]) -> float:
        return self.timeout if timeout is None else timeout


# --- Element types: one table entry each ---------------------------------


@dataclasses.dataclass(frozen=True)
class WireType:
    """An element type the API can carry as raw bytes.

    Attributes:
        name: what `dtype=` arguments accept ("float32").
        proto: the activation.v1.DType value's name ("DTYPE_FLOAT32").
        storage: the little-endian numpy dtype of the bytes on the wire
            (bfloat16 has no numpy type: its bit patterns travel as uint16).
    """

    name: str
    proto: str
    storage: np.dtype

    @property
    def available(self) -> bool:
        """Whether the API version these stubs were built from has it."""
        return self.proto in _DTYPE_NUMBERS

    @property
    def number(self) -> int:
        """Its activation.v1.DType value (KeyError when not available)."""
        return _DTYPE_NUMBERS[self.proto]


_DTYPE_NUMBERS = dict(pb.DType.items())


WIRE_TYPES = (
    WireType("float32", "DTYPE_FLOAT32", np.dtype("<f4")),
    WireType("float64", "DTYPE_FLOAT64", np.dtype("<f8")),
    WireType("float16", "DTYPE_FLOAT16", np.dtype("<f2")),
    WireType("bfloat16", "DTYPE_BFLOAT16", np.dtype("<u2")),
)
_BY_NAME = {w.name: w for w in WIRE_TYPES}
# The default wire type of an array's dtype (uint16 is ambiguous: it must be
# asked for as dtype="bfloat16").
_BY_NUMPY = {np.dtype(np.float32): _BY_NAME["float32"],
             np.dtype(np.float64): _BY_NAME["float64"],
             np.dtype(np.float16): _BY_NAME["float16"]}
_BY_PROTO = {}


def _wire_by_proto(number: int) -> WireType:
    if not _BY_PROTO:
        _BY_PROTO.update({w.number: w for w in WIRE_TYPES if w.available})
    try:
        return _BY_PROTO[number]
    except KeyError:
        raise ActivationError(grpc.StatusCode.INTERNAL,
                              f"response has unknown dtype {number}") from None


def supported_dtypes() -> Tuple[str, ...]:
    """Names of the element types this package's API version carries."""
    return tuple(w.name for w in WIRE_TYPES if w.available)


def _wire_type(array: np.ndarray, dtype: Optional[str]) -> WireType:
    if dtype is None:
        wire = _BY_NUMPY.get(array.dtype)  # the common case, native order
        if wire is not None and wire.available:
            return wire
    if dtype is not None:
        wire = _BY_NAME.get(str(dtype))
    elif array.dtype.kind in "biu" and array.dtype != np.uint16:
        wire = _BY_NAME["float64"]  # integers and bools: exact in float64
    else:
        wire = _BY_NUMPY.get(array.dtype.newbyteorder("="))
    if wire is None or not wire.available:
        raise invalid(
            f"dtype: {dtype or array.dtype} is not carried by this API "
            f"version; valid: {', '.join(supported_dtypes())}"
            + ("" if dtype else " (pass dtype='bfloat16' for uint16 bit "
               "patterns)"))
    return wire


def _contiguous(array: np.ndarray, wire: WireType) -> np.ndarray:
    if array.dtype == wire.storage and array.flags.c_contiguous:
        return array
    return np.ascontiguousarray(array, dtype=wire.storage)


_MODES = {"forward": pb.MODE_FORWARD, "derivative": pb.MODE_DERIVATIVE,
          "forward_and_derivative": pb.MODE_FORWARD_AND_DERIVATIVE,
          "both": pb.MODE_FORWARD_AND_DERIVATIVE, "backward": pb.MODE_BACKWARD}
_INPUT_KINDS = {"x": pb.INPUT_KIND_X, "output": pb.INPUT_KIND_OUTPUT,
                "y": pb.INPUT_KIND_OUTPUT}


def _choice(table: Mapping[str, int], field: str, value: str) -> int:
    try:
        return table[value]
    except (KeyError, TypeError):
        raise invalid(f"{field}: {value!r} is not one of "
                      f"{', '.join(table)}") from None


@dataclasses.dataclass
class Request:
    """One computation, for batch() and stream().

    Attributes:
        function: catalogue name ("sigmoid", "leaky_relu", ...).
        x: the input: anything numpy.asarray takes (a numpy array, a list, a
            CPU torch tensor); float32, float64 (and float16/bfloat16 once the
            API carries them) keep their type, integers become float64.
        mode: "forward" f(x), "derivative" f'(x), "forward_and_derivative"
            (or "both") for both in one pass, "backward" grad * f'(x).
        grad: the upstream gradient of "backward", as many values as x.
        input_kind: "x", or "output" when x holds y = f(x) (derivative and
            backward of sigmoid, tanh, relu, leaky_relu, elu).
        params: parameters by name as in torch.nn.functional
            ({"negative_slope": 0.2}); left out ones take PyTorch's default.
        dtype: the wire type, when it is not x's own ("bfloat16" for uint16
            bit patterns).
        id: echoed in the result.
    """

    function: str
    x: ArrayLike
    mode: str = "forward"
    grad: Optional[ArrayLike] = None
    input_kind: str = "x"
    params: Mapping[str, float] = dataclasses.field(default_factory=dict)
    dtype: Optional[str] = None
    id: str = ""


@dataclasses.dataclass
class Result:
    """The result of one computation of batch() or stream().

    Attributes:
        id: the request's id.
        output: f(x), f'(x) or grad * f'(x) per the mode, with the input's
            shape and dtype; None when `error` is set.
        derivative: f'(x) for forward_and_derivative, else None.
        max_ulp_error: the server's accuracy bound for this result, in ULP.
        error: why the server rejected this item of a stream, else None.
    """

    id: str
    output: Optional[np.ndarray]
    derivative: Optional[np.ndarray] = None
    max_ulp_error: float = 0.0
    error: Optional[ActivationError] = None

    @property
    def value(self) -> Value:
        """What compute() returns for this request; raises `error`."""
        if self.error is not None:
            raise self.error
        assert self.output is not None
        return self.output if self.derivative is None else (self.output,
                                                            self.derivative)


class Encoded:
    """A request on its way out, with what decoding its response needs: the
    input's shape (the wire cannot tell a 0-d array from a 1-element one),
    the mode and the element type."""

    __slots__ = ("parts", "shape", "mode", "wire", "_keep")

    def __init__(self, parts: _wire.Parts, shape: Tuple[int, ...], mode: int,
                 wire: WireType, keep: Tuple[np.ndarray, ...]):
        self.parts = parts
        self.shape = shape
        self.mode = mode
        self.wire = wire
        self._keep = keep  # the arrays `parts` views, alive until sent

    def serialize(self) -> bytes:
        """The ComputeRequest's bytes."""
        return self.parts.join()


def encode(function: str, x: ArrayLike, mode: str = "forward",
           grad: Optional[ArrayLike] = None, input_kind: str = "x",
           params: Optional[Mapping[str, float]] = None,
           dtype: Optional[str] = None, id: str = "") -> Encoded:
    """Builds a ComputeRequest around the array's bytes: no per-element
    Python work. The server judges everything else."""
    array = np.asarray(x)
    wire = _wire_type(array, dtype)
    mode_value = _choice(_MODES, "mode", mode)
    data = _contiguous(array, wire)
    keep: Tuple[np.ndarray, ...] = (data,)
    grad_parts = None
    if grad is not None:
        # A gradient without its own float type (a list) takes x's.
        g = np.asarray(grad)
        g_wire = _wire_type(g, dtype) if hasattr(grad, "dtype") else wire
        g_data = _contiguous(g, g_wire)
        keep += (g_data,)
        grad_parts = _wire.raw_tensor(g_data, g_wire.number)
    parts = _wire.compute_request(
        function, mode_value, _wire.raw_tensor(data, wire.number),
        grad_parts, _choice(_INPUT_KINDS, "input_kind", input_kind), params, id)
    return Encoded(parts, array.shape, mode_value, wire, keep)


def encode_request(request: Request) -> Encoded:
    return encode(request.function, request.x, request.mode, request.grad,
                  request.input_kind, request.params, request.dtype, request.id)


def serialize_batch(encoded: Sequence[Encoded]) -> bytes:
    """A ComputeBatchRequest of the given requests."""
    batch = _wire.Parts()
    for e in encoded:
        batch.add_message_field(1, e.parts)
    return batch.join()


def _malformed(what: str, error: Exception) -> ActivationError:
    return ActivationError(grpc.StatusCode.INTERNAL,
                           f"malformed {what} from the server: {error}")


def _array(buf: bytes, view: _wire.TensorView, encoded: Encoded) -> np.ndarray:
    if view.packed is not None:
        values = view.packed
    else:
        wire = _wire_by_proto(view.dtype) if view.dtype else encoded.wire
        size = view.end - view.start
        if size % wire.storage.itemsize:
            raise ActivationError(
                grpc.StatusCode.INTERNAL,
                f"response tensor has {size} bytes, not a multiple of "
                f"{wire.storage.itemsize} ({wire.name})")
        # The one copy: out of gRPC's buffer into an aligned, writable array.
        values = np.frombuffer(buf, wire.storage, size // wire.storage.itemsize,
                               view.start).copy() if size else \
            np.empty(0, wire.storage)
    if values.size != math.prod(encoded.shape):
        raise ActivationError(
            grpc.StatusCode.INTERNAL,
            f"response has {values.size} values for an input of shape "
            f"{encoded.shape}")
    return values.reshape(encoded.shape)


def _response(buf: bytes, start: int, end: int, encoded: Encoded) -> Result:
    """A ComputeResponse in buf[start:end]."""
    try:
        view = _wire.compute_response(buf, start, end)
    except (_wire.WireError, IndexError) as e:
        raise _malformed("ComputeResponse", e) from None
    result = Result(id=view.id, max_ulp_error=view.max_ulp_error,
                    output=_array(buf, view.output or _wire.TensorView(), encoded))
    if encoded.mode == pb.MODE_FORWARD_AND_DERIVATIVE:
        result.derivative = _array(buf, view.derivative or _wire.TensorView(),
                                   encoded)
    return result


def decode(buf: bytes, encoded: Encoded) -> Result:
    """A ComputeResponse."""
    return _response(buf, 0, len(buf), encoded)


def decode_value(buf: bytes, encoded: Encoded) -> Value:
    """compute()'s return value: the array, or the (f, f') pair."""
    try:
        view = _wire.compute_response(buf, 0, len(buf))
    except (_wire.WireError, IndexError) as e:
        raise _malformed("ComputeResponse", e) from None
    output = _array(buf, view.output or _wire.TensorView(), encoded)
    if encoded.mode == pb.MODE_FORWARD_AND_DERIVATIVE:
        return output, _array(buf, view.derivative or _wire.TensorView(), encoded)
    return output


def decode_batch(buf: bytes, encoded: Sequence[Encoded]) -> List[Result]:
    """A ComputeBatchResponse: one Result per request, in order."""
    try:
        items = [(a, b) for number, wire_type, a, b in
                 _wire.fields(buf, 0, len(buf))
                 if number == 1 and wire_type == _wire.LEN]
    except (_wire.WireError, IndexError) as e:
        raise _malformed("ComputeBatchResponse", e) from None
    if len(items) != len(encoded):
        raise ActivationError(
            grpc.StatusCode.INTERNAL,
            f"ComputeBatch answered {len(items)} items for {len(encoded)}")
    return [_response(buf, a, b, e) for (a, b), e in zip(items, encoded)]


def decode_stream_item(buf: bytes, encoded: Encoded) -> Result:
    """A ComputeStreamResponse: its result, or its error."""
    item_id, response, code, message = "", None, None, ""
    try:
        for number, wire_type, a, b in _wire.fields(buf, 0, len(buf)):
            if number == 1 and wire_type == _wire.LEN:
                item_id = _wire.string(buf, a, b)
            elif number == 2 and wire_type == _wire.LEN:
                response = (a, b)
            elif number == 3 and wire_type == _wire.LEN:
                code = 0
                for n, w, x, y in _wire.fields(buf, a, b):
                    if n == 1 and w == _wire.VARINT:
                        code = _wire.int32(x)
                    elif n == 2 and w == _wire.LEN:
                        message = _wire.string(buf, x, y)
    except (_wire.WireError, IndexError) as e:
        raise _malformed("ComputeStreamResponse", e) from None
    if code is not None:
        return Result(id=item_id, output=None,
                      error=ActivationError(status_code(code), message))
    a, b = response if response else (0, 0)
    result = _response(buf, a, b, encoded)
    result.id = result.id or item_id
    return result


# --- Health ---------------------------------------------------------------
# grpc.health.v1's two messages have one field each, and Debian's grpcio
# ships no grpc_health module: encoding them by hand avoids registering a
# second health.proto that could clash with the application's own.

SERVING_STATUSES = ("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")


def encode_health_request(service: str) -> bytes:
    """HealthCheckRequest { string service = 1; }"""
    data = service.encode()
    if not data:
        return b""  # proto3 omits an empty string
    message = _wire.Parts()
    message.add_bytes_field(1, data)
    return message.join()


def decode_health_response(data: bytes) -> str:
    """HealthCheckResponse { ServingStatus status = 1; } -> its name."""
    status = 0
    try:
        for number, wire_type, value, _ in _wire.fields(data, 0, len(data)):
            if number == 1 and wire_type == _wire.VARINT:
                status = value
    except (_wire.WireError, IndexError) as e:
        raise _malformed("grpc.health.v1.HealthCheckResponse", e) from None
    return SERVING_STATUSES[status] if status < len(SERVING_STATUSES) else "UNKNOWN"


# --- The catalogue as plain dataclasses -----------------------------------


@dataclasses.dataclass(frozen=True)
class Range:
    """An interval of real numbers; ends may be infinite."""

    min: float
    max: float
    min_inclusive: bool
    max_inclusive: bool

    def __contains__(self, value: float) -> bool:
        above = value >= self.min if self.min_inclusive else value > self.min
        below = value <= self.max if self.max_inclusive else value < self.max
        return above and below

    def __str__(self) -> str:
        return (f"{'[' if self.min_inclusive else '('}{self.min:g}, "
                f"{self.max:g}{']' if self.max_inclusive else ')'}")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A parameter of an activation, named as in torch.nn.functional."""

    name: str
    default: float
    valid_range: Range
    description: str


@dataclasses.dataclass(frozen=True)
class Properties:
    """Mathematical properties of f at its default parameters."""

    bounded_below: bool
    bounded_above: bool
    smooth: bool
    monotonic: bool
    zero_centered: bool
    saturating: bool


@dataclasses.dataclass(frozen=True)
class UlpBounds:
    """The accuracy bounds of one element type, per mode, in ULP, and the
    stated exceptions (see activation.v1.UlpBounds)."""

    forward: float = 0.0
    derivative: float = 0.0
    backward: float = 0.0
    derivative_from_output: float = 0.0
    backward_from_output: float = 0.0
    derivative_near_zero_ulp_of_one: float = 0.0
    derivative_near_zero_max_abs_input: float = 0.0
    derivative_near_zero_max_abs_value: float = 0.0
    subnormal_extra_ulp: float = 0.0


def _ulp_bounds(message) -> UlpBounds:
    # Fields this package does not know yet (a newer proto) are left out.
    names = {f.name for f in dataclasses.fields(UlpBounds)}
    return UlpBounds(**{f.name: getattr(message, f.name)
                        for f in message.DESCRIPTOR.fields if f.name in names})


@dataclasses.dataclass(frozen=True)
class ActivationInfo:
    """One activation of the catalogue."""

    name: str
    formula: str
    derivative_formula: str
    parameters: Tuple[Parameter, ...]
    output_range: Range
    properties: Properties
    derivative_from_output: bool
    max_ulp_error_float32: float
    max_ulp_error_float64: float
    notes: str
    ulp_bounds_float32: UlpBounds = UlpBounds()
    ulp_bounds_float64: UlpBounds = UlpBounds()


@dataclasses.dataclass(frozen=True)
class Catalog:
    """The server's catalogue: iterate it, or look an activation up by name
    (catalog["gelu"])."""

    activations: Tuple[ActivationInfo, ...]
    simd_target: str

    def __iter__(self) -> Iterator[ActivationInfo]:
        return iter(self.activations)

    def __len__(self) -> int:
        return len(self.activations)

    def __getitem__(self, name: str) -> ActivationInfo:
        for info in self.activations:
            if info.name == name:
                return info
        raise KeyError(name)

    def names(self) -> Tuple[str, ...]:
        return tuple(info.name for info in self.activations)


def _range(r: pb.Range) -> Range:
    return Range(r.min, r.max, r.min_inclusive, r.max_inclusive)


def catalog(response: pb.ListActivationsResponse) -> Catalog:
    infos = tuple(
        ActivationInfo(
            name=a.name, formula=a.formula,
            derivative_formula=a.derivative_formula,
            parameters=tuple(Parameter(p.name, p.default_value,
                                       _range(p.valid_range), p.description)
                             for p in a.parameters),
            output_range=_range(a.output_range),
            properties=Properties(
                a.properties.bounded_below, a.properties.bounded_above,
                a.properties.smooth, a.properties.monotonic,
                a.properties.zero_centered, a.properties.saturating),
            derivative_from_output=a.derivative_from_output,
            max_ulp_error_float32=a.max_ulp_error_float32,
            max_ulp_error_float64=a.max_ulp_error_float64,
            notes=a.notes,
            ulp_bounds_float32=_ulp_bounds(a.ulp_bounds_float32),
            ulp_bounds_float64=_ulp_bounds(a.ulp_bounds_float64))
        for a in response.activations)
    return Catalog(infos, response.simd_target)
