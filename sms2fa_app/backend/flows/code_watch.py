"""What the challenge page follows about the newest sign-in code, read in one hand-off: its delivery report, the
resend wait a lost text gave back, and a WhatsApp code's "Send a text instead" wait."""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.delivery.status import Delivery, DeliveryStatuses
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose


@dataclass(frozen=True)
class CodeWatch:
    """One look at the newest code. `fallback`: None (no text instead to wait for), 0 (ready now), or seconds."""

    delivery: Delivery | None
    resend_wait: int
    fallback: int | None

    @property
    def lost(self) -> bool:
        """The provider reported the message lost: its cooldown was given back."""
        return self.delivery is not None and self.delivery.state.lost

    @property
    def done(self) -> bool:
        """Nothing (more) to follow: a final report (or none at all), and no text instead still to wait for."""
        return (self.delivery is None or self.delivery.state.final) and not self.fallback


def watch_code(deliveries: DeliveryStatuses, otp: OtpService, binding: str, whatsapp: bool) -> CodeWatch:
    """The newest code of `binding` ("purpose:user:session"); `whatsapp`: it went by WhatsApp (blocking)."""
    _purpose, user_id, session_id = binding.split(":")
    delivery = deliveries.latest(binding)
    lost = delivery is not None and delivery.state.lost
    wait = otp.resend_wait(user_id=int(user_id), purpose=Purpose.LOGIN) if lost else 0
    fallback = (
        otp.text_instead_wait(purpose=Purpose.LOGIN, user_id=int(user_id), session_id=int(session_id))
        if whatsapp
        else None
    )
    return CodeWatch(delivery, wait, fallback)
