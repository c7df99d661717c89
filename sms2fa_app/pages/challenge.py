"""The second-factor challenge page."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.browser_calls import passkey_ceremony
from sms2fa_app.components.copy import select_on_focus, select_when_refused
from sms2fa_app.components.countdown import countdown, countdown_button
from sms2fa_app.components.focus import focus_element
from sms2fa_app.components.forms import form_error, labeled_input
from sms2fa_app.components.language import t, t_around
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import CODE_FIELD, RESEND_BUTTON, factor_choices, otp_input, resend_button, web_otp
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.components.waits import lock_countdown, longest_resend_wait, verify_button
from sms2fa_app.config import get_settings
from sms2fa_app.state import words
from sms2fa_app.state.challenge import RECOVERY_FIELD, ChallengeState, Factor


def _signing_in_as() -> rx.Component:
    """Whose sign-in this is, and a way out when it isn't theirs."""
    return rx.text(
        t_around(words.pages.SIGNING_IN_AS, "email", rx.text.strong(ChallengeState.email_hint)),
        " ",  # the line may break here, outside the group
        rx.el.span(  # "· Not you?" wraps as one piece: never the button alone on a line
            "· ",
            rx.button(
                t(words.pages.NOT_YOU),
                on_click=ChallengeState.log_out,
                variant="ghost",
                size="2",  # at least 24x24 px (WCAG 2.2, 2.5.8); the ghost's margins keep the line's height
                type="button",
                data_testid="not-you",
            ),
            style={"white_space": "nowrap"},
            data_testid="not-you-group",
        ),
        size="2",
        color_scheme="gray",
    )


def _expiry() -> rx.Component:
    """The texted code's expiry, counted down live; once it passed, a prompt to ask for a new one."""
    return rx.cond(
        (ChallengeState.method == Factor.SMS) & (ChallengeState.code_expires_at != 0),
        rx.text(
            countdown(
                ChallengeState.code_expires_at,
                waiting=words.challenge.CODE_EXPIRES,
                ready=words.challenge.CODE_EXPIRED,
                max_seconds=get_settings().otp_ttl_seconds,
            ),
            size="2",
            color_scheme="gray",
            data_testid="code-expiry",
        ),
    )


def _not_sent() -> rx.Component:
    """No code went out (a limit or the proof of work held it back): say so, count down to when one can, and
    point at the other ways in."""
    return rx.vstack(
        rx.text(
            t(words.challenge.NOT_SENT),
            weight="medium",
            role="status",
            custom_attrs={"data-message-id": words.challenge.NOT_SENT.id},
        ),
        rx.cond(
            ChallengeState.sends_held,
            rx.text(
                countdown(
                    ChallengeState.resend_at,
                    waiting=words.challenge.SEND_WAIT,
                    ready=words.challenge.SEND_READY,
                    max_seconds=longest_resend_wait(),
                ),
                size="2",
                data_testid="send-wait",
            ),
        ),
        spacing="1",
        width="100%",
    )


def _prompt() -> rx.Component:
    return rx.cond((ChallengeState.method == Factor.SMS) & ChallengeState.not_sent, _not_sent(), _factor_prompt())


def _factor_prompt() -> rx.Component:
    return rx.match(
        ChallengeState.method,
        (Factor.TOTP, rx.text(t(words.pages.ENTER_APP_CODE))),
        (Factor.RECOVERY, rx.text(t(words.pages.ENTER_RECOVERY_CODE))),
        (
            Factor.PASSKEY,
            rx.text(t(words.pages.USE_PASSKEY_HINT)),
        ),
        rx.cond(
            ChallengeState.code_channel == "whatsapp",
            rx.text(
                t(words.pages.ENTER_WHATSAPP_CODE, ending=ChallengeState.phone_ending),
                custom_attrs={"data-message-id": words.pages.ENTER_WHATSAPP_CODE.id},
            ),
            rx.text(t(words.pages.ENTER_TEXTED_CODE, ending=ChallengeState.phone_ending)),
        ),
    )


def _delivery() -> rx.Component:
    """The newest code's live delivery status ("Delivered", "Not delivered: try a voice call", ...)."""
    return rx.cond(
        (ChallengeState.method == Factor.SMS) & (ChallengeState.delivery_status != ""),
        rx.text(
            ChallengeState.delivery_status,
            size="2",
            color_scheme=rx.cond(ChallengeState.delivery_lost, "red", "gray"),
            aria_live="polite",
            data_testid="delivery-status",
            custom_attrs={"data-message-id": ChallengeState.delivery_status_id},
        ),
    )


