"""Settings: one row per two-factor method (name, status, last used, action), the remembered devices, the new
recovery codes (copy, download, "I saved these codes") and the authenticator's QR code and key."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.channel import channel_choice
from sms2fa_app.components.confirm import ask_first
from sms2fa_app.components.copy import copy_button
from sms2fa_app.components.focus import focus_element, focus_on_mount
from sms2fa_app.components.language import t, t_count
from sms2fa_app.pages.settings_passkeys import passkey_list
from sms2fa_app.state import words
from sms2fa_app.state.settings import (
    CodeChannelState,
    Operation,
    RecoveryCodesState,
    SettingsState,
    TotpSetupState,
    WizardState,
)
from sms2fa_app.state.words.catalogue import Text


def method_row(
    name: Text, status: rx.Component, used: Any, action: rx.Component, detail: rx.Component | None = None
) -> rx.Component:
    """One method: its name and status, when it was last used, and its action on the right; `detail` (the
    passkeys) below them, in the same row."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.text(t(name), weight="medium"), status, align="center", wrap="wrap"),
                rx.text(used, size="1", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            action,
            align="center",
            width="100%",
        ),
        *([detail] if detail is not None else []),
        spacing="2",
        width="100%",
        padding_y="8px",
        border_bottom="1px solid var(--gray-a5)",
        data_testid="method-row",
    )


def _badge(on: Any, on_text: Any = None) -> rx.Component:
    return rx.cond(
        on,
        rx.badge(t(words.pages.ON) if on_text is None else on_text, color_scheme="green"),
        rx.badge(t(words.pages.OFF), color_scheme="gray"),
    )


def _action(word: Text, label: Text, operation: Operation, *, danger: bool = False) -> rx.Component:
    """The row's button: a short word shown (it fits at 375 px), the whole action as its accessible name, which
    starts with the word shown (WCAG 2.5.3, label in name)."""
    return rx.button(
        t(word),
        on_click=WizardState.start(operation),
        variant="soft",
        size="2",
        color_scheme="red" if danger else None,
        aria_label=t(label),
    )


def method_rows() -> rx.Component:
    """Text message, authenticator app, passkeys (each listed in its row) and recovery codes, as GitHub's 2FA
    settings list them."""
    last = SettingsState.last_used
    return rx.vstack(
        method_row(
            words.settings.METHOD_SMS,
            rx.badge(
                t(words.pages.ON), f" · {words.common.masked('')}", SettingsState.phone_ending, color_scheme="green"
            ),
            last["sms"],
            _action(words.pages.CHANGE, words.pages.CHANGE_PHONE_NUMBER, Operation.CHANGE_NUMBER),
            rx.cond(  # a text or WhatsApp, for the same number (a landline's spoken codes are not a choice)
                SettingsState.whatsapp_offered & (SettingsState.code_channel != "voice"),
                channel_choice(SettingsState.code_channel, CodeChannelState.choose_channel),
            ),
        ),
        method_row(
            words.settings.METHOD_TOTP,
            _badge(SettingsState.totp_enabled),
            last["totp"],
            rx.cond(
                SettingsState.totp_enabled,
                _action(words.pages.REMOVE, words.pages.REMOVE_AUTHENTICATOR, Operation.REMOVE_TOTP, danger=True),
                _action(words.pages.SET_UP, words.pages.SET_UP_AUTHENTICATOR, Operation.ADD_TOTP),
            ),
        ),
        method_row(
            words.settings.METHOD_PASSKEYS,
            _badge(
                SettingsState.passkeys.length() > 0,
                t_count(words.settings.PASSKEY_COUNT, SettingsState.passkeys.length()),
            ),
            last["passkey"],
            _action(words.pages.ADD, words.pages.ADD_A_PASSKEY, Operation.ADD_PASSKEY),
            passkey_list(),
        ),
        method_row(
            words.settings.METHOD_RECOVERY,
            rx.badge(t_count(words.settings.RECOVERY_LEFT, SettingsState.recovery_left), color_scheme="gray"),
            last["recovery"],
            _action(words.pages.REGENERATE, words.pages.REGENERATE_RECOVERY_CODES, Operation.REGENERATE_CODES),
        ),
        spacing="0",
        width="100%",
    )


def disable_button() -> rx.Component:
    """'Turn off two-factor authentication', which first says what the user loses."""
    return ask_first(
        SettingsState.confirming_disable,
        rx.button(
            t(words.pages.TURN_OFF_TWO_FACTOR),
            on_click=SettingsState.ask("disable"),
            variant="soft",
            color_scheme="red",
        ),
        words.settings.DISABLE_WARNING,
        rx.button(
            t(words.pages.CONTINUE_TO_TURN_OFF),
            on_click=WizardState.start(Operation.DISABLE),
            color_scheme="red",
            size="2",
        ),
        rx.button(t(words.pages.KEEP_IT_ON), on_click=SettingsState.ask(""), variant="outline", size="2"),
        color_scheme="red",
    )


def _device_row(device: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(device["label"], weight="medium", size="2"),
                rx.cond(device["current"] == "yes", rx.badge(t(words.pages.THIS_DEVICE), color_scheme="blue")),
                align="center",
            ),
            rx.text(device["times"], size="1"),
            spacing="1",
        ),
        rx.spacer(),
        rx.button(
            t(words.pages.FORGET),
            aria_label=device["forget"],
            on_click=[focus_element(DEVICES_HEADING), SettingsState.forget_device(device["id"])],
            variant="soft",
            size="1",
        ),
        align="center",
        width="100%",
    )


