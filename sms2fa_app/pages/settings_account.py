"""Settings: re-authentication with any factor, and the account's own sections (password, sessions, activity,
deletion) with their steps."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.browser_calls import passkey_ceremony
from sms2fa_app.components.focus import focus_element, focus_on_mount
from sms2fa_app.components.forms import form_error, labeled_input, new_password_fields, submit_button
from sms2fa_app.components.language import t, t_around
from sms2fa_app.components.otp import factor_choices, otp_input
from sms2fa_app.components.pow import proof_of_work
from sms2fa_app.components.waits import lock_countdown, send_button, verify_button
from sms2fa_app.state import words
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.settings import DeleteAccountState, Operation, PasswordChangeState, SettingsState, WizardState


def nav_buttons() -> rx.Component:
    """Back and Cancel, under every step of the wizard."""
    return rx.hstack(  # same variant and size: a ghost button's negative margin would pull Cancel out of line
        rx.button(t(words.pages.BACK), type="button", variant="outline", on_click=WizardState.back),
        rx.button(
            t(words.pages.CANCEL), type="button", variant="outline", color_scheme="gray", on_click=WizardState.cancel
        ),
        spacing="3",
        justify="between",
        width="100%",
    )


STEP_HEADING = "step-heading"


def action_heading(*, focused: bool = False) -> rx.Component:
    """The operation being confirmed, e.g. "Turn off two-factor authentication", and which step of how many;
    `focused`: the step has no field to start on, so the focus goes to this heading (not <body>)."""
    return rx.vstack(
        rx.cond(
            WizardState.step_label != "",
            rx.text(WizardState.step_label, size="1", color_scheme="gray", data_testid="step-label"),
        ),
        rx.heading(WizardState.action_title, size="3", as_="h2", id=STEP_HEADING, tab_index=-1),
        *([focus_on_mount(STEP_HEADING)] if focused else []),
        spacing="1",
    )


# ---- re-authentication -------------------------------------------------------------------------------


def _reauth_prompt() -> rx.Component:
    return rx.cond(
        SettingsState.two_factor_enabled,
        rx.match(
            WizardState.reauth_method,
            (Factor.TOTP, rx.text(t(words.pages.CONFIRM_WITH_APP), size="2")),
            (Factor.RECOVERY, rx.text(t(words.pages.CONFIRM_WITH_RECOVERY), size="2")),
            (Factor.PASSKEY, rx.text(t(words.pages.CONFIRM_WITH_PASSKEY), size="2")),
            rx.text(t(words.pages.CONFIRM_WITH_TEXT, ending=SettingsState.phone_ending), size="2"),
        ),
        rx.text(t(words.pages.CONFIRM_WITH_PASSWORD), size="2"),
    )


PASSWORD_FIELD = "field-password"


def _use_reauth_method(factor: Factor) -> Any:
    """Switch the factor; the focus goes to the field that comes with it (the code fields focus themselves)."""
    if factor in (Factor.SMS, Factor.PASSKEY):
        return [WizardState.use_reauth_method(factor), focus_element(PASSWORD_FIELD)]
    return WizardState.use_reauth_method(factor)


def reauth_step() -> rx.Component:
    """The password, and with 2FA on any enrolled factor: an app or recovery code in this same step, a passkey
    right after it, or a texted code in the next one."""
    two_factor = SettingsState.two_factor_enabled
    method = WizardState.reauth_method
    return rx.vstack(
        action_heading(),
        rx.cond(
            WizardState.target_label != "",
            rx.text(t_around(words.pages.REMOVING_PASSKEY, "name", rx.text.strong(WizardState.target_label)), size="2"),
        ),
        rx.text(WizardState.action_consequence, size="2", data_testid="action-consequence"),
        _reauth_prompt(),
        rx.form(
            rx.vstack(
                labeled_input(words.pages.PASSWORD, "password", type_="password", autocomplete="current-password"),
                focus_on_mount(PASSWORD_FIELD),  # after the code fields' autofocus: the step opens on the password
                rx.cond(two_factor & (method == Factor.TOTP), otp_input()),
                rx.cond(
                    two_factor & (method == Factor.RECOVERY),
                    labeled_input(words.pages.RECOVERY_CODE, "code", autocomplete="off", auto_focus=True),
                ),
                form_error(SettingsState.error, SettingsState.error_id),
                lock_countdown(SettingsState.locked_until),
                rx.cond(  # only a text is at stake here: no proof of work for the other factors
                    two_factor & (method == Factor.SMS),
                    proof_of_work(SettingsState.pow_challenge, resubmit=SettingsState.proof_asked),
                ),
                rx.cond(
                    two_factor & (method == Factor.SMS),
                    send_button(words.pages.TEXT_ME_A_CODE, SettingsState.resend_at, SettingsState.busy),
                    verify_button(
                        rx.cond(
                            two_factor & (method == Factor.PASSKEY),
                            t(words.pages.CONTINUE_WITH_PASSKEY),
                            WizardState.action_confirm,
                        ),
                        SettingsState.locked_until,
                        SettingsState.busy,
                    ),
                ),
                nav_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=WizardState.confirm_password,  # what was typed stays (a refused password is cleared)
            width="100%",
        ),
        passkey_ceremony(WizardState.passkey_request, WizardState.finish_reauth_passkey),
        rx.cond(two_factor, reauth_choices()),
        spacing="3",
        width="100%",
    )


def reauth_choices() -> rx.Component:
    """The factors the user may confirm with instead of the one shown."""
    return factor_choices(
        WizardState.reauth_method, SettingsState.totp_enabled, _use_reauth_method, SettingsState.passkeys.length() > 0
    )


def reauth_code_prompt() -> rx.Component:
    """After the password: what the chosen factor asks for (the password is not asked again)."""
    return rx.match(
        WizardState.reauth_method,
        (Factor.TOTP, rx.text(t(words.pages.PASSWORD_THEN_APP), size="2")),
        (Factor.RECOVERY, rx.text(t(words.pages.PASSWORD_THEN_RECOVERY), size="2")),
        (Factor.PASSKEY, rx.text(t(words.pages.PASSWORD_THEN_PASSKEY), size="2")),
        rx.text(t(words.pages.CODE_SENT_TO_ENDING, ending=SettingsState.phone_ending), size="2"),
    )


def reauth_other_factor_form() -> rx.Component:
    """After the password, a factor other than the texted code: its code, or a passkey asked of the browser."""
    method = WizardState.reauth_method
    return rx.vstack(
        rx.form(
            rx.vstack(
                rx.match(
                    method,
                    (
                        Factor.RECOVERY,
                        labeled_input(words.pages.RECOVERY_CODE, "code", autocomplete="off", auto_focus=True),
                    ),
                    (Factor.TOTP, otp_input(key=method)),
                    rx.fragment(),
                ),
                form_error(SettingsState.error, SettingsState.error_id),
                lock_countdown(SettingsState.locked_until),
                verify_button(
                    rx.cond(method == Factor.PASSKEY, t(words.pages.CONTINUE_WITH_PASSKEY), WizardState.action_confirm),
                    SettingsState.locked_until,
                    SettingsState.busy,
                ),
                nav_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=WizardState.verify_reauth_code,
            width="100%",
        ),
        passkey_ceremony(WizardState.passkey_request, WizardState.finish_reauth_passkey),
        width="100%",
    )


# ---- the account's steps -----------------------------------------------------------------------------


def new_password_step() -> rx.Component:
    """The new password, twice, with the strength hint."""
    return rx.vstack(
        action_heading(),
        rx.form(
            rx.vstack(
                new_password_fields(
                    PasswordChangeState,
                    label=words.pages.NEW_PASSWORD,
                    confirm_label=words.pages.CONFIRM_NEW_PASSWORD,
                    auto_focus=True,
                ),
                form_error(SettingsState.error, SettingsState.error_id),
                submit_button(words.pages.CHANGE_PASSWORD, SettingsState.busy),
                nav_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=PasswordChangeState.change_password,
            width="100%",
        ),
        width="100%",
    )


def confirm_delete_step() -> rx.Component:
    """What goes, and one explicit confirmation (the button waits for the box)."""
    return rx.vstack(
        action_heading(focused=True),
        rx.callout(
            t(words.pages.DELETE_ACCOUNT_WARNING),
            icon="triangle_alert",
            color_scheme="red",
            width="100%",
        ),
        rx.form(
            rx.vstack(
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(
                            name="confirm",
                            default_checked=False,
                            on_change=lambda checked: DeleteAccountState.tick_delete(rx.cond(checked, "yes", "")),
                            aria_labelledby="confirm-delete-label",
                        ),
                        rx.text(t(words.pages.I_UNDERSTAND_NO_UNDO), id="confirm-delete-label", size="2"),
                    )
                ),
                form_error(SettingsState.error, SettingsState.error_id),
                rx.button(
                    t(words.pages.DELETE_ACCOUNT_PERMANENTLY),
                    type="submit",
                    color_scheme="red",
                    loading=SettingsState.busy,
                    disabled=~DeleteAccountState.delete_ticked,
                    size="3",
                    width="100%",
                ),
                nav_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=DeleteAccountState.delete_account,
            width="100%",
        ),
        width="100%",
    )


# ---- the account's sections on the status page --------------------------------------------------------


def _session_row(session: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(
                rx.text.strong(session["browser"]),
                " · ",
                session["network"],
                rx.cond(session["current"] != "", rx.fragment(" · ", t(words.pages.THIS_BROWSER)), ""),
                rx.cond(session["pending"] != "", rx.fragment(" · ", t(words.pages.WAITING_FOR_SECOND_FACTOR)), ""),
                size="2",
            ),
            rx.text(session["times"], size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.button(
            t(words.pages.SIGN_OUT),
            aria_label=session["sign_out"],
            on_click=SettingsState.sign_out_session(session["id"]),
            variant="soft",
            size="2",
        ),
        align="center",
        width="100%",
    )


def _app_row(app: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(rx.text.strong(app["name"]), size="2"),
            rx.text(app["times"], size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.button(
            t(words.pages.DISCONNECT), on_click=SettingsState.disconnect_app(app["id"]), variant="ghost", size="1"
        ),
        align="center",
        width="100%",
    )


def change_password_button() -> rx.Component:
    """The Password section's one action."""
    return rx.button(
        t(words.pages.CHANGE_PASSWORD), on_click=WizardState.start(Operation.CHANGE_PASSWORD), variant="soft"
    )


