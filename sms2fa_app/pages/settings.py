"""Settings: two-factor status (passkeys included) and the enrollment / change / turn-off wizard (the account's own
sections and the re-authentication step are in settings_account.py)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.browser_calls import passkey_ceremony
from sms2fa_app.components.forms import form_error, labeled_input, submit_button
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import otp_input, phone_field, resend_button
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.components.waits import lock_countdown, send_button, verify_button
from sms2fa_app.pages.settings_account import (
    account_sections,
    action_heading,
    confirm_delete_step,
    nav_buttons,
    new_password_step,
    reauth_step,
)
from sms2fa_app.pages.settings_methods import (
    devices,
    disable_button,
    method_rows,
    recovery_codes,
    totp_setup_intro,
)
from sms2fa_app.state.settings import (
    Operation,
    PasskeySetupState,
    RecoveryCodesState,
    SettingsState,
    SmsSetupState,
    Step,
    TotpSetupState,
    WizardState,
)


def _status() -> rx.Component:
    return rx.vstack(
        rx.heading("Two-factor authentication", size="4", as_="h2"),
        rx.cond(SettingsState.notice != "", rx.callout(SettingsState.notice, icon="circle_check", role="status")),
        rx.cond(
            SettingsState.two_factor_enabled,
            rx.vstack(
                method_rows(),
                _passkeys(),
                disable_button(),
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                rx.hstack(rx.badge("Off", color_scheme="gray"), rx.text("Only your password protects this account.")),
                rx.button("Enable two-factor authentication", on_click=WizardState.start(Operation.ENABLE_SMS)),
                spacing="3",
            ),
        ),
        devices(),
        account_sections(),
        spacing="3",
        width="100%",
    )


def _passkey_row(passkey: rx.Var) -> rx.Component:
    """One passkey: its name and dates, Rename and Remove (or the name field while renaming)."""
    return rx.cond(
        PasskeySetupState.renaming == passkey["id"],
        rx.form(
            rx.vstack(
                labeled_input(
                    "New name for " + passkey["name"], "name", default_value=passkey["name"], auto_focus=True
                ),
                form_error(SettingsState.error),
                rx.hstack(
                    rx.button("Save name", type="submit", size="2"),
                    rx.button(
                        "Cancel", type="button", variant="ghost", size="2", on_click=PasskeySetupState.cancel_rename
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=PasskeySetupState.rename_passkey,
            width="100%",
        ),
        rx.hstack(
            rx.text(
                rx.text.strong(passkey["name"]),
                " · added ",
                passkey["added"],
                " · last used ",
                passkey["last_used"],
                rx.cond(passkey["one_step"] == "yes", " · signs in without a password", ""),
                size="2",
            ),
            rx.button(
                "Rename",
                aria_label="Rename " + passkey["name"],
                on_click=PasskeySetupState.start_rename(passkey["id"]),
                variant="ghost",
                size="1",
            ),
            rx.button(
                "Remove",
                aria_label="Remove " + passkey["name"],
                on_click=PasskeySetupState.start_remove(passkey["id"]),
                variant="ghost",
                size="1",
                color_scheme="red",
            ),
            align="center",
            wrap="wrap",
        ),
    )


def _passkeys() -> rx.Component:
    """The user's passkeys (offered first at sign-in; texts stay the backup) and "Add a passkey"."""
    return rx.vstack(
        rx.heading("Passkeys", size="3", as_="h3"),
        rx.cond(
            SettingsState.passkeys.length() > 0,
            rx.vstack(
                rx.foreach(SettingsState.passkeys, _passkey_row),
                rx.text("Sign-in asks for a passkey first; texted codes stay as a backup.", size="2"),
                spacing="2",
                width="100%",
            ),
            rx.text("Sign in with your fingerprint, face or screen lock instead of a code.", size="2"),
        ),
        spacing="2",
        width="100%",
    )


