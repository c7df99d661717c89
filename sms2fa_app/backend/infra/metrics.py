"""Prometheus metrics, all of them: what operators alert on (SMS spend, delivery failures, lockout spikes,
operator alerts) and latency.

Each backend process keeps its own counts (prometheus_client's default registry, with the process collector);
scrape every backend worker. Labels take values from small closed sets (countries, factors, outcomes, limit
names, handler names): never a user, a number, an address or a code.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

TEXTS = Counter(
    "sms2fa_texts",
    "Requests to text a code, by destination country and outcome (sent, or why not).",
    ["country", "outcome"],
)
VERIFIES = Counter(
    "sms2fa_verifies",
    "Second-factor guesses by factor (sms, totp, recovery) and outcome: as judged (ok, wrong, ...), or locked "
    "(refused unjudged while the user's verifies are locked).",
    ["factor", "outcome"],
)
LOCKOUTS = Counter("sms2fa_lockouts", "Lockouts started (a user's verifies locked after failures).", ["factor"])
LOGINS = Counter("sms2fa_logins", "Password logins, by outcome.", ["outcome"])
REFUSALS = Counter(
    "sms2fa_limit_refusals",
    "Requests refused by a rate limit, by limit (otp_cooldown, otp_ip_limit, login_account, signup_ip, ...).",
    ["limit"],
)
PHONE_LOOKUPS = Counter(
    "sms2fa_phone_lookups",
    "Line checks of new numbers, by outcome (mobile, fixed, voip, toll_free, unknown, not_found, outage, refused: "
    "the send windows were full) and source (plivo: billed, cache: free, offline: development).",
    ["outcome", "source"],
)
OPERATOR_ALERTS = Counter("sms2fa_operator_alerts", "Alerts raised for the operator, by kind.", ["kind"])
OIDC_AUTHORIZATIONS = Counter(
    "sms2fa_oidc_authorizations",
    'OpenID authorization requests answered, by registered client id ("unknown" for any other) and outcome '
    "(code, or the OAuth error).",
    ["client", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "sms2fa_handler_seconds",
    "Time to serve a guarded Reflex event handler, by handler.",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def count_text(country: str | None, outcome: str) -> None:
    """One request to text a code: `outcome` is "sent" or the refusal's name."""
    TEXTS.labels(country=country or "unknown", outcome=outcome).inc()


def count_lookup(outcome: str, source: str) -> None:
    """One line check of a new number: what it found and where from."""
    PHONE_LOOKUPS.labels(outcome=outcome, source=source).inc()


def count_verify(factor: str, outcome: str) -> None:
    """One evaluated guess of a factor."""
    VERIFIES.labels(factor=factor, outcome=outcome).inc()


def count_lockout(factor: str) -> None:
    """A user's verifies just locked."""
    LOCKOUTS.labels(factor=factor).inc()


def count_login(outcome: str) -> None:
    """One password login attempt's outcome."""
    LOGINS.labels(outcome=outcome).inc()


def count_refusal(limit: str) -> None:
    """One request refused by the named rate limit."""
    REFUSALS.labels(limit=limit).inc()


def count_operator_alert(kind: str) -> None:
    """One alert raised for the operator (infra/alerts.py)."""
    OPERATOR_ALERTS.labels(kind=kind).inc()


def count_oidc_authorization(client: str, outcome: str) -> None:
    """One authorization request answered to a client: a code, or the error's name."""
    OIDC_AUTHORIZATIONS.labels(client=client, outcome=outcome).inc()


def exposition() -> tuple[bytes, str]:
    """The current metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
