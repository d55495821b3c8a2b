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


class TwilioSmsSender:
    def __init__(
        self, *, account_sid: str, auth_token: str, sender: str, api_base: str, timeout: float = 15.0
    ) -> None:
        # A session per request (no pool): nothing to open or close with the process, and SMS are few.
        http = AsyncTwilioHttpClient(pool_connections=False, timeout=timeout)
        self._client = Client(account_sid, auth_token, http_client=http)
        self._client.api.base_url = api_base.rstrip("/")
        # A messaging service (MG...) picks the number itself; otherwise the number is ours.
        self._sender = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}

    async def send(self, *, to: str, body: str) -> str:
        try:
            message = await self._client.messages.create_async(to=to, body=body, **self._sender)
        except TwilioRestException as refused:
            permanent = 400 <= refused.status < 500 and refused.status != 429
            raise DeliveryFailed(f"{refused.status} {refused.code}: {refused.msg}", permanent=permanent) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as failure:
            raise DeliveryFailed(f"{type(failure).__name__}: {failure}") from None
        return str(message.sid)
