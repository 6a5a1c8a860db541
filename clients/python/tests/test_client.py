"""The blocking Client against a real actserver: every call, dtypes and
shapes, the error cases, round robin and retries, unix: sockets and TLS."""

import json
import math
import re
import socket
import time

import grpc
import numpy as np
import pytest

from activation_client import (ActivationError, Client, Request, Tls,
                               channel_target, service_config_json,
                               supported_dtypes)


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))


# --- Pure functions --------------------------------------------------------


def test_channel_target_lists_and_uris():
    assert channel_target("localhost:50051") == "localhost:50051"
    assert channel_target("dns:///svc:1") == "dns:///svc:1"
    assert channel_target("127.0.0.1:1, 127.0.0.1:2") == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert channel_target(["[::1]:1", "[::1]:2"]) == "ipv6:[::1]:1,[::1]:2"
    assert channel_target("unix:/a.sock") == "unix:/a.sock"
    assert channel_target(["unix:/a.sock", "unix:///b.sock", "unix:rel.sock"]) == \
        "unix:/a.sock,/b.sock,rel.sock"
    for bad, words in (("", "empty"), ("1.2.3.4:1,", "empty"),
                       ("host:1,host:2", "dns:///"),
                       ("1.2.3.4:1,[::1]:2", "mixes IPv4 and IPv6"),
                       ("1.2.3.4:99999,1.2.3.4:1", "not an IP address")):
        with pytest.raises(ActivationError, match=words) as e:
            channel_target(bad)
        assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_service_config_is_round_robin_with_retries():
    config = json.loads(service_config_json(4))
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    policy = config["methodConfig"][0]["retryPolicy"]
    assert policy["maxAttempts"] == 4
    assert policy["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert "methodConfig" not in json.loads(service_config_json(1))


def test_bad_client_arguments():
    for kwargs in ({"timeout": 0}, {"timeout": float("nan")},
                   {"max_attempts": 0},
                   {"tls": Tls(certificate_chain=b"-----BEGIN x")}):
        with pytest.raises(ActivationError) as e:
            Client("127.0.0.1:1", **kwargs)
        assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_local_argument_errors_name_the_choices():
    client = Client("127.0.0.1:1")
    with pytest.raises(ActivationError, match="mode: 'sideways' is not one of forward"):
        client.compute("sigmoid", [1.0], mode="sideways")
    with pytest.raises(ActivationError, match="input_kind: 'z'"):
        client.compute("sigmoid", [1.0], input_kind="z")
    with pytest.raises(ActivationError, match="valid: float32, float64"):
        client.compute("sigmoid", np.zeros(3, np.complex64))
    with pytest.raises(ActivationError, match="dtype: int8"):
        client.compute("sigmoid", [1.0], dtype="int8")
    client.close()


# --- compute ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compute_keeps_dtype_and_shape(client, dtype):
    x = np.linspace(-6, 6, 24, dtype=dtype).reshape(2, 3, 4)
    y = client.compute("sigmoid", x)
    assert y.dtype == dtype and y.shape == (2, 3, 4)
    np.testing.assert_allclose(y, sigmoid(x), rtol=4 * np.finfo(dtype).eps)


def test_compute_scalars_empty_lists_ints_and_big_endian(client):
    assert client.compute("relu", np.float32(-2.0)).shape == ()
    assert client.compute("relu", np.float64(3.0)) == 3.0
    empty = client.compute("tanh", np.zeros((0, 5), np.float32))
    assert empty.shape == (0, 5) and empty.dtype == np.float32
    ints = client.compute("relu", [-2, 0, 5])
    assert ints.dtype == np.float64 and ints.tolist() == [0, 0, 5]
    big = np.array([1.0, -1.0], dtype=">f8")
    np.testing.assert_allclose(client.compute("sigmoid", big), sigmoid(big))
    strided = np.arange(10, dtype=np.float32)[::2]  # not contiguous
    assert client.compute("relu", strided).tolist() == [0, 2, 4, 6, 8]


def test_compute_modes_params_and_input_kind(client):
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    y, dy = client.compute("tanh", x, mode="forward_and_derivative")
    np.testing.assert_allclose(y, np.tanh(x), rtol=1e-15)
    np.testing.assert_allclose(dy, 1 - np.tanh(x) ** 2, rtol=1e-14)
    d = client.compute("tanh", x, mode="derivative")
    np.testing.assert_allclose(d, dy, rtol=1e-15)
    # derivative from the output y: the same numbers without an exp
    d_from_y = client.compute("sigmoid", sigmoid(x), mode="derivative",
                              input_kind="output")
    np.testing.assert_allclose(d_from_y, sigmoid(x) * (1 - sigmoid(x)), rtol=1e-15)
    g = np.array([1.0, 2.0, 3.0, 4.0])
    back = client.compute("leaky_relu", x, mode="backward", grad=g,
                          negative_slope=0.2)
    assert back.tolist() == [0.2, 0.4, 3.0, 4.0]
    # a list gradient takes x's dtype; params= and keyword parameters merge
    x32 = x.astype(np.float32)
    back32 = client.compute("elu", x32, mode="backward", grad=[1, 1, 1, 1],
                            params={"alpha": 2.0})
    assert back32.dtype == np.float32
    np.testing.assert_allclose(back32, np.where(x > 0, 1, 2 * np.exp(x)), rtol=1e-6)
    soft = client.compute("softplus", x, params={"beta": 2.0}, threshold=1.0)
    np.testing.assert_allclose(
        soft, np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2), rtol=1e-15)


