"""Form parts: labelled fields with their error, form-level errors, submit buttons.

A field in error is marked for assistive technology (aria-invalid, aria-describedby naming its message), and the
first such field of the form gets the focus when the errors appear. Editing the field hides its error and marks it
valid until the next answer; pressing the form's submit button shows the server's answer again. The submit button
turns off the browser's own validation (formnovalidate, which also covers Enter), so only the app's messages show.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.components.language import shown
from sms2fa_app.state import words
from sms2fa_app.state.words.catalogue import Text

# The field's error in (or out of) its aria-describedby: a hidden, stale error must not describe the field.
_DESCRIBE = """
const describe = (input, error, on) => {
  const ids = (input.getAttribute("aria-describedby") || "").split(/\\s+/).filter((id) => id && id !== error);
  if (on) { ids.push(error); }
  input.setAttribute("aria-describedby", ids.join(" "));
};
"""
# On edit: hide the field's error (the CSS of the field's wrapper), mark its input valid, unlink the error.
_EDITED = (
    _DESCRIBE
    + """
const input = document.getElementById(%(input)s);
const field = input && input.closest("[data-field]");
if (field && input.getAttribute("aria-invalid") === "true") {
  field.setAttribute("data-edited", "");
  input.setAttribute("aria-invalid", "false");
  describe(input, %(input)s + "-error", false);
}
"""
)
# A new error: shown, marked and linked again, and the focus goes to the form's first invalid field.
_SHOWN = (
    _DESCRIBE
    + """
const input = document.getElementById(%(input)s);
const field = input && input.closest("[data-field]");
if (field) {
  field.removeAttribute("data-edited");
  input.setAttribute("aria-invalid", "true");
  describe(input, %(input)s + "-error", true);
}
const first = (input && input.form && input.form.querySelector('[aria-invalid="true"]')) || input;
if (first && document.activeElement !== first) { first.focus(); }
"""
)
# A submit: every edited field shows what the server says about it again.
_SUBMITTING = (
    _DESCRIBE
    + """
for (const field of document.querySelectorAll("[data-field][data-edited]")) {
  field.removeAttribute("data-edited");
  const error = field.querySelector(".field-error");
  const input = field.querySelector("input");
  if (input && error && error.textContent) {
    input.setAttribute("aria-invalid", "true");
    describe(input, error.id, true);
  }
}
"""
)
# A field in error has a red border as well as its red message (not color alone, not the message alone).
_FIELD_STYLE = {
    "&[data-edited] .field-error": {"display": "none"},
    "& .rt-TextFieldRoot:has(input[aria-invalid='true'])": {
        "box-shadow": "inset 0 0 0 1px var(--red-9)",
        "--text-field-focus-color": "var(--red-9)",
    },
}


def error_id(field_id: str) -> str:
    """The id of a field's error message."""
    return f"{field_id}-error"


def field_error(message: rx.Var[str] | str, field_id: str, said: rx.Var[str] | str = "") -> rx.Component:
    """An error shown under its field and announced to screen readers (always in the page, empty without an
    error, so that the field's aria-describedby names an element that exists); `said` is its catalogue id."""
    return rx.text(
        message,
        id=error_id(field_id),
        class_name="field-error",
        color_scheme="red",
        size="2",
        role="alert",
        display=rx.cond(message != "", "block", "none"),
        custom_attrs={"data-message-id": said},
    )


def _call(body: str, field_id: str) -> Any:
    return run_in_browser(body % {"input": json.dumps(field_id)})


def _when_shown(error: rx.Var[str], field_id: str) -> rx.Component:
    """Invisible: runs _SHOWN for each new error of the field."""
    return rx.cond(error != "", rx.box(key=error, on_mount=_call(_SHOWN, field_id), display="none"))


