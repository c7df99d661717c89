"""The one-time-code input, the countdown resend button and the phone field, shared by every page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.components.countdown import countdown_button
from sms2fa_app.components.focus import focus_element
from sms2fa_app.components.forms import labeled_input
from sms2fa_app.components.language import t, t_around
from sms2fa_app.components.waits import longest_resend_wait
from sms2fa_app.state import words
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.words.catalogue import Text

CODE_FIELD = "field-code"


def otp_input(error: rx.Var[str] | str = "", key: rx.Var[str] | str = "") -> rx.Component:
    """'Verification code': numeric keyboard, one-time-code autofill, focused (again whenever `key`, the factor it
    is for, changes: the button that switched is gone)."""
    return labeled_input(
        words.pages.VERIFICATION_CODE,
        "code",
        error=error,
        autocomplete="one-time-code",
        input_mode="numeric",
        pattern=r"[0-9 \-]*",
        max_length=9,
        placeholder="123456",
        auto_focus=True,
        key=key,
        dir="ltr",  # digits read left to right on a right-to-left page too
        style={"letter-spacing": "0.3em", "font-variant-numeric": "tabular-nums"},
    )


def factor_code_input(method: rx.Var[str]) -> rx.Component:
    """The code field of the factor `method` names: a recovery code as typed, else a 6-digit code (otp_input)."""
    return rx.cond(
        method == Factor.RECOVERY,
        labeled_input(words.pages.RECOVERY_CODE, "code", autocomplete="off", auto_focus=True),
        otp_input(key=method),
    )


# WebOTP: where the browser has it, wait for the text that ends with "@<this site> #<code>", fill the code in and
# submit its form. The browser asks the person first; nothing happens elsewhere or when the text never comes.
WEB_OTP = """
if ('OTPCredential' in window && !window.__sms2faWebOtp) {
  window.__sms2faWebOtp = true;
  navigator.credentials.get({otp: {transport: ['sms']}}).then((otp) => {
    const input = document.querySelector('input[name=code]');
    if (otp && otp.code && input && input.form) {
      input.value = otp.code;
      input.form.requestSubmit();
    }
  }).catch(() => {}).finally(() => { window.__sms2faWebOtp = false; });
}
"""


def web_otp() -> rx.Component:
    """An invisible element that starts the WebOTP listener when the texted-code form appears."""
    return rx.box(on_mount=run_in_browser(WEB_OTP), display="none")


RESEND_BUTTON = "resend-code"  # its id: the proof-of-work widget presses it again once solved


def resend_button(
    deadline: rx.Var[int],
    on_click: Any,
    loading: rx.Var[bool] | bool = False,
    held: rx.Var[bool] | bool = False,
    label: str | Text = words.pages.RESEND_CODE,
) -> rx.Component:
    """`label` ('Resend code'), disabled with the time left until the server's deadline (counted in the browser:
    seconds for the cooldown, minutes when `held` by an hourly limit); the focus goes to the code field, not to
    <body> under the disabled button."""
    return countdown_button(
        deadline,
        [focus_element(CODE_FIELD), on_click],
        waiting=rx.cond(held, t(words.challenge.RESEND_HELD), t(words.challenge.RESEND_WAITING)),
        id=RESEND_BUTTON,
        ready=label,
        max_seconds=longest_resend_wait(),
        busy=loading,
        type="button",
        variant="soft",
        size="3",
        width="100%",
    )


def phone_field(
    value: rx.Var[str], on_change: Any, preview: rx.Var[str], error: rx.Var[str] | str = ""
) -> rx.Component:
    """'Phone number' in any common format, with the E.164 form the server understood."""
    return rx.vstack(
        labeled_input(
            words.pages.PHONE_NUMBER,
            "phone",
            error=error,
            type_="tel",
            dir="ltr",
            autocomplete="tel",
            placeholder="+1 415 555 2671",
            value=value,
            on_change=on_change.debounce(250),
            auto_focus=True,
        ),
        rx.cond(
            preview != "",
            rx.text(t_around(words.pages.WE_WILL_TEXT, "number", rx.code(preview)), size="2", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def factor_choices(
    method: rx.Var[str], has_totp: rx.Var[bool] | bool, pick: Any, has_passkey: rx.Var[bool] | bool = False
) -> rx.Component:
    """The other factors the user may use instead of `method`: 'Use a passkey' (first, when the user has one and
    the page can run the ceremony), 'Text me a code', 'Use my authenticator app' (when set up) and 'Use a
    recovery code'; `pick(factor)` switches."""
    choices = (
        (Factor.PASSKEY, words.pages.USE_A_PASSKEY, has_passkey),
        (Factor.SMS, words.pages.TEXT_ME_A_CODE, True),
        (Factor.TOTP, words.pages.USE_AUTHENTICATOR_APP, has_totp),
        (Factor.RECOVERY, words.pages.USE_A_RECOVERY_CODE, True),
    )
    buttons = []
    for factor, label, offered in choices:
        shown = method != factor
        if offered is False:
            continue
        if offered is not True:
            shown = shown & offered
        buttons.append(
            rx.cond(shown, rx.button(t(label), on_click=pick(factor), variant="ghost", size="2", type="button"))
        )
    return rx.vstack(*buttons, spacing="2", align="start")
