"""A local SMTP sink (aiosmtpd): accepts every message and writes it, as received, to a file of its own.

    .venv/bin/python ops/smtp_sink.py [--host 127.0.0.1] [--port 1025] [--dir .run/mail]

Each file is `<nanoseconds>-<n>.eml`: two headers added by the sink, `X-Sink-Mail-From` and
`X-Sink-Rcpt-To` (the SMTP envelope), then the message's bytes exactly as the client sent them. A file
is written under a temporary name and renamed, so a reader never sees half a message. Runs until
SIGTERM or SIGINT. For development (`ops/run`) and the tests: it delivers nothing anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".run" / "mail"


class WriteEachMessage:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = ", ".join(envelope.rcpt_tos)
        head = f"X-Sink-Mail-From: {envelope.mail_from}\r\nX-Sink-Rcpt-To: {recipients}\r\n".encode()
        body = envelope.original_content or b""
        name = f"{time.time_ns()}-{next(self.numbers)}.eml"
        partial = self.directory / f".{name}.partial"
        partial.write_bytes(head + body)
        partial.rename(self.directory / name)
        return "250 OK: kept"


async def serve(host: str, port: int, directory: Path) -> None:
    handler = WriteEachMessage(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _smtp(handler), host, port)
    print(f"SMTP sink: listening on {host}:{port}, each message written to {directory}/", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def _smtp(handler: Any) -> SMTP:
    return SMTP(handler, hostname="lml-smtp-sink", ident="LML SMTP sink")


def main() -> None:
    parser = argparse.ArgumentParser(description="A local SMTP sink that writes every message to a file.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where messages are written (.run/mail)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
