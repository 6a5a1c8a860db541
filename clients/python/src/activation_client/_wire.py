"""The protobuf wire format of the messages that carry tensors, written and
read directly.

Why not the generated classes: building a ComputeRequest copies the values
three times (tobytes, into the message, serialising) and reading a response
twice (parsing, then `.raw.data`). Here the values are copied once each way:
the request is a list of small headers around a memoryview of the array,
joined once; the response's values are copied once out of the bytes gRPC
received into an aligned, writable array. The field numbers are those of
proto/activation/v1/activation.proto; tests/test_wire.py checks both
directions against the generated classes.
"""

from __future__ import annotations

import struct
from typing import Iterator, List, Mapping, Optional, Tuple

import numpy as np

from ._proto import activation_pb2 as pb

# Wire types.
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
_DOUBLE = struct.Struct("<d")


_SMALL = [bytes((n,)) for n in range(0x80)]


def varint(n: int) -> bytes:
    """A non-negative integer as a protobuf varint."""
    if n < 0x80:
        return _SMALL[n]
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


class Parts:
    """A message being written: byte strings (or memoryviews) to be joined,
    and their total length, so an enclosing message can prefix the length
    without joining first."""

    __slots__ = ("items", "size")

    def __init__(self, items: Optional[List[object]] = None, size: int = 0):
        self.items: List[object] = items if items is not None else []
        self.size = size

    def add_bytes_field(self, number: int, data) -> None:
        header = tag(number, LEN) + varint(len(data))
        self.items += (header, data)
        self.size += len(header) + len(data)

    def add_message_field(self, number: int, message: "Parts") -> None:
        header = tag(number, LEN) + varint(message.size)
        self.items.append(header)
        self.items += message.items
        self.size += len(header) + message.size

    def join(self) -> bytes:
        return b"".join(self.items)


# Tags of the fields written here (field number << 3 | wire type).
_TENSOR_SHAPE, _TENSOR_RAW = b"\x0a", b"\x22"
_RAW_DTYPE, _RAW_DATA = b"\x08", b"\x12"
_REQ_ID, _REQ_FUNCTION, _REQ_PARAM = b"\x0a", b"\x12", b"\x1a"
_REQ_MODE, _REQ_INPUT, _REQ_GRAD, _REQ_INPUT_KIND = b"\x20", b"\x2a", b"\x32", b"\x38"
_ENTRY_KEY, _ENTRY_VALUE = b"\x0a", b"\x11"


def raw_tensor(array: np.ndarray, dtype_number: int) -> Parts:
    """Tensor{shape, raw{dtype, data}} around a C-contiguous little-endian
    array, without copying its values."""
    data = memoryview(array).cast("B") if array.size else b""
    n = len(data)
    raw = _RAW_DTYPE + _SMALL[dtype_number] + _RAW_DATA + varint(n)
    head = _TENSOR_RAW + varint(len(raw) + n) + raw
    if array.ndim == 1:
        dim = varint(array.shape[0])
        head = _TENSOR_SHAPE + _SMALL[len(dim)] + dim + head
    elif array.ndim:
        dims = b"".join([varint(d) for d in array.shape])
        head = _TENSOR_SHAPE + varint(len(dims)) + dims + head
    return Parts([head, data], len(head) + n)


def compute_request(function: str, mode: int, input_tensor: Parts,
                    grad: Optional[Parts], input_kind: int,
                    params: Optional[Mapping[str, float]], id: str) -> Parts:
    """ComputeRequest; fields in number order, defaults omitted (proto3)."""
    name = function.encode()
    head = [_REQ_FUNCTION, varint(len(name)), name]
    if id:
        i = id.encode()
        head[:0] = (_REQ_ID, varint(len(i)), i)
    if params:
        for key, value in params.items():
            k = str(key).encode()
            entry = (_ENTRY_KEY + varint(len(k)) + k + _ENTRY_VALUE +
                     _DOUBLE.pack(float(value)))
            head += (_REQ_PARAM, varint(len(entry)), entry)
    if mode:
        head += (_REQ_MODE, varint(mode))
    head += (_REQ_INPUT, varint(input_tensor.size))
    first = b"".join(head)
    items = [first]
    items += input_tensor.items
    size = len(first) + input_tensor.size
    if grad is not None:
        g = _REQ_GRAD + varint(grad.size)
        items.append(g)
        items += grad.items
        size += len(g) + grad.size
    if input_kind:
        items.append(_REQ_INPUT_KIND + varint(input_kind))
        size += 2
    return Parts(items, size)


# --- Reading ----------------------------------------------------------------


class WireError(ValueError):
    """The bytes are not a well-formed message."""