DEVICES_HEADING = "devices-heading"
MONOSPACE = {"font-family": "var(--code-font-family)", "letter-spacing": "0.05em", "overflow-wrap": "anywhere"}
PHONE_ONLY = ["block", "none"]  # shown below Reflex's sm breakpoint (30em): phones


def devices() -> rx.Component:
    """Remembered devices ("This device" marked), each with Forget; "Forget all" asks first. After a Forget the
    focus goes to the heading (the button is gone)."""
    return rx.cond(
        SettingsState.two_factor_enabled | (SettingsState.devices.length() > 0),
        rx.vstack(
            rx.heading(t(words.pages.REMEMBERED_DEVICES), size="3", as_="h3", id=DEVICES_HEADING, tab_index=-1),
            rx.cond(SettingsState.devices.length() == 0, rx.text(words.settings.NO_REMEMBERED_DEVICES, size="2")),
            rx.foreach(SettingsState.devices, _device_row),
            rx.cond(
                SettingsState.devices.length() == 0,
                rx.fragment(),
                ask_first(
                    SettingsState.confirming_forget_all,
                    rx.button(
                        t(words.pages.FORGET_ALL), on_click=SettingsState.ask("forget_all"), variant="soft", size="2"
                    ),
                    words.settings.FORGET_ALL_CONFIRM,
                    rx.button(
                        t(words.pages.FORGET_ALL_DEVICES),
                        on_click=[focus_element(DEVICES_HEADING), SettingsState.forget_all_devices],
                        size="2",
                    ),
                    rx.button(t(words.pages.CANCEL), on_click=SettingsState.ask(""), variant="outline", size="2"),
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


RECOVERY_HEADING = "recovery-codes-heading"


def recovery_codes(notice: rx.Component | None = None) -> rx.Component:
    """The new recovery codes, shown once: Copy, Download (a text file), and "I saved these codes". The focus goes
    to their heading (the step has no field), then `notice` (what was just done) is read."""
    state = RecoveryCodesState
    return rx.vstack(
        rx.heading(t(words.settings.RECOVERY_HEADING), size="3", as_="h2", id=RECOVERY_HEADING, tab_index=-1),
        focus_on_mount(RECOVERY_HEADING),
        *([notice] if notice is not None else []),
        rx.cond(
            state.replaced,
            rx.callout(t(words.settings.RECOVERY_OLD_VOID), icon="triangle_alert", color_scheme="orange", width="100%"),
        ),
        rx.text(t(words.settings.RECOVERY_SAVE), size="2"),
        rx.el.ul(  # plain monospace text: nothing here is a link or a button
            rx.foreach(state.new_recovery_codes, lambda code: rx.el.li(code, data_testid="recovery-code")),
            style={
                "columns": "2",
                "list-style": "none",
                "padding": "0",
                "margin": "0",
                "font-size": "16px",
                **MONOSPACE,
            },
        ),
        rx.hstack(
            rx.button(
                t(words.pages.DOWNLOAD),
                on_click=rx.download(data=state.recovery_download, filename=words.settings.RECOVERY_FILE_NAME),
                variant="soft",
                type="button",
            ),
            copy_button(
                t(words.pages.COPY),
                state.new_recovery_codes.join("\n"),
                state.mark_copied,
                state.copied,
                failed=state.copy_failed,
            ),
            align="center",
        ),
        rx.el.label(
            rx.hstack(
                rx.checkbox(
                    default_checked=False,
                    on_change=lambda checked: RecoveryCodesState.confirm_saved(rx.cond(checked, "yes", "")),
                    aria_labelledby="codes-saved-label",
                ),
                rx.text(t(words.settings.RECOVERY_SAVED_LABEL), id="codes-saved-label", size="2"),
                align="center",
            ),
        ),
        rx.button(t(words.pages.DONE), on_click=WizardState.cancel, disabled=~state.codes_saved),
        width="100%",
    )


def totp_setup_intro() -> rx.Component:
    """The QR code on a white tile with a quiet zone (it scans in dark mode too), and the key in groups of four."""
    return rx.vstack(
        rx.text(t(words.pages.SCAN_QR), size="2"),
        rx.box(
            rx.image(src=TotpSetupState.totp_qr, alt=t(words.pages.QR_CODE_ALT), width="200px", height="200px"),
            background_color="#ffffff",
            padding="16px",
            border_radius="8px",
            width="fit-content",
            data_testid="qr-tile",
        ),
        rx.text(t(words.pages.KEY), size="2", weight="medium", id="totp-key-label"),
        rx.text(
            TotpSetupState.totp_key_groups,
            aria_labelledby="totp-key-label",
            size="4",
            style=MONOSPACE,
            data_testid="totp-key",
        ),
        rx.link(  # a phone can't scan its own screen: its authenticator app opens the otpauth:// link instead
            t(words.pages.OPEN_IN_AUTHENTICATOR),
            href=TotpSetupState.totp_uri,
            display=PHONE_ONLY,
            size="3",
            underline="always",
            data_testid="otpauth-link",
        ),
        copy_button(
            t(words.pages.COPY_KEY),
            TotpSetupState.totp_secret,
            TotpSetupState.mark_key_copied,
            TotpSetupState.key_copied,
            failed=TotpSetupState.key_copy_failed,
        ),
        width="100%",
    )
