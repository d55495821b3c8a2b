"""An outgoing email as a MIME message: a plain-text part and an HTML part, the HTML part with its
inline images (the tickets' QR codes) beside it:

    multipart/alternative
      text/plain
      multipart/related
        text/html                 <img src="cid:ticket-1@lml">
        image/png                 Content-ID: <ticket-1@lml>
        ...

The From header shows the organization's display name when it set one; its address, like the
envelope sender, stays ours. The Message-ID is made from our message id, so every attempt at one
message carries the same one."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from lml.notifications.application.ports import OutgoingEmail


def sender_address(mail_from: str) -> tuple[str, str]:
    """(display name, address) of `LML_MAIL_FROM`."""
    return parseaddr(mail_from)


def build_mime(email: OutgoingEmail, *, mail_from: str, at: datetime) -> EmailMessage:
    """Raises ValueError for a header that would break the message (a line break in a name)."""
    our_name, our_address = sender_address(mail_from)
    local, _, domain = our_address.rpartition("@")
    message = EmailMessage()
    message["Subject"] = email.content.subject
    message["From"] = Address(display_name=email.sender_name or our_name, username=local, domain=domain)
    message["To"] = email.to
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<{email.message_id}@{domain}>"
    message.set_content(email.content.text)
    message.add_alternative(email.content.html, subtype="html")
    html = message.get_payload()[1]  # type: ignore[index]
    for image in email.content.images:
        html.add_related(image.png, maintype="image", subtype="png", cid=f"<{image.content_id}>",
                         filename=f"{image.content_id.partition('@')[0]}.png", disposition="inline")
    return message
