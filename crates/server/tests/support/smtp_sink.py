"""A real SMTP server for the notification tests (aiosmtpd on asyncio).

It listens on 127.0.0.1 on a free port, prints the port on its first line of
output, and appends every message it accepts to OUT as one JSON line: the
envelope, the decoded subject and plain-text body, the Message-ID, and each
attachment's name, type, size, first bytes and SHA-256. The test reads that file
back: what arrived is what a customer would have got.

How it behaves is read from OUT + ".mode" at every command, so a test can
change it while the server runs:
  ok        accept everything (default)
  refuse    550 for every recipient (a permanent failure)
  busy      451 for every recipient (a temporary one)
  slow:N    wait N seconds before answering DATA

With --tls-cert/--tls-key it speaks TLS: --tls starttls requires STARTTLS
before MAIL, --tls tls wraps the connection from the first byte (port 465
style).
"""

import argparse
import asyncio
import email
import email.policy
import hashlib
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP


def mode(out):
    try:
        with open(out + ".mode", encoding="utf-8") as f:
            return f.read().strip() or "ok"
    except FileNotFoundError:
        return "ok"


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        current = mode(self.out)
        if current == "refuse":
            return "550 5.1.1 mailbox unavailable"
        if current == "busy":
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        current = mode(self.out)
        if current.startswith("slow:"):
            await asyncio.sleep(float(current.split(":", 1)[1]))
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        attachments = []
        for part in message.iter_attachments():
            content = part.get_content()
            if isinstance(content, str):
                content = content.encode("utf-8")
            attachments.append(
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(content),
                    "head": content[:5].decode("latin-1"),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            )
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "message_id": str(message["message-id"]),
            "body": body.get_content() if body is not None else "",
            "attachments": attachments,
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
        return "250 Message accepted"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--tls", choices=["starttls", "tls"])
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    sink = Sink(args.out)
    loop = asyncio.get_running_loop()
    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls == "starttls":
        factory = lambda: SMTP(
            sink, enable_SMTPUTF8=True, hostname="sink.test", tls_context=context, require_starttls=True
        )
        server = await loop.create_server(factory, "127.0.0.1", 0)
    else:
        factory = lambda: SMTP(sink, enable_SMTPUTF8=True, hostname="sink.test")
        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=context if args.tls == "tls" else None)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
