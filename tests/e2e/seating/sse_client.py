"""A Server-Sent Events client that drives an ASGI app directly: the body arrives chunk by chunk as
the app sends it (the test clients buffer whole responses), and leaving the block sends
`http.disconnect`, as a browser closing the connection does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from litestar.types import ASGIApp, Message


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: str = ""
    comment: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def _parse(block: str) -> Event:
    event = Event()
    data: list[str] = []
    for line in block.splitlines():
        if line.startswith(":"):
            event.comment = line[1:].strip()
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event.event = value
        elif name == "id":
            event.id = value
        event.fields[name] = value
    event.data = "\n".join(data)
    return event


class SseStream:
    def __init__(self, app: ASGIApp, path: str, headers: dict[str, str] | None = None) -> None:
        self._app = app
        self._path = path
        self._headers = headers or {}
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._buffer = ""
        self._disconnect = asyncio.Event()
        self._requested = False
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None

    async def _receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self._buffer += message.get("body", b"").decode()
            while "\n\n" in self._buffer or "\r\n\r\n" in self._buffer:
                block, _, self._buffer = self._buffer.replace("\r\n", "\n").partition("\n\n")
                if block.strip():
                    self._events.put_nowait(_parse(block))

    async def __aenter__(self) -> SseStream:
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": self._path, "raw_path": self._path.encode(), "query_string": b"", "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in self._headers.items()],
            "client": ("127.0.0.1", 50000), "server": ("testserver.local", 80), "state": {},
        }
        self.task = asyncio.create_task(self._app(scope, self._receive, self._send))  # type: ignore[arg-type]
        return self

    async def next(self, *, within: float = 5, comments: bool = False) -> Event:
        """The next event (heartbeat comments skipped unless asked for)."""
        async with asyncio.timeout(within):
            while True:
                event = await self._events.get()
                if comments or event.comment is None:
                    return event

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._disconnect.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)
