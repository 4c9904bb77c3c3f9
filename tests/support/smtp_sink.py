#!/usr/bin/env python3
"""A real SMTP server for the tests (aiosmtpd) that keeps every message it accepts.

usage: smtp_sink.py --port 2525 --dir OUTDIR [--auth user:pass] [--watch-stdin]

Each accepted message is written as OUTDIR/000001.json (its envelope) and then
OUTDIR/000001.eml (the raw bytes, renamed into place so it appears whole). Numbering
continues after the files already in OUTDIR, so the sink can be stopped and started
again on the same directory. Prints `READY <port>` once it listens.

Recipients whose address starts with `reject` are refused with
`550 5.1.1 mailbox unavailable` (permanent); ones starting with `tempfail` with
`451 4.3.0 try again later` (transient). With --auth, AUTH PLAIN/LOGIN without TLS is
required. With --watch-stdin the sink exits when its stdin closes (its parent died).
Stop it with SIGTERM or SIGKILL.

Used by tests/it/mail_servers.rs; needs Debian's python3-aiosmtpd (or pip's aiosmtpd).
"""
import argparse
import itertools
import json
import os
import re
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def next_number(d):
    numbers = [int(m.group(1)) for m in (re.match(r"^(\d{6})\.json$", n) for n in os.listdir(d)) if m]
    return max(numbers, default=0) + 1


class Sink:
    def __init__(self, d):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.seq = itertools.count(next_number(d))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        base = os.path.join(self.d, "%06d" % next(self.seq))
        auth = getattr(session, "auth_data", None)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "peer": list(session.peer)[:2],
            "helo": session.host_name,
            "auth_login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "received": time.time(),
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".eml.tmp", base + ".eml")  # .eml appears whole, after .json
        return "250 2.0.0 Ok: queued"


def authenticator(user, pw):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == pw.encode()
        )
        # handled=False: aiosmtpd then answers a failure with 535 (else it stays silent).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--auth", help="user:pass (AUTH PLAIN/LOGIN required, no TLS)")
    ap.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    a = ap.parse_args()
    kw = {"enable_SMTPUTF8": True}
    if a.auth:
        u, p = a.auth.split(":", 1)
        kw.update(authenticator=authenticator(u, p), auth_require_tls=False, auth_required=True)
    c = Controller(Sink(a.dir), hostname=a.host, port=a.port, **kw)
    c.start()
    print("READY", a.port, flush=True)
    if a.watch_stdin:
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()


if __name__ == "__main__":
    main()