def _send_again() -> rx.Component:
    """Resend the text, or be called instead; both wait for the same cooldown, and post the proof of work
    when the widget above them is shown."""
    return rx.cond(
        ChallengeState.method == Factor.SMS,
        rx.vstack(
            proof_of_work(ChallengeState.pow_challenge, resubmit=ChallengeState.proof_asked, retry=RESEND_BUTTON),
            rx.cond(
                ChallengeState.text_instead_ready,
                rx.button(  # a WhatsApp code that did not arrive: the same code by text, once
                    t(words.pages.TEXT_INSTEAD),
                    on_click=[focus_element(CODE_FIELD), with_proof(ChallengeState.text_instead)],
                    loading=ChallengeState.resending,
                    type="button",
                    size="3",
                    width="100%",
                    data_testid="text-instead",
                ),
            ),
            resend_button(
                ChallengeState.resend_at,
                with_proof(ChallengeState.resend),
                ChallengeState.resending,
                held=ChallengeState.sends_held,
            ),
            countdown_button(
                ChallengeState.resend_at,
                [focus_element(CODE_FIELD), with_proof(ChallengeState.call_me)],
                waiting=words.pages.CALL_ME_INSTEAD,
                ready=words.pages.CALL_ME_INSTEAD,
                max_seconds=longest_resend_wait(),
                busy=ChallengeState.resending,
                type="button",
                variant=rx.cond(ChallengeState.delivery_lost, "solid", "outline"),
                size="3",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _remember_box() -> rx.Component:
    """'Remember this device': Radix draws the box as a button, which a wrapping <label> does not name. Not offered
    to an admin (no label): it would never apply."""
    return rx.cond(
        ChallengeState.remember_label != "",
        rx.el.label(
            rx.hstack(
                rx.checkbox(name="remember", aria_labelledby="remember-label"),
                rx.text(ChallengeState.remember_label, id="remember-label", size="2"),
            ),
        ),
    )


def _passkey_form() -> rx.Component:
    """One button: the browser asks the user's authenticator (the server checks its answer)."""
    return rx.form(
        rx.vstack(
            _remember_box(),
            form_error(ChallengeState.error, ChallengeState.error_id),
            lock_countdown(ChallengeState.locked_until),
            verify_button(
                words.pages.VERIFY_WITH_PASSKEY, ChallengeState.locked_until, ChallengeState.verifying, auto_focus=True
            ),
            passkey_ceremony(ChallengeState.passkey_request, ChallengeState.finish_passkey),
            spacing="3",
            width="100%",
        ),
        on_submit=ChallengeState.start_passkey,
        width="100%",
    )


def _held_back() -> rx.Component:
    """Instead of the code's form while no code was sent: why not (no field for a code that never came)."""
    return rx.vstack(form_error(ChallengeState.error, ChallengeState.error_id), width="100%")


def _code_form(recovery: bool = False) -> rx.Component:
    """The code's form; a recovery code is not cleared on submit: a refused one stays, selected on focus."""
    return rx.form(
        rx.vstack(
            labeled_input(
                words.pages.RECOVERY_CODE, "code", autocomplete="off", auto_focus=True, on_focus=select_on_focus()
            )
            if recovery
            else otp_input(key=ChallengeState.method),
            *([select_when_refused(ChallengeState.error, RECOVERY_FIELD)] if recovery else []),
            rx.cond(ChallengeState.method == Factor.SMS, web_otp()),
            _remember_box(),
            form_error(ChallengeState.error, ChallengeState.error_id),
            lock_countdown(ChallengeState.locked_until),
            rx.cond(
                ChallengeState.notice != "",
                rx.text(
                    ChallengeState.notice,
                    size="2",
                    role="status",
                    custom_attrs={"data-message-id": ChallengeState.notice_id},
                ),
            ),
            verify_button(words.pages.VERIFY, ChallengeState.locked_until, ChallengeState.verifying),
            spacing="3",
            width="100%",
        ),
        on_submit=ChallengeState.verify,
        reset_on_submit=not recovery,
        width="100%",
    )


def challenge_page() -> rx.Component:
    """The form for the chosen factor (a passkey first when the user has one); for texts, their live delivery
    status, WebOTP, "Resend code" and "Call me instead"; and the other factors."""
    return card(
        words.pages.VERIFY_ITS_YOU,  # one line at 375 px
        _prompt(),
        _delivery(),
        _expiry(),
        rx.match(
            ChallengeState.method,
            (Factor.PASSKEY, _passkey_form()),
            (Factor.RECOVERY, _code_form(recovery=True)),
            rx.cond(ChallengeState.not_sent, _held_back(), _code_form()),
        ),
        _send_again(),
        rx.cond(
            (ChallengeState.method == Factor.SMS) & ChallengeState.not_sent,
            rx.text(t(words.challenge.OTHER_WAYS), size="2"),
        ),
        factor_choices(
            ChallengeState.method, ChallengeState.has_totp, ChallengeState.use_method, ChallengeState.has_passkey
        ),
        rx.button(t(words.pages.CANCEL_AND_LOG_OUT), on_click=ChallengeState.log_out, variant="ghost", size="2"),
        subtitle=_signing_in_as(),
    )