def test_results_are_aligned_writable_arrays(client):
    for dtype in (np.float32, np.float64):
        for n in range(1, 9):  # the values sit at varying offsets in the reply
            y = client.compute("relu", np.ones(n, dtype), mode="both")[1]
            assert y.flags.writeable and y.flags.aligned and y.flags.c_contiguous
            y[0] = 5
            assert y.tolist() == [5.0] + [1.0] * (n - 1)


def test_bfloat16_and_float16_are_table_entries(client):
    if "float16" not in supported_dtypes():
        with pytest.raises(ActivationError, match="float16 is not carried"):
            client.compute("relu", np.ones(2, np.float16))
        with pytest.raises(ActivationError, match="bfloat16 is not carried"):
            client.compute("relu", np.ones(2, np.uint16), dtype="bfloat16")
        return
    y = client.compute("relu", np.array([-1, 2], np.float16))
    assert y.dtype == np.float16 and y.tolist() == [0, 2]
    bits = np.array([0xBF80, 0x4000], np.uint16)  # bfloat16 -1.0, 2.0
    assert client.compute("relu", bits, dtype="bfloat16").tolist() == [0, 0x4000]


# --- Errors ----------------------------------------------------------------


def test_server_errors_carry_code_and_message(client):
    cases = [
        (dict(function="sigmod", x=[1.0]), r'unknown activation "sigmod"'),
        (dict(function="softplus", x=[1.0], beta=0.0),
         r"params\.beta: softplus: beta=0 is outside \(0, inf\)"),
        (dict(function="relu", x=[1.0], nope=1.0), "nope"),
        (dict(function="relu", x=[1.0], mode="backward"), "grad"),
        (dict(function="gelu", x=[1.0], mode="derivative", input_kind="output"),
         "input_kind"),
        (dict(function="relu", x=np.ones(3), mode="backward", grad=np.ones(2)),
         "grad"),
    ]
    for kwargs, pattern in cases:
        with pytest.raises(ActivationError) as e:
            client.compute(**kwargs)
        assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT, kwargs
        assert re.search(pattern, e.value.details), (kwargs, e.value.details)
        assert str(e.value).startswith("INVALID_ARGUMENT: ")


