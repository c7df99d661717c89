"""A real SMTP server for integration and end-to-end tests (aiosmtpd), the way LocalPlivo stands in for Plivo.

It listens on 127.0.0.1 and a free port, plain, with STARTTLS or with implicit TLS (a self-signed
certificate made here, whose PEM file the client trusts through SMTP_CA_FILE), optionally asks for a
login, records every message it accepts (parsed: subject, plain text, HTML), and can refuse the next
recipients or messages with a chosen SMTP code.

Manual use:  python -m tests.support.smtp_server --port 8025
"""

from __future__ import annotations

import argparse
import re
import ssl
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.certificates import self_signed_certificate
from tests.support.local_server import LocalServer, free_port

Security = Literal["none", "starttls", "tls"]
LINK = re.compile(r"https?://\S+")
MAIL_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    headers: dict[str, str]

    def link_to(self, path: str) -> str:
        """The one link in the plain text whose URL contains `path` (e.g. /verify-email)."""
        found = [link for link in LINK.findall(self.text) if path in link]
        assert len(found) == 1, f"expected one link to {path} in {self.subject!r}, found {found}"
        return found[0]


class _Handler:
    def __init__(self, server: LocalSmtp):
        self._server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list) -> str:
        refusal = self._server._next_refusal("rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self._server._next_refusal("data")
        if refusal is not None:
            return refusal
        self._server._accept(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content)
        return "250 Message accepted for delivery"


class LocalSmtp(LocalServer[ReceivedMail]):
    """An SMTP server on 127.0.0.1 that keeps what it receives. Thread-safe."""

    def __init__(self, security: Security = "none", login: tuple[str, str] | None = None, port: int = 0):
        self.security = security
        self._requested_port = port
        self.login = login
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        self._refusals: deque[tuple[str, str]] = deque()
        self._directory = Path(tempfile.mkdtemp(prefix="local-smtp-"))
        self.ca_file: Path | None = None
        self.port = 0
        self._controller: Controller | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def _serving(self) -> bool:
        return self._controller is not None

    def _serve(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.security != "none":
            cert, key = self_signed_certificate(self._directory, "sms2fa test SMTP", prefix="smtp-")
            self.ca_file = cert
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            kwargs["ssl_context" if self.security == "tls" else "tls_context"] = context
            if self.security == "starttls":
                kwargs["require_starttls"] = True
        if self.login is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
            # Only after STARTTLS; aiosmtpd does not know an implicit-TLS connection is encrypted, and a
            # plain server is for tests only.
            kwargs["auth_require_tls"] = self.security == "starttls"
        self.port = self._requested_port or free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def settings(self, sender: str = "sms2fa@example.com") -> dict[str, str]:
        """The SMTP_* settings that point the app here."""
        values = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_SECURITY": self.security,
            "SMTP_FROM": sender,
            "SMTP_TIMEOUT_SECONDS": "5",
        }
        if self.ca_file is not None:
            values["SMTP_CA_FILE"] = str(self.ca_file)
        if self.login is not None:
            values.update(SMTP_USERNAME=self.login[0], SMTP_PASSWORD=self.login[1])
        return values

    # ---- what tests read and script -----------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMail]:
        """Accepted messages in order (a snapshot)."""
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[ReceivedMail]:
        """The accepted messages to `address`, in order."""
        return [mail for mail in self.messages if address in mail.recipients]

    def wait_for(self, address: str, after: int = 0, timeout: float = MAIL_TIMEOUT_SECONDS) -> ReceivedMail:
        """The newest message to `address`, once more than `after` reached it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.to(address)
            if len(received) > after:
                return received[-1]
            time.sleep(0.05)
        raise AssertionError(f"no new mail reached {address} within {timeout:.0f}s")

    def clear(self) -> None:
        """Forget messages and scripted refusals."""
        with self._lock:
            self._messages.clear()
            self._refusals.clear()

    def refuse_next(self, reply: str, at: Literal["rcpt", "data"] = "data", count: int = 1) -> None:
        """Answer the next `count` recipients or messages with `reply` (e.g. "451 4.3.0 Try again later")."""
        with self._lock:
            self._refusals.extend([(at, reply)] * count)

    # ---- called by the handler (the server's thread) ------------------------------------------------

    def _next_refusal(self, stage: str) -> str | None:
        with self._lock:
            if self._refusals and self._refusals[0][0] == stage:
                return self._refusals.popleft()[1]
        return None

    def _accept(self, sender: str, recipients: tuple[str, ...], content: bytes) -> None:
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        mail = ReceivedMail(
            sender=sender,
            recipients=recipients,
            subject=str(parsed["Subject"]),
            text=text_part.get_content() if text_part is not None else "",
            html=html_part.get_content() if html_part is not None else "",
            headers={name: str(value) for name, value in parsed.items()},
        )
        with self._lock:
            self._messages.append(mail)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.login is not None:
            given = (auth_data.login.decode(), auth_data.password.decode())
            return AuthResult(success=given == self.login)
        return AuthResult(success=False, handled=False)


def main() -> None:
    """Run a LocalSmtp until interrupted, printing what to put in .env and every message received."""
    parser = argparse.ArgumentParser(description="Local SMTP server for development and tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    options = parser.parse_args()
    server = LocalSmtp(port=options.port).start()
    server.print_until_interrupted(
        [f"{name}={value}" for name, value in server.settings().items()],
        lambda mail: f"--- to {', '.join(mail.recipients)}: {mail.subject}\n{mail.text}",
    )


if __name__ == "__main__":
    main()
