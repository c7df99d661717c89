"""Proof of work in the states: the posted field, and when to show the widget a new challenge."""

from __future__ import annotations

from sms2fa_app.backend.services import Services

PROOF_FIELD = "altcha"  # the hidden field the widget fills with its solution


def next_challenge(services: Services, *, needed: bool, posted: str) -> str:
    """A fresh challenge when the server asked for a proof, or when the one just posted was spent (the
    pressure that asked for it likely lasts); otherwise none, and the widget goes away."""
    return services.pow.challenge() if needed or posted else ""