def test_deadline_exceeded(client):
    with pytest.raises(ActivationError) as e:
        client.compute("gelu", np.ones(1 << 20, np.float32), timeout=1e-4)
    assert e.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_unreachable_server_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        with Client(f"127.0.0.1:{port}", timeout=5, max_attempts=2) as client:
            with pytest.raises(ActivationError) as e:
                client.compute("relu", [1.0])
            assert e.value.code == grpc.StatusCode.UNAVAILABLE
            with pytest.raises(ActivationError):
                client.health()


def test_request_over_the_servers_limit(start_server):
    small = start_server("--max_elements=1000")
    with Client(small.address, timeout=30) as client:
        with pytest.raises(ActivationError) as e:
            client.compute("relu", np.ones(1001, np.float32))
        assert e.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "1001" in e.value.details
        assert client.compute("relu", np.ones(1000, np.float32)).size == 1000


# --- batch, stream, catalogue, health ---------------------------------------


def test_batch_in_order_and_an_invalid_item(client):
    x = np.array([-1.0, 1.0], np.float32)
    results = client.batch([
        Request("relu", x, id="a"),
        Request("tanh", x.astype(np.float64), mode="both", id="b"),
        Request("leaky_relu", x, mode="backward", grad=[2, 2],
                params={"negative_slope": 0.5}, id="c"),
    ])
    assert [r.id for r in results] == ["a", "b", "c"]
    assert results[0].value.tolist() == [0, 1]
    y, dy = results[1].value
    assert y.dtype == np.float64 and dy.shape == (2,)
    assert results[2].output.tolist() == [1, 2]
    assert results[1].max_ulp_error > 0
    with pytest.raises(ActivationError, match=r"items\[1\]\.function") as e:
        client.batch([Request("relu", x), Request("nope", x)])
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_stream_yields_in_order_and_goes_on_after_an_error(client):
    def requests():  # a generator: read as the stream flows
        for i in range(20):
            name = "no_such_function" if i == 7 else "sigmoid"
            yield Request(name, np.full((2, 2), i / 10, np.float32), id=f"r{i}")

    results = list(client.stream(requests()))
    assert [r.id for r in results] == [f"r{i}" for i in range(20)]
    assert results[7].error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "no_such_function" in results[7].error.details
    with pytest.raises(ActivationError):
        results[7].value
    for i, r in enumerate(results):
        if i != 7:
            assert r.output.shape == (2, 2) and r.output.dtype == np.float32
            np.testing.assert_allclose(r.value, sigmoid(np.full((2, 2), i / 10)),
                                       rtol=1e-6)
    assert list(client.stream([])) == []


def test_list_activations_as_dataclasses(client):
    catalog = client.list_activations()
    names = catalog.names()
    assert {"sigmoid", "gelu", "leaky_relu"} <= set(names)
    assert len(catalog) == len(names) and catalog.simd_target
    leaky = catalog["leaky_relu"]
    (slope,) = leaky.parameters
    assert slope.name == "negative_slope" and slope.default == 0.01
    assert 0 in slope.valid_range and -1 not in slope.valid_range
    assert str(slope.valid_range) == "[0, inf)"
    assert leaky.derivative_from_output and leaky.properties.monotonic
    assert catalog["sigmoid"].output_range.max == 1
    assert math.isfinite(catalog["gelu"].max_ulp_error_float32)
    bounds = catalog["sigmoid"].ulp_bounds_float32
    assert 0 < bounds.forward <= catalog["sigmoid"].max_ulp_error_float32
    assert bounds.derivative_from_output > 0  # sigmoid' from y is allowed
    with pytest.raises(KeyError):
        catalog["nope"]


def test_health(client):
    assert client.health() == "SERVING"
    assert client.health("activation.v1.ActivationService") == "SERVING"
    assert client.health("no.such.Service") == "SERVICE_UNKNOWN"


# --- Round robin and retries --------------------------------------------------


