"""The asyncio client (grpc.aio): the same surface as Client, awaitable.

    from activation_client.aio import AsyncClient
    async with AsyncClient("localhost:50051") as client:
        y = await client.compute("gelu", x)
        async for result in client.stream(requests):
            ...
"""

from __future__ import annotations

from typing import (AsyncIterable, AsyncIterator, Iterable, List, Mapping,
                    Optional, Union)

import grpc
from grpc import aio

from . import _common as c
from ._proto import activation_pb2 as pb


class AsyncClient(c.ClientBase):
    """An asyncio client of activation.v1.ActivationService; arguments,
    results and errors as in activation_client.Client. Create it inside the
    running event loop and use it from that loop only (grpc.aio's rule)."""

    _GRPC = aio  # ClientBase: __init__, stub, __repr__

    async def close(self) -> None:
        """Closes the channel; calls in flight are cancelled."""
        await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def compute(self, function: str, x: c.ArrayLike,
                      mode: str = "forward", grad: Optional[c.ArrayLike] = None,
                      input_kind: str = "x", *,
                      params: Optional[Mapping[str, float]] = None,
                      dtype: Optional[str] = None,
                      timeout: Optional[float] = None,
                      **kwparams: float) -> c.Value:
        """See Client.compute."""
        if kwparams:
            params = {**(params or {}), **kwparams}
        encoded = c.encode(function, x, mode, grad, input_kind, params, dtype)
        try:
            response = await self._compute(encoded.serialize(),
                                         timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        return c.decode_value(response, encoded)

    async def batch(self, requests: Iterable[c.Request], *,
                    timeout: Optional[float] = None) -> List[c.Result]:
        """See Client.batch."""
        encoded = [c.encode_request(r) for r in requests]
        message = c.serialize_batch(encoded)
        try:
            response = await self._batch(message, timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        return c.decode_batch(response, encoded)

    async def stream(
            self,
            requests: Union[Iterable[c.Request], AsyncIterable[c.Request]], *,
            timeout: Optional[float] = None) -> AsyncIterator[c.Result]:
        """See Client.stream; `requests` may also be an async iterable."""
        pending: "list[c.Encoded]" = []

        async def messages() -> AsyncIterator[bytes]:
            if hasattr(requests, "__aiter__"):
                async for request in requests:  # type: ignore[union-attr]
                    pending.append(c.encode_request(request))
                    yield pending[-1].serialize()
            else:
                for request in requests:  # type: ignore[union-attr]
                    pending.append(c.encode_request(request))
                    yield pending[-1].serialize()

        call = self._stream(messages(), timeout=self._deadline(timeout))
        index = 0
        try:
            async for item in call:
                yield c.decode_stream_item(item, pending[index])
                index += 1
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        finally:
            call.cancel()

    async def list_activations(self, *,
                               timeout: Optional[float] = None) -> c.Catalog:
        """See Client.list_activations."""
        try:
            response = await self.stub.ListActivations(
                pb.ListActivationsRequest(), timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        return c.catalog(response)

    async def health(self, service: str = "", *,
                     timeout: Optional[float] = None) -> str:
        """See Client.health."""
        try:
            data = await self._health(c.encode_health_request(service),
                                      timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return "SERVICE_UNKNOWN"
            raise c.from_rpc_error(e) from None
        return c.decode_health_response(data)
