"""The challenge's "Send a text instead": a WhatsApp code that did not arrive, texted (the same code, once).

The delivery watch (challenge.py) asks the backend, with each look at the delivery reports, whether the code's
text instead is ready (its template was reported lost, or WHATSAPP_FALLBACK_SECONDS passed undelivered) and shows
the button then; the backend decides again when it is pressed, whatever the page shows.
"""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose
from sms2fa_app.state import words
from sms2fa_app.state.guard import Access, Apply, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.runner import run_backend


def texted_for_whatsapp(asked: Channel, sent: object) -> bool:
    """True when a code asked for by WhatsApp went as a text (the template failed at once, so the backend texted
    it): the page says so, since the person looks for it in WhatsApp."""
    return asked is Channel.WHATSAPP and isinstance(sent, CodeSent) and sent.channel is Channel.SMS


class TextInsteadState(rx.State, mixin=True):
    """Mixed into ChallengeState (a SessionState with `_sent_events`): how the pending code went, and its fallback."""

    code_channel: str = Channel.SMS.value  # how the newest code went ("whatsapp": the prompt says so)
    text_instead_ready: bool = False  # the WhatsApp code may be texted instead now (the button shows)

    @guarded(access=Access.PENDING, busy="resending", slow=True)
    async def text_instead(self, caller: Caller, form_data: dict) -> Apply:
        """Text the pending WhatsApp code: not a new code, so its expiry stands and the cooldown is not spent.
        `form_data` holds the proof of work when the widget is shown."""
        session, user = caller.signed_in
        proof = form_data.get(PROOF_FIELD, "")
        sent = await run_backend(
            self._services().otp.text_instead,  # type: ignore[attr-defined]  # SessionState's
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=user.phone_number or "",
            client_ip=self._client_ip(),  # type: ignore[attr-defined]
            proof=proof,
        )

        async def apply() -> list:
            self.method = Factor.SMS.value  # type: ignore[attr-defined]
            self.text_instead_ready = False
            events = self._sent_events(session, sent, proof, words.challenge.TEXTED_INSTEAD)  # type: ignore[attr-defined]
            if isinstance(sent, CodeSent) and sent.expires_at:  # the same code: its own expiry still counts down
                self.code_expires_at = int(sent.expires_at * 1000)  # type: ignore[attr-defined]
            return events

        return apply
