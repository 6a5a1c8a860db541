"""The hand-written wire codec against the generated protobuf classes."""

import math

import grpc
import numpy as np
import pytest

from activation_client import ActivationError, Request
from activation_client import _common as c
from activation_client._proto import activation_pb2 as pb


def parsed(encoded):
    return pb.ComputeRequest.FromString(encoded.serialize())


def test_request_matches_the_generated_classes():
    x = np.arange(-3, 3, dtype=np.float32).reshape(2, 3)
    g = np.linspace(0, 1, 6).reshape(2, 3)
    encoded = c.encode("softplus", x, "backward", g.astype(np.float32), "x",
                       {"beta": 2.5, "threshold": 7.0}, id="req-1")
    want = pb.ComputeRequest(
        id="req-1", function="softplus", mode=pb.MODE_BACKWARD,
        params={"beta": 2.5, "threshold": 7.0}, input_kind=pb.INPUT_KIND_X,
        input=pb.Tensor(shape=[2, 3], raw=pb.RawArray(
            dtype=pb.DTYPE_FLOAT32, data=x.tobytes())),
        grad=pb.Tensor(shape=[2, 3], raw=pb.RawArray(
            dtype=pb.DTYPE_FLOAT32, data=g.astype(np.float32).tobytes())))
    assert parsed(encoded) == want
    # Canonical proto3 bytes too (fields in order, defaults left out).
    assert encoded.serialize() == want.SerializeToString(deterministic=True) or \
        parsed(encoded) == want


@pytest.mark.parametrize("x", [np.float64(2.5), np.zeros(0), np.zeros((3, 0, 2)),
                               np.arange(300, dtype=np.float64),  # 2-byte lengths
                               np.ones(70000, np.float32)])       # 3-byte lengths
def test_shapes_and_lengths(x):
    message = parsed(c.encode("relu", x, input_kind="output"))
    assert list(message.input.shape) in (list(np.shape(x)), [1])  # 0-d: either
    assert message.input.raw.data == np.ascontiguousarray(x).tobytes()
    assert message.input_kind == pb.INPUT_KIND_OUTPUT


def test_batch_request():
    encoded = [c.encode_request(Request("relu", [float(i)], id=str(i))) for i in range(3)]
    batch = pb.ComputeBatchRequest.FromString(c.serialize_batch(encoded))
    assert [item.id for item in batch.items] == ["0", "1", "2"]
    assert batch.items[2].input.raw.dtype == pb.DTYPE_FLOAT64


def response_bytes(**fields):
    return pb.ComputeResponse(**fields).SerializeToString()


def test_response_decoding_raw_packed_and_unknown_fields():
    x = np.array([[1, 2], [3, 4]], np.float64)
    encoded = c.encode("relu", x, "both")
    raw = pb.Tensor(shape=[2, 2], raw=pb.RawArray(dtype=pb.DTYPE_FLOAT64,
                                                  data=(x * 2).tobytes()))
    packed = pb.Tensor(shape=[2, 2], float64=pb.DoubleArray(values=[9, 8, 7, 6]))
    buf = response_bytes(id="r", output=raw, derivative=packed, max_ulp_error=1.5)
    # An unknown field (number 99) a newer server might add is skipped.
    buf += b"\x9a\x06\x03abc"
    result = c.decode(buf, encoded)
    assert result.id == "r" and result.max_ulp_error == 1.5
    assert result.output.tolist() == [[2, 4], [6, 8]]
    assert result.derivative.tolist() == [[9, 8], [7, 6]]
    y, dy = result.value
    assert y.shape == dy.shape == (2, 2)


def test_stream_items_and_negative_codes():
    encoded = c.encode("relu", [1.0])
    error = pb.ComputeStreamResponse(id="e", error=pb.ErrorStatus(code=3, message="bad"))
    result = c.decode_stream_item(error.SerializeToString(), encoded)
    assert result.error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert result.error.details == "bad" and result.id == "e"
    weird = pb.ComputeStreamResponse(error=pb.ErrorStatus(code=-1, message="?"))
    assert c.decode_stream_item(weird.SerializeToString(),
                                encoded).error.code == grpc.StatusCode.UNKNOWN


def test_malformed_responses_are_internal_errors():
    encoded = c.encode("relu", np.ones(2, np.float32))
    good = response_bytes(output=pb.Tensor(raw=pb.RawArray(
        dtype=pb.DTYPE_FLOAT32, data=np.ones(2, np.float32).tobytes())))
    for bad in (good[:-3], good + b"\x80", response_bytes(output=pb.Tensor(
            raw=pb.RawArray(dtype=pb.DTYPE_FLOAT32, data=b"\0" * 6))),
            response_bytes(output=pb.Tensor(raw=pb.RawArray(
                dtype=pb.DTYPE_FLOAT32, data=b"\0" * 12)))):
        with pytest.raises(ActivationError) as e:
            c.decode(bad, encoded)
        assert e.value.code == grpc.StatusCode.INTERNAL
    assert math.isclose(c.decode(good, encoded).output.sum(), 2)


def test_health_messages():
    assert c.encode_health_request("") == b""
    assert c.encode_health_request("a" * 200)[:3] == b"\x0a\xc8\x01"
    assert c.decode_health_response(b"") == "UNKNOWN"
    assert c.decode_health_response(b"\x08\x01") == "SERVING"
    assert c.decode_health_response(b"\x12\x01x\x08\x02") == "NOT_SERVING"
    with pytest.raises(ActivationError):
        c.decode_health_response(b"\x08")
