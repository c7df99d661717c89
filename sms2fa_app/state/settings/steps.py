"""The settings wizard's steps, and which of them each operation goes through (numbered on the page)."""

from __future__ import annotations

import enum

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor


class Step(enum.StrEnum):
    """Where the settings page is."""

    STATUS = "status"  # the factors as they are, no wizard open
    REAUTH_PASSWORD = "reauth_password"
    REAUTH_CODE = "reauth_code"
    PHONE = "phone"  # the new number
    CODE = "code"  # the code texted to the new number
    DONE = "done"  # 2FA just turned on (first recovery codes below)
    RECOVERY_CODES = "recovery_codes"  # a new set, shown once
    TOTP_SETUP = "totp_setup"  # scan, then a current code
    PASSKEY_SETUP = "passkey_setup"  # name it, then the browser creates it
    NEW_PASSWORD = "new_password"  # the new password, twice
    CONFIRM_DELETE = "confirm_delete"  # the last word before the account goes


# The steps after re-authentication that take input, per operation (a result screen is not a step).
_AFTER_REAUTH: dict[Operation, tuple[Step, ...]] = {
    Operation.ENABLE_SMS: (Step.PHONE, Step.CODE),
    Operation.CHANGE_NUMBER: (Step.PHONE, Step.CODE),
    Operation.ADD_TOTP: (Step.TOTP_SETUP,),
    Operation.ADD_PASSKEY: (Step.PASSKEY_SETUP,),
    Operation.CHANGE_PASSWORD: (Step.NEW_PASSWORD,),
    Operation.DELETE_ACCOUNT: (Step.CONFIRM_DELETE,),
}


def flow(operation: Operation, two_factor_on: bool, reauth: Factor) -> tuple[Step, ...]:
    """Every step of `operation`'s wizard, the password included: a texted code is a step of its own; an app
    or recovery code goes with the password, and a passkey is asked of the browser right after it."""
    texted = two_factor_on and reauth is Factor.SMS
    reauth_steps = (Step.REAUTH_PASSWORD, Step.REAUTH_CODE) if texted else (Step.REAUTH_PASSWORD,)
    return reauth_steps + _AFTER_REAUTH.get(operation, ())


def step_number(operation: Operation, two_factor_on: bool, reauth: Factor, step: Step) -> tuple[int, int] | None:
    """(number, total) of `step` in its flow; None for a result screen or a one-step flow."""
    steps = flow(operation, two_factor_on, reauth)
    if step not in steps or len(steps) < 2:
        return None
    return steps.index(step) + 1, len(steps)