def _read_varint(buf: bytes, i: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        try:
            byte = buf[i]
        except IndexError:
            raise WireError("truncated varint") from None
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise WireError("varint too long")


def fields(buf: bytes, start: int, end: int) -> Iterator[Tuple[int, int, int, int]]:
    """(field number, wire type, value or start, end) of each field in
    buf[start:end]: a varint's value (end unused), or where a
    length-delimited or fixed field's bytes are. Unknown fields are
    yielded too, for the caller to skip."""
    i = start
    while i < end:
        key, i = _read_varint(buf, i)
        wire_type = key & 7
        if wire_type == VARINT:
            value, i = _read_varint(buf, i)
            yield key >> 3, wire_type, value, i
        elif wire_type == LEN:
            length, i = _read_varint(buf, i)
            if i + length > end:
                raise WireError("field runs past the end of its message")
            yield key >> 3, wire_type, i, i + length
            i += length
        elif wire_type == FIXED64 or wire_type == FIXED32:
            size = 8 if wire_type == FIXED64 else 4
            if i + size > end:
                raise WireError("truncated fixed field")
            yield key >> 3, wire_type, i, i + size
            i += size
        else:
            raise WireError(f"unsupported wire type {wire_type}")


def string(buf: bytes, start: int, end: int) -> str:
    return bytes(buf[start:end]).decode("utf-8", "replace")


def double(buf: bytes, start: int) -> float:
    return _DOUBLE.unpack_from(buf, start)[0]


def int32(value: int) -> int:
    """A varint read as int32 (negative numbers are sign-extended to 64 bits)."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


class TensorView:
    """Where a Tensor's values are in a received buffer."""

    __slots__ = ("shape", "dtype", "start", "end", "packed")

    def __init__(self) -> None:
        self.shape: List[int] = []
        self.dtype = 0
        self.start = self.end = 0
        self.packed: Optional[np.ndarray] = None  # float32/float64 oneof


def _read_length(buf: bytes, i: int, end: int) -> Tuple[int, int]:
    """A length prefix at i: (length, where the bytes start), checked
    against `end`."""
    length = buf[i] if i < end else 0x80
    if length < 0x80:
        i += 1
    else:
        length, i = _read_varint(buf, i)
    if i + length > end:
        raise WireError("field runs past the end of its message")
    return length, i


def tensor(buf: bytes, start: int, end: int) -> TensorView:
    """Reads a Tensor (inline, like compute_response)."""
    view = TensorView()
    i = start
    while i < end:
        key = buf[i]
        if key >= 0x80:  # a field number > 15: none of ours
            i = _skip(buf, i, end)
            continue
        i += 1
        number, wire_type = key >> 3, key & 7
        if wire_type != LEN:
            if number == 1 and wire_type == VARINT:  # unpacked shape
                d, i = _read_varint(buf, i)
                view.shape.append(d)
            else:
                i = _skip_value(buf, i, end, wire_type)
            continue
        length, i = _read_length(buf, i, end)
        stop = i + length
        if number == 4:  # RawArray
            j = i
            while j < stop:
                k = buf[j]
                if k == 0x08:  # dtype
                    view.dtype, j = _read_varint(buf, j + 1)
                elif k == 0x12:  # data
                    n, j = _read_length(buf, j + 1, stop)
                    view.start, view.end = j, j + n
                    j += n
                else:
                    j = _skip(buf, j, stop)
        elif number == 1:  # packed shape
            while i < stop:
                d, i = _read_varint(buf, i)
                view.shape.append(d)
        elif number == 2 or number == 3:
            # Packed float32/float64 values: a server that ignored the
            # request's encoding. Rare, so the generated classes read them.
            cls = pb.FloatArray if number == 2 else pb.DoubleArray
            values = cls.FromString(bytes(buf[i:stop])).values
            view.packed = np.array(values, np.float32 if number == 2 else np.float64)
        i = stop
    return view


class ResponseView:
    """Where a ComputeResponse's fields are in a received buffer."""

    __slots__ = ("id", "output", "derivative", "max_ulp_error")

    def __init__(self) -> None:
        self.id = ""
        self.output: Optional[TensorView] = None
        self.derivative: Optional[TensorView] = None
        self.max_ulp_error = 0.0


def compute_response(buf: bytes, start: int, end: int) -> ResponseView:
    """Reads a ComputeResponse. The hot path of every call: the one-byte
    keys and lengths of its fields are read inline."""
    view = ResponseView()
    i = start
    while i < end:
        key = buf[i]
        if key == 0x21:  # 4: max_ulp_error, fixed64
            if i + 9 > end:
                raise WireError("truncated fixed field")
            view.max_ulp_error = _DOUBLE.unpack_from(buf, i + 1)[0]
            i += 9
        elif key in (0x0A, 0x12, 0x1A):  # 1: id, 2: output, 3: derivative
            length, i = _read_length(buf, i + 1, end)
            if key == 0x12:
                view.output = tensor(buf, i, i + length)
            elif key == 0x1A:
                view.derivative = tensor(buf, i, i + length)
            else:
                view.id = string(buf, i, i + length)
            i += length
        else:
            i = _skip(buf, i, end)
    return view


def _skip_value(buf: bytes, i: int, end: int, wire_type: int) -> int:
    if wire_type == VARINT:
        return _read_varint(buf, i)[1]
    if wire_type == FIXED64 or wire_type == FIXED32:
        i += 8 if wire_type == FIXED64 else 4
        if i > end:
            raise WireError("truncated fixed field")
        return i
    if wire_type == LEN:
        length, i = _read_length(buf, i, end)
        return i + length
    raise WireError(f"unsupported wire type {wire_type}")


def _skip(buf: bytes, i: int, end: int) -> int:
    """Skips the field whose key is at i; returns where the next starts."""
    key, i = _read_varint(buf, i)
    return _skip_value(buf, i, end, key & 7)