def labeled_input(
    label: str | Text,
    name: str,
    *,
    error: rx.Var[str] | str = "",
    error_said: rx.Var[str] | str = "",
    type_: str = "text",
    autocomplete: str = "off",
    described_by: tuple[str, ...] = (),
    **props: Any,
) -> rx.Component:
    """A visible label bound to its input, with the input's error below it. The input's accessible description is
    `described_by` (the ids of a rule, a hint) and, while there is one, the error."""
    field_id = f"field-{name}"
    checked = isinstance(error, rx.Var)
    described = " ".join(described_by)
    if checked:
        on_change = props.pop("on_change", None)
        props["on_change"] = [*([on_change] if on_change is not None else []), _call(_EDITED, field_id)]
        props["aria_invalid"] = rx.cond(error != "", "true", "false")
        props["aria_describedby"] = rx.cond(error != "", f"{described} {error_id(field_id)}".strip(), described)
    elif described:
        props["aria_describedby"] = described
    return rx.vstack(
        rx.el.label(shown(label), html_for=field_id, style={"font-weight": "500", "font-size": "14px"}),
        rx.input(
            id=field_id,
            name=name,
            type=type_,
            auto_complete=autocomplete,
            width="100%",
            size="3",
            **props,
        ),
        *([field_error(error, field_id, error_said)] if checked else []),
        *([_when_shown(error, field_id)] if checked else []),
        spacing="1",
        width="100%",
        data_field=name,
        style=_FIELD_STYLE,
    )


def said_callout(message: rx.Var[str], said: rx.Var[str] | str, **props: Any) -> rx.Component:
    """A callout showing `message` while there is one; `said` is its catalogue id (state/said.py), put in a
    data-message-id attribute so browser tests assert which message shows, not its English."""
    return rx.cond(message != "", rx.callout(message, custom_attrs={"data-message-id": said}, **props))


def form_error(message: rx.Var[str], said: rx.Var[str] | str = "") -> rx.Component:
    """A message about the whole form, above its button."""
    return said_callout(message, said, icon="triangle_alert", color_scheme="red", role="alert", width="100%")


def submit_button(label: str | Text, loading: rx.Var[bool] | bool) -> rx.Component:
    """The form's main button, with a loading state that also blocks double submits."""
    return rx.button(
        shown(label),
        type="submit",
        loading=loading,
        disabled=loading,
        size="3",
        width="100%",
        form_no_validate=True,
        on_click=run_in_browser(_SUBMITTING),
    )


def new_password_fields(
    state: Any,
    *,
    label: str | Text = words.pages.PASSWORD,
    confirm_label: str | Text = words.pages.CONFIRM_PASSWORD,
    password_error: rx.Var[str] | str = "",
    confirm_error: rx.Var[str] | str = "",
    said: tuple[rx.Var[str] | str, rx.Var[str] | str] = ("", ""),
    auto_focus: bool = False,
    rule: str | Text = "",
) -> rx.Component:
    """A new password and its confirmation; `rule` (the length rule) shows under the field before anything is
    typed; what is typed is rated on the server (`state.rate_password`, debounced) and the strength hint shows
    under it. The password itself is never kept in a state."""
    rule_id, hint_id = "field-password-rule", "field-password-hint"
    password = labeled_input(
        label,
        "password",
        error=password_error,
        error_said=said[0],
        type_="password",
        autocomplete="new-password",
        on_change=state.rate_password.debounce(300),
        auto_focus=auto_focus,
        described_by=(rule_id, hint_id) if rule else (hint_id,),
    )
    return rx.vstack(
        rx.vstack(password, rx.text(shown(rule), id=rule_id, size="1", color_scheme="gray"), spacing="1", width="100%")
        if rule
        else password,
        # Always in the page (empty until something is typed): the field names it, and a live region added with
        # its text would not be announced.
        rx.text(
            state.password_hint,
            id=hint_id,
            size="2",
            color_scheme="gray",
            aria_live="polite",
        ),
        labeled_input(
            confirm_label,
            "confirm_password",
            error=confirm_error,
            error_said=said[1],
            type_="password",
            autocomplete="new-password",
        ),
        spacing="3",
        width="100%",
    )
