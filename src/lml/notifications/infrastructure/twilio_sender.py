"""The SmsSender port on Twilio's official SDK (its asynchronous HTTP client).

`api_base` is Twilio's API address (`LML_TWILIO_API_BASE`), another one in tests, where a local
server stands in for the Messages API. A 4xx refusal is permanent (not a mobile number, a number
that opted out), except 429; the rest (5xx, the network) is retried. The SDK logs each request's
method and URL, never its credentials or body."""

from __future__ import annotations

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from lml.notifications.application.ports import DeliveryFailed
from lml.platform.domain.errors import BrokenInvariant


class TwilioSmsSender:
    def __init__(
        self, *, account_sid: str, auth_token: str, sender: str, api_base: str, timeout: float = 15.0
    ) -> None:
        self._credentials = (account_sid, auth_token)
        self._api_base = api_base.rstrip("/")
        self._timeout = timeout
        # A messaging service (MG...) picks the number itself; otherwise the number is ours.
        self._sender = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    async def open(self) -> None:
        """One HTTP session for the process, made on its event loop (aiohttp binds it there). The SDK's
        session-per-request mode leaks the session of every request that fails to connect."""
        self._http = AsyncTwilioHttpClient(pool_connections=True, timeout=self._timeout)
        self._client = Client(*self._credentials, http_client=self._http)
        self._client.api.base_url = self._api_base

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = self._client = None

    async def send(self, *, to: str, body: str) -> str:
        if self._client is None:
            raise BrokenInvariant("the SMS sender is opened with the process, before it sends")
        try:
            message = await self._client.messages.create_async(to=to, body=body, **self._sender)
        except TwilioRestException as refused:
            permanent = 400 <= refused.status < 500 and refused.status != 429
            raise DeliveryFailed(f"{refused.status} {refused.code}: {refused.msg}", permanent=permanent) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as failure:
            raise DeliveryFailed(f"{type(failure).__name__}: {failure}") from None
        return str(message.sid)
