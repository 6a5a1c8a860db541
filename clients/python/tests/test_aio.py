"""The asyncio client against a real actserver: the same surface as the
blocking one, awaited; errors as the same ActivationError."""

import asyncio
import socket

import grpc
import numpy as np
import pytest

from activation_client import ActivationError, Request
from activation_client.aio import AsyncClient


def run(coroutine):
    return asyncio.run(coroutine)


def test_compute_batch_list_health(target):
    async def main():
        async with AsyncClient(target, timeout=30) as client:
            x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
            y = await client.compute("relu", x)
            assert y.dtype == np.float32 and y.shape == (3, 4)
            np.testing.assert_array_equal(y, np.maximum(x, 0))
            f, df = await client.compute("tanh", x.astype(np.float64), mode="both")
            np.testing.assert_allclose(df, 1 - np.tanh(x.astype(np.float64)) ** 2,
                                       rtol=1e-14)
            g = await client.compute("leaky_relu", [-1.0, 1.0], mode="backward",
                                     grad=[3, 3], negative_slope=0.5)
            assert g.tolist() == [1.5, 3.0]
            results = await client.batch([Request("relu", [-1.0], id="a"),
                                          Request("sigmoid", [0.0], id="b")])
            assert [r.id for r in results] == ["a", "b"]
            assert results[1].value.tolist() == [0.5]
            catalog = await client.list_activations()
            assert "gelu" in catalog.names()
            assert await client.health() == "SERVING"
            # Calls run concurrently on one channel.
            many = await asyncio.gather(*(client.compute("relu", [float(i)])
                                          for i in range(32)))
            assert [m.tolist() for m in many] == [[float(i)] for i in range(32)]
    run(main())


def test_stream_from_an_async_generator(target):
    async def requests():
        for i in range(10):
            yield Request("nope" if i == 3 else "relu", [float(i) - 5], id=str(i))
            await asyncio.sleep(0)

    async def main():
        async with AsyncClient(target, timeout=30) as client:
            results = [r async for r in client.stream(requests())]
            assert [r.id for r in results] == [str(i) for i in range(10)]
            assert results[3].error.code == grpc.StatusCode.INVALID_ARGUMENT
            assert results[9].value.tolist() == [4.0]
            plain = [r async for r in client.stream([Request("relu", [1.0])])]
            assert plain[0].value.tolist() == [1.0]
    run(main())


def test_errors(target):
    async def main():
        async with AsyncClient(target, timeout=30) as client:
            with pytest.raises(ActivationError) as e:
                await client.compute("softplus", [1.0], beta=-1.0)
            assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
            assert "params.beta" in e.value.details
            with pytest.raises(ActivationError) as e:
                await client.compute("gelu", np.ones(1 << 20, np.float32),
                                     timeout=1e-4)
            assert e.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
            with pytest.raises(ActivationError, match=r"items\[0\]"):
                await client.batch([Request("nope", [1.0])])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = f"127.0.0.1:{s.getsockname()[1]}"
            async with AsyncClient(dead, timeout=5, max_attempts=1) as client:
                with pytest.raises(ActivationError) as e:
                    await client.compute("relu", [1.0])
                assert e.value.code == grpc.StatusCode.UNAVAILABLE
            # Round robin with a dead replica: retried on the live one.
            async with AsyncClient([dead, target], timeout=30) as client:
                for _ in range(10):
                    assert (await client.compute("relu", [1.0])).tolist() == [1.0]
    run(main())


def test_unix_and_mutual_tls(start_unix_server, mtls_server, certs):
    from activation_client import Tls
    unix = start_unix_server("aio.sock")
    tls = mtls_server

    async def main():
        async with AsyncClient(unix.unix_address, timeout=30) as client:
            assert (await client.compute("relu", [-2.0])).tolist() == [0.0]
        mtls = Tls(root_certificates=certs / "ca.pem",
                   certificate_chain=certs / "client.pem",
                   private_key=certs / "client.key")
        async with AsyncClient(tls.address, tls=mtls, timeout=30) as client:
            assert await client.health() == "SERVING"
        no_cert = Tls(root_certificates=certs / "ca.pem")
        async with AsyncClient(tls.address, tls=no_cert, timeout=10,
                               max_attempts=1) as client:
            with pytest.raises(ActivationError) as e:
                await client.compute("relu", [1.0])
            assert e.value.code == grpc.StatusCode.UNAVAILABLE
    run(main())
