#!/usr/bin/env python3
"""A real SMTP server on loopback for crm-comms' tests (aiosmtpd).

    smtp_server.py MODE OUTPUT_DIR [CERT KEY]

MODE: ok (accept and store), tempfail (451 at DATA), permfail (550 at RCPT), drop (close the
connection in the middle of DATA), auth (require AUTH PLAIN or LOGIN as crm / secret-pass),
starttls (require STARTTLS with CERT and KEY, then accept). Each accepted message is written to
OUTPUT_DIR as it arrived (after the DATA dot-unstuffing), one file per message. Prints
"READY <port>" once listening; stops on SIGTERM or when stdin closes.
"""
import asyncio, os, signal, ssl, sys, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, SMTP

mode, output = sys.argv[1], sys.argv[2]
os.makedirs(output, exist_ok=True)


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if mode == "permfail":
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if mode == "tempfail":
            return "451 4.3.0 try again later"
        Handler.count += 1
        with open(os.path.join(output, "message-%d.eml" % Handler.count), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(output, "envelope-%d.txt" % Handler.count), "w") as f:
            f.write("from=%s\nto=%s\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos)))
        return "250 2.0.0 queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"crm" and auth_data.password == b"secret-pass"
    return AuthResult(success=ok, handled=False)


class DroppingSMTP(SMTP):
    async def smtp_DATA(self, arg):
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readline()  # one line of the message, then the line goes dead
        self.transport.close()


class DroppingController(Controller):
    def factory(self):
        return DroppingSMTP(self.handler, **self.SMTP_kwargs)


kwargs = {}
if mode == "auth":
    kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
if mode == "starttls":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    kwargs = dict(tls_context=context, require_starttls=True)

import socket

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller_class = DroppingController if mode == "drop" else Controller
controller = controller_class(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("READY %d" % port, flush=True)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
stop.wait(120)
controller.stop()
