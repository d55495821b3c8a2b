"""The EmailSender port over SMTP (aiosmtplib): one connection per message, TLS as `LML_SMTP_URL` says.

A refusal is permanent (the message is dead at once) only when the server refuses the recipient or
the message itself with a 5xx reply; everything else (the server down, a timeout, a 4xx, our own
credentials or sender refused) is retried, since it says nothing against this message."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosmtplib
from opentelemetry.trace import SpanKind

from lml.config import SmtpServer
from lml.notifications.application.ports import DeliveryFailed, OutgoingEmail
from lml.notifications.infrastructure.mime import build_mime, sender_address
from lml.platform.tracing.spans import span


class SmtpEmailSender:
    def __init__(self, server: SmtpServer, mail_from: str, *, timeout: float = 30.0) -> None:
        self._server = server
        self._mail_from = mail_from
        self._envelope_sender = sender_address(mail_from)[1]
        self._timeout = timeout

    async def send(self, email: OutgoingEmail) -> str:
        try:
            message = build_mime(email, mail_from=self._mail_from, at=datetime.now(UTC))
        except ValueError as error:
            raise DeliveryFailed(f"the message cannot be written: {error}", permanent=True) from None
        server = self._server
        try:
            with span("smtp send", kind=SpanKind.CLIENT, attributes={"server.address": server.host,
                                                                      "server.port": server.port}):
                await aiosmtplib.send(
                    message, sender=self._envelope_sender, recipients=[email.to], hostname=server.host,
                    port=server.port, username=server.username, password=server.password,
                    use_tls=server.tls == "implicit", start_tls=server.tls == "starttls", timeout=self._timeout,
                )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            reasons = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
            raise DeliveryFailed(f"recipient refused: {reasons}", permanent=all(c >= 500 for c in codes)) from None
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as refused:
            raise DeliveryFailed(f"{refused.code} {refused.message}", permanent=refused.code >= 500) from None
        except aiosmtplib.SMTPResponseException as refused:
            raise DeliveryFailed(f"{refused.code} {refused.message}") from None
        except (aiosmtplib.SMTPException, OSError) as failure:
            raise DeliveryFailed(f"{type(failure).__name__}: {failure}") from None
        return str(message["Message-ID"])
