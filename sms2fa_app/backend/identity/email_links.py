"""What every single-use email-link flow shares (email verification, password reset).

A flow queues its request as a job (so the answer never tells whether the address has an account), and the
job issues a link (link_tokens.py) in its transaction and mails it once that transaction commits. One
`EmailLinks` is built in services.py and handed to each flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from sms2fa_app.backend.audit.activity import Activity
from sms2fa_app.backend.audit.notifications import Notices
from sms2fa_app.backend.delivery.letters import Letter
from sms2fa_app.backend.identity.link_tokens import LinkPurpose, LinkTokens
from sms2fa_app.backend.infra.client import current_client
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.jobs import JobQueue
from sms2fa_app.backend.infra.limits import WindowLimiter

CLIENT_FIELDS = ("at", "browser", "network")  # what a mail says of the request it answers


@dataclass(frozen=True)
class LinkKind:
    """One kind of link: its purpose, the page it opens, the letter that carries it."""

    purpose: LinkPurpose
    path: str
    letter: Letter


@dataclass(frozen=True)
class EmailLinks:
    """The database, clock, tokens, job queue, notices, activity log and limiter of the email-link flows."""

    database: Database
    clock: Clock
    tokens: LinkTokens
    jobs: JobQueue
    notices: Notices
    activity: Activity
    limiter: WindowLimiter
    secret_key: str

    def client_fields(self) -> dict[str, Any]:
        """When, and from which browser and network, for a mail about a request (the calling client)."""
        client = current_client()
        return {"at": self.clock.now(), "browser": client.browser, "network": client.network}

    def address_key(self, email: str) -> str:
        """The keyed digest that names an address in limit counters (never the address itself)."""
        return keyed_digest(self.secret_key, "email", email)

    def send(self, tx: Session, kind: LinkKind, user_id: int, email: str, ttl_seconds: int, **fields: Any) -> None:
        """Issue a link in the transaction, with its mail (`fields`, the link and its lifetime), queued once
        the transaction commits."""
        token = self.tokens.issue(user_id, kind.purpose, ttl_seconds, db=tx)
        letter_fields = {**fields, "link": f"{self.notices.site.base_url}{kind.path}?token={token}", "ttl": ttl_seconds}
        self.notices.mail(tx, kind.letter, email, letter_fields)
