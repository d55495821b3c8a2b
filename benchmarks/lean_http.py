"""The load generator's HTTP client: aiohttp's connection pool and C parser behind the few calls a
benchmark makes, each answer read whole.

httpx, whose connection handling is Python, costs the journey's load generator 11.6-14 ms of CPU per
paid order on a 2-core machine, a third of the machine the run measures, taken from the processes under
test; this client 2.4-3.3 ms. Buyers are on other machines in production: the less the generator
spends, the closer the figures are to production's.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import aiohttp
import msgspec
from multidict import CIMultiDictProxy


class BadStatus(Exception):
    """An answer's status was 4xx or 5xx where the caller expected success."""


# What a failed exchange raises: the connection's errors, timeouts, and `raise_for_status`.
HttpError = (aiohttp.ClientError, TimeoutError, BadStatus)


class Answer(msgspec.Struct, frozen=True):
    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise BadStatus(f"{self.status_code} {self.text[:200]}")


class LeanClient:
    """`connections` kept-alive connections to `base_url` (scheme, host and port), at most."""

    def __init__(self, base_url: str, *, connections: int, timeout: float = 60,
                 auth: tuple[str, str] | None = None) -> None:
        self._session = aiohttp.ClientSession(
            base_url=base_url, connector=aiohttp.TCPConnector(limit=connections),
            timeout=aiohttp.ClientTimeout(total=timeout), auth=aiohttp.BasicAuth(*auth) if auth else None,
        )

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self._session.close()

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("GET", path, headers=headers)

    async def post(self, path: str, *, json: Any = None, data: dict[str, str] | None = None,
                   content: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("POST", path, json=json, data=data if data is not None else content,
                                  headers=headers)

    async def request(self, method: str, path: str, *, json: Any = None, data: Any = None,
                      headers: dict[str, str] | None = None) -> Answer:
        async with self._session.request(method, path, json=json, data=data, headers=headers) as answer:
            return Answer(answer.status, answer.headers, await answer.read())