def served_rpcs(server):
    """RPCs a stopped actserver reports having served."""
    code = server.stop()
    assert code == 0, server.lines
    for line in server.lines:
        match = re.search(r"stopped after serving (\d+) RPCs", line)
        if match:
            return int(match.group(1))
    raise AssertionError("no counters line:\n" + "\n".join(server.lines))


def test_round_robin_spreads_calls_over_replicas(start_server):
    a, b = start_server(), start_server()
    with Client([a.address, b.address], timeout=30) as client:
        client.compute("relu", [1.0])  # round_robin connects to both...
        time.sleep(1)  # ...and picks only among connected replicas
        for _ in range(40):
            client.compute("relu", [1.0])
    served = served_rpcs(a), served_rpcs(b)
    assert sum(served) == 41 and min(served) >= 15, served


def test_a_dead_replica_is_retried_on_another(target):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
        with Client(f"{dead},{target}", timeout=30) as client:
            for _ in range(20):  # round robin would send half to the dead one
                assert client.compute("relu", [2.0]).tolist() == [2.0]


# --- unix: sockets (actserver's own, --unix_socket), TLS -------------------


def test_unix_socket_targets(start_unix_server):
    a, b = start_unix_server("a.sock"), start_unix_server("b.sock")
    with Client(a.unix_address, timeout=30) as client:
        assert client.compute("relu", [-1.0, 1.0]).tolist() == [0, 1]
        assert client.health() == "SERVING"
    # unix:///ABSOLUTE is the same socket; a list of unix: targets is
    # balanced round robin over both servers.
    with Client("unix://" + b.unix_address[len("unix:"):], timeout=30) as client:
        assert client.compute("relu", [3.0]).tolist() == [3.0]
    with Client([a.unix_address, b.unix_address], timeout=30) as client:
        client.compute("relu", [1.0])  # round_robin connects to both...
        time.sleep(1)  # ...and picks only among connected replicas
        for _ in range(40):
            assert client.compute("relu", [3.0]).tolist() == [3.0]
    served = served_rpcs(a), served_rpcs(b)
    # 2 + 41 calls over unix:, none over TCP.
    assert sum(served) == 43 and min(served) >= 15, served


def test_mutual_tls(mtls_server, certs):
    proxy = mtls_server
    mtls = Tls(root_certificates=certs / "ca.pem",
               certificate_chain=certs / "client.pem",
               private_key=(certs / "client.key").read_bytes())
    with Client(proxy.address, tls=mtls, timeout=30) as client:
        assert client.compute("relu", [-1.0, 1.0]).tolist() == [0, 1]
        assert len(client.list_activations()) > 0
    # Connecting by the certificate's name instead of its IP.
    named = Tls(root_certificates=(certs / "ca.pem").read_text(),
                certificate_chain=certs / "client.pem",
                private_key=certs / "client.key", server_name="localhost")
    with Client(proxy.address, tls=named, timeout=30) as client:
        assert client.health() == "SERVING"
    failures = [
        Tls(root_certificates=certs / "ca.pem"),  # no client certificate
        Tls(root_certificates=certs / "other_ca.pem",  # untrusted server
            certificate_chain=certs / "client.pem",
            private_key=certs / "client.key"),
        Tls(root_certificates=certs / "ca.pem",  # name not in the certificate
            certificate_chain=certs / "client.pem",
            private_key=certs / "client.key", server_name="elsewhere.example"),
    ]
    for tls in failures:
        with Client(proxy.address, tls=tls, timeout=10, max_attempts=1) as client:
            with pytest.raises(ActivationError) as e:
                client.compute("relu", [1.0])
            assert e.value.code == grpc.StatusCode.UNAVAILABLE, tls
    with Client(proxy.address, timeout=10, max_attempts=1) as plaintext:
        with pytest.raises(ActivationError):
            plaintext.compute("relu", [1.0])