def _passkey_setup() -> rx.Component:
    return rx.form(
        rx.vstack(
            action_heading(),
            rx.text(
                "Your browser or phone will ask you to create a passkey with your fingerprint, face, screen lock "
                "or security key. A name helps you tell your passkeys apart.",
                size="2",
            ),
            labeled_input("Passkey name (optional)", "name", placeholder="Work laptop", auto_focus=True),
            form_error(SettingsState.error),
            submit_button("Create passkey", SettingsState.busy),
            passkey_ceremony(PasskeySetupState.passkey_creation, PasskeySetupState.finish_passkey),
            nav_buttons(),
            spacing="3",
            width="100%",
        ),
        on_submit=PasskeySetupState.create_passkey,
        width="100%",
    )


def _totp_setup() -> rx.Component:
    return rx.vstack(
        action_heading(), totp_setup_intro(), _code_form(TotpSetupState.verify_totp_setup, texted=False), width="100%"
    )


def _code_form(on_submit, *, texted: bool = True, label: rx.Var[str] | str = "Verify") -> rx.Component:
    """The code form; `texted` adds the countdown resend button (not for authenticator codes). Verify waits
    for a lockout, counted down live."""
    return rx.vstack(
        rx.form(
            rx.vstack(
                otp_input(),
                form_error(SettingsState.error),
                lock_countdown(SettingsState.locked_until),
                verify_button(label, SettingsState.locked_until, SettingsState.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=on_submit,
            reset_on_submit=True,
            width="100%",
        ),
        *(
            [
                proof_of_work(SettingsState.pow_challenge),
                resend_button(
                    SettingsState.resend_at,
                    with_proof(WizardState.resend_code),
                    SettingsState.busy,
                ),
            ]
            if texted
            else []
        ),
        nav_buttons(),
        spacing="3",
        width="100%",
    )


def _phone_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            action_heading(),
            rx.text("The mobile number we should text.", size="2"),
            phone_field(SmsSetupState.phone_input, SmsSetupState.set_phone_input, SmsSetupState.phone_preview),
            form_error(SettingsState.error),
            proof_of_work(SettingsState.pow_challenge),
            send_button("Send code", SettingsState.resend_at, SettingsState.busy),
            nav_buttons(),
            spacing="3",
            width="100%",
        ),
        on_submit=SmsSetupState.send_enroll_code,
        width="100%",
    )


def settings_page() -> rx.Component:
    """The 'Two-factor authentication' section and the account's sections, one step at a time."""
    return card(
        "Settings",
        rx.match(
            WizardState.step,
            (Step.PHONE, _phone_step()),
            (
                Step.CODE,
                rx.vstack(
                    action_heading(),
                    rx.text("Enter the code we sent to ", rx.text.strong(SmsSetupState.phone_preview), ".", size="2"),
                    _code_form(SmsSetupState.verify_enroll_code),
                    width="100%",
                ),
            ),
            (
                Step.DONE,
                rx.vstack(
                    rx.callout(SettingsState.notice, icon="circle_check", color_scheme="green", width="100%"),
                    rx.cond(
                        RecoveryCodesState.new_recovery_codes.length() > 0,
                        recovery_codes(),
                        rx.button("Done", on_click=WizardState.cancel),
                    ),
                    width="100%",
                ),
            ),
            (Step.REAUTH_PASSWORD, reauth_step()),
            (Step.NEW_PASSWORD, new_password_step()),
            (Step.CONFIRM_DELETE, confirm_delete_step()),
            (
                Step.RECOVERY_CODES,
                recovery_codes(),
            ),
            (Step.TOTP_SETUP, _totp_setup()),
            (Step.PASSKEY_SETUP, _passkey_setup()),
            (
                Step.REAUTH_CODE,
                rx.vstack(
                    action_heading(),
                    rx.text(
                        "Enter the code we sent to the number ending in ", SettingsState.phone_ending, ".", size="2"
                    ),
                    _code_form(WizardState.verify_reauth_code, label=WizardState.action_confirm),
                    width="100%",
                ),
            ),
            _status(),
        ),
        rx.link("Back to dashboard", href="/dashboard", size="2"),
    )
