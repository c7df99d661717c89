"""Settings: two-factor status (passkeys included) and the enrollment / change / turn-off wizard (the account's own
sections and the re-authentication step are in settings_account.py)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.channel import channel_choice
from sms2fa_app.components.forms import form_error, said_callout
from sms2fa_app.components.language import shown, t, t_around
from sms2fa_app.components.layout import NARROW, WIDE, page_shell
from sms2fa_app.components.otp import RESEND_BUTTON, otp_input, phone_field, resend_button
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.components.sections import section_card, sections
from sms2fa_app.components.waits import lock_countdown, send_button, verify_button
from sms2fa_app.pages.settings_account import (
    action_heading,
    active_sessions,
    change_password_button,
    confirm_delete_step,
    delete_account_block,
    nav_buttons,
    new_password_step,
    reauth_choices,
    reauth_code_prompt,
    reauth_other_factor_form,
    reauth_step,
)
from sms2fa_app.pages.settings_methods import (
    devices,
    disable_button,
    method_rows,
    recovery_codes,
    totp_setup_intro,
)
from sms2fa_app.pages.settings_passkeys import passkey_setup
from sms2fa_app.state import words
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.settings import (
    Operation,
    RecoveryCodesState,
    SettingsState,
    SmsSetupState,
    Step,
    TotpSetupState,
    WizardState,
)

SIGN_IN = (words.pages.SIGN_IN_METHODS, "sign-in-methods")
DEVICES = (words.pages.DEVICES_AND_SESSIONS, "devices-and-sessions")
PASSWORD = (words.pages.PASSWORD, "password")
DANGER = (words.pages.DANGER_ZONE, "danger-zone")
SECTIONS = [SIGN_IN, DEVICES, PASSWORD, DANGER]  # the index's order is the cards' order, on every screen


def _sign_in_methods() -> rx.Component:
    return rx.vstack(
        said_callout(SettingsState.notice, SettingsState.notice_id, icon="circle_check", role="status"),
        _mail_delayed(),
        rx.heading(t(words.pages.TWO_FACTOR), size="3", as_="h3"),
        rx.cond(
            SettingsState.two_factor_enabled,
            method_rows(),
            rx.vstack(
                rx.hstack(
                    rx.badge(t(words.pages.OFF), color_scheme="gray"), rx.text(t(words.pages.ONLY_PASSWORD_PROTECTS))
                ),
                rx.button(t(words.pages.ENABLE_TWO_FACTOR), on_click=WizardState.start(Operation.ENABLE_SMS)),
                spacing="3",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _status() -> rx.Component:
    """Every section as its own card: sign-in methods, devices and sessions, password, then what can't be undone
    (turning 2FA off, deleting the account) apart from the rest."""
    return sections(
        words.pages.SETTINGS,
        SECTIONS,
        section_card(*SIGN_IN, _sign_in_methods()),
        section_card(*DEVICES, devices(), active_sessions()),
        section_card(*PASSWORD, change_password_button()),
        section_card(
            *DANGER,
            rx.cond(SettingsState.two_factor_enabled, disable_button()),
            delete_account_block(),
            danger=True,
        ),
        footer=_back_to_dashboard(),
    )


def _back_to_dashboard() -> rx.Component:
    return rx.link(t(words.pages.BACK_TO_DASHBOARD), href="/dashboard", size="2")


def _totp_setup() -> rx.Component:
    return rx.vstack(
        action_heading(), totp_setup_intro(), _code_form(TotpSetupState.verify_totp_setup, texted=False), width="100%"
    )


def _code_form(
    on_submit, *, texted: bool = True, label: rx.Var[str] | str = words.pages.VERIFY, choice: bool = False
) -> rx.Component:
    """The code form; `texted` adds the countdown resend button (not for authenticator codes), `choice` the "Send
    my codes by" radios (a new number, while WhatsApp is offered). Verify waits for a lockout, counted down live."""
    return rx.vstack(
        rx.form(
            rx.vstack(
                otp_input(),
                *(
                    [
                        rx.cond(
                            SettingsState.whatsapp_offered & (SmsSetupState.line_notice == ""),  # a landline is called
                            channel_choice(SettingsState.code_channel),
                        )
                    ]
                    if choice
                    else []
                ),
                form_error(SettingsState.error, SettingsState.error_id),
                lock_countdown(SettingsState.locked_until),
                verify_button(shown(label), SettingsState.locked_until, SettingsState.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=on_submit,
            reset_on_submit=True,
            width="100%",
        ),
        *(
            [
                proof_of_work(SettingsState.pow_challenge, resubmit=SettingsState.proof_asked, retry=RESEND_BUTTON),
                resend_button(
                    SettingsState.resend_at,
                    with_proof(WizardState.resend_code),
                    SettingsState.busy,
                    held=SettingsState.sends_held,
                ),
            ]
            if texted
            else []
        ),
        nav_buttons(),
        spacing="3",
        width="100%",
    )


def _enter_sends() -> rx.Component:
    """The form's first submit button, never disabled and never shown: Enter sends the typed number even while
    "Send code" still waits for the previous number's cooldown (the server refuses that same number; a corrected
    one goes at once, before the debounced field reached the server)."""
    return rx.el.button(type="submit", hidden=True, tab_index=-1, form_no_validate=True, aria_hidden="true")


def _phone_step() -> rx.Component:
    return rx.form(
        _enter_sends(),
        rx.vstack(
            action_heading(),
            rx.text(t(words.pages.MOBILE_NUMBER_TO_TEXT), size="2"),
            phone_field(SmsSetupState.phone_input, SmsSetupState.set_phone_input, SmsSetupState.phone_preview),
            form_error(SettingsState.error, SettingsState.error_id),
            proof_of_work(SettingsState.pow_challenge, resubmit=SettingsState.proof_asked),
            send_button(words.pages.SEND_CODE, SettingsState.resend_at, SettingsState.busy),
            nav_buttons(),
            spacing="3",
            width="100%",
        ),
        on_submit=SmsSetupState.send_enroll_code,
        width="100%",
    )


def _step_card(content: rx.Component) -> rx.Component:
    """One step of the wizard, alone in a narrow card."""
    return rx.card(
        rx.vstack(
            rx.heading(t(words.pages.SETTINGS), size="6", as_="h1"),
            _mail_delayed(),
            content,
            _back_to_dashboard(),
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
        max_width=NARROW,
        margin_x="auto",
    )


def settings_page() -> rx.Component:
    """The sections (the status), or one step of the wizard at a time in a card of its own."""
    steps = {
        Step.PHONE: _phone_step(),
        Step.CODE: rx.vstack(
            action_heading(),
            rx.text(
                t_around(words.pages.CODE_SENT_TO, "number", rx.text.strong(SmsSetupState.phone_preview)), size="2"
            ),
            said_callout(SmsSetupState.line_notice, SmsSetupState.line_notice_id, icon="phone", role="status"),
            _code_form(SmsSetupState.verify_enroll_code, choice=True),
            width="100%",
        ),
        Step.DONE: rx.cond(
            RecoveryCodesState.new_recovery_codes.length() > 0,
            recovery_codes(_done_notice()),
            rx.vstack(_done_notice(), rx.button(t(words.pages.DONE), on_click=WizardState.cancel), width="100%"),
        ),
        Step.REAUTH_PASSWORD: reauth_step(),
        Step.NEW_PASSWORD: new_password_step(),
        Step.CONFIRM_DELETE: confirm_delete_step(),
        Step.RECOVERY_CODES: recovery_codes(),
        Step.TOTP_SETUP: _totp_setup(),
        Step.PASSKEY_SETUP: passkey_setup(),
        Step.REAUTH_CODE: rx.vstack(
            action_heading(),
            reauth_code_prompt(),
            rx.cond(
                WizardState.reauth_method == Factor.SMS,
                _code_form(WizardState.verify_reauth_code, label=WizardState.action_confirm),
                reauth_other_factor_form(),
            ),
            reauth_choices(),  # another factor instead, without typing the password again
            width="100%",
        ),
    }
    return page_shell(
        rx.match(WizardState.step, *[(step, _step_card(content)) for step, content in steps.items()], _status()),
        max_width=rx.cond(WizardState.step == Step.STATUS, WIDE, NARROW),
    )


def _mail_delayed() -> rx.Component:
    """Said while notice mail runs late (the mail server refused the last one): only to the signed-in owner."""
    return said_callout(SettingsState.mail_delayed, SettingsState.mail_delayed_id, icon="mail", color_scheme="amber")


def _done_notice() -> rx.Component:
    """What the finished operation did."""
    return rx.callout(
        SettingsState.notice,
        icon="circle_check",
        color_scheme="green",
        width="100%",
        custom_attrs={"data-message-id": SettingsState.notice_id},
    )