def active_sessions() -> rx.Component:
    """Every signed-in browser with its own Sign out (named after its session), then the rest at once and the
    activity page."""
    return rx.vstack(
        rx.heading(t(words.pages.ACTIVE_SESSIONS), size="3", as_="h3"),
        rx.foreach(SettingsState.sessions, _session_row),
        rx.button(
            t(words.pages.SIGN_OUT_EVERYWHERE_ELSE),
            on_click=SettingsState.sign_out_everywhere_else,
            variant="soft",
            size="2",
        ),
        rx.cond(
            SettingsState.apps.length() > 0,
            rx.vstack(
                rx.heading(t(words.pages.CONNECTED_APPS), size="3", as_="h3"),
                rx.foreach(SettingsState.apps, _app_row),
                spacing="2",
                width="100%",
            ),
        ),
        rx.link(t(words.pages.SECURITY_ACTIVITY), href="/activity", size="2"),
        spacing="3",
        width="100%",
    )


def delete_account_block() -> rx.Component:
    """The danger zone's last action: deleting the account (the steps say what goes)."""
    return rx.vstack(
        rx.heading(t(words.pages.DELETE_ACCOUNT), size="3", as_="h3"),
        rx.button(
            t(words.pages.DELETE_MY_ACCOUNT),
            on_click=WizardState.start(Operation.DELETE_ACCOUNT),
            variant="soft",
            color_scheme="red",
        ),
        spacing="3",
        width="100%",
    )
