"""`Idempotency-Key` for mutating buyer routes, as route middleware.

Same key and body → the first response again, byte for byte, with its status; same key, other
body → 422; the first request still running → 409 with Retry-After. A request that fails with an
error changed nothing (a rule of the house), so its key is released and a retry runs afresh."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, ReceiveMessage, Scope, Send

from lml.platform.domain.errors import Conflict, FieldError, InvalidInput
from lml.platform.http.auth import bearer_principal
from lml.platform.http.contract import Contract, documented
from lml.platform.http.json_body import read_body
from lml.platform.http.kit import kit_of
from lml.platform.http.request_headers import header
from lml.platform.idempotency import StoredResponse

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_NOT_REPLAYED = {b"x-request-id", b"date", b"server", b"retry-after"}


class RequestInFlight(Conflict):
    """A request with this Idempotency-Key is still being processed."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__()


class KeyReusedWithOtherBody(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            [FieldError("/headers/Idempotency-Key", "was already used with a different request")],
            "This Idempotency-Key was already used with a different request",
        )


def idempotent(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, HEADER)
        if key is None:
            await app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive=receive)
        if not _VALID_KEY.match(key):
            raise InvalidInput([FieldError("/headers/Idempotency-Key", "must be 1 to 255 visible ASCII characters")])
        principal = bearer_principal(connection)
        body = await read_body(receive)
        method = str(scope.get("method", ""))
        digest = hashlib.sha256(b"\0".join([method.encode(), scope["path"].encode(), body])).hexdigest()
        record = f"{principal.owner}:{key}"
        store = kit_of(connection).idempotency
        begun = await store.begin(record, digest)
        if begun.outcome == "mismatch":
            raise KeyReusedWithOtherBody()
        if begun.outcome == "in_flight":
            raise RequestInFlight(begun.retry_after)
        if begun.outcome == "replay" and begun.response is not None:
            await _send_stored(send, begun.response)
            return

        replayed = False

        async def replay_body() -> ReceiveMessage:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            first: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return first

        status = 500
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                           if k.lower() not in _NOT_REPLAYED]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, replay_body, capture)
        except BaseException:
            await store.abandon(record, digest)
            raise
        if status >= 500:
            await store.abandon(record, digest)
        else:
            await store.store(record, digest, StoredResponse(status, headers, b"".join(chunks)))

    return middleware


# A key reused with another body is a 422, a key whose first request still runs a 409.
documented(idempotent, Contract(statuses=frozenset({409, 422}), reads=("Idempotency-Key",),
                                sends=("Idempotent-Replayed",)))


async def _send_stored(send: Send, response: StoredResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
