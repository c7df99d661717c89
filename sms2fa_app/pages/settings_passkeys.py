"""Settings, passkeys: the list under the Passkeys row (name, dates, Rename and Remove) and the setup step."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.browser_calls import passkey_ceremony
from sms2fa_app.components.forms import form_error, labeled_input, submit_button
from sms2fa_app.components.language import t
from sms2fa_app.pages.settings_account import action_heading, nav_buttons
from sms2fa_app.state import words
from sms2fa_app.state.settings import PasskeySetupState, SettingsState


def _rename_form(passkey: rx.Var) -> rx.Component:
    """The name field that replaces a passkey's line while it is renamed."""
    return rx.form(
        rx.vstack(
            labeled_input("New name for " + passkey["name"], "name", default_value=passkey["name"], auto_focus=True),
            form_error(SettingsState.error, SettingsState.error_id),
            rx.hstack(
                rx.button(t(words.pages.SAVE_NAME), type="submit", size="2"),
                rx.button(
                    t(words.pages.CANCEL),
                    type="button",
                    variant="ghost",
                    size="2",
                    on_click=PasskeySetupState.cancel_rename,
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=PasskeySetupState.rename_passkey,
        width="100%",
    )


def _passkey(passkey: rx.Var) -> rx.Component:
    """One passkey: its name and dates, Rename and Remove (or the name field while renaming)."""
    return rx.el.li(
        rx.cond(
            PasskeySetupState.renaming == passkey["id"],
            _rename_form(passkey),
            rx.hstack(
                rx.text(rx.text.strong(passkey["name"]), " · ", passkey["times"], size="2"),
                rx.button(
                    t(words.pages.RENAME),
                    aria_label="Rename " + passkey["name"],
                    on_click=PasskeySetupState.start_rename(passkey["id"]),
                    variant="soft",
                    size="2",  # 32 px high: a target of at least 24x24 px (WCAG 2.2, 2.5.8)
                ),
                rx.button(
                    t(words.pages.REMOVE),
                    aria_label="Remove " + passkey["name"],
                    on_click=PasskeySetupState.start_remove(passkey["id"]),
                    variant="soft",
                    size="2",
                    color_scheme="red",
                ),
                align="center",
                wrap="wrap",
            ),
        ),
        data_testid="passkey",
    )


def passkey_list() -> rx.Component:
    """The Passkeys row's detail: each passkey (offered first at sign-in; texts stay the backup), or what one is."""
    return rx.cond(
        SettingsState.passkeys.length() > 0,
        rx.vstack(
            rx.el.ul(
                rx.foreach(SettingsState.passkeys, _passkey),
                style={"list-style": "none", "padding": "0", "margin": "0", "width": "100%"},
            ),
            rx.text(words.settings.PASSKEYS_FIRST, size="1", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
        rx.text(words.settings.PASSKEYS_NONE, size="1", color_scheme="gray"),
    )


def passkey_setup() -> rx.Component:
    """The setup step: a name, then the browser's passkey ceremony."""
    return rx.form(
        rx.vstack(
            action_heading(),
            rx.text(t(words.pages.PASSKEY_SETUP_HINT), size="2"),
            labeled_input(
                words.pages.PASSKEY_NAME, "name", placeholder=t(words.pages.PASSKEY_NAME_EXAMPLE), auto_focus=True
            ),
            form_error(SettingsState.error, SettingsState.error_id),
            # Busy while the browser creates it: the button and Enter in the field (implicit submission skips a
            # disabled button) cannot ask for a second creation.
            submit_button(words.pages.CREATE_PASSKEY, SettingsState.busy | (PasskeySetupState.passkey_creation != "")),
            passkey_ceremony(PasskeySetupState.passkey_creation, PasskeySetupState.finish_passkey),
            nav_buttons(),
            spacing="3",
            width="100%",
        ),
        on_submit=PasskeySetupState.create_passkey,
        width="100%",
    )
