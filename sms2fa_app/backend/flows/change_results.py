"""The results of a factor change (flows/factor_changes.py, flows/sms_enrollment.py): typed, never words."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.passkeys import PasskeyProblem
from sms2fa_app.backend.factors.results import VerifyResult
from sms2fa_app.backend.identity.passwords import PasswordProblem
from sms2fa_app.backend.identity.sessions import IssuedSession


class FactorChange(enum.Enum):
    """How a factor operation (or one of its steps) ended."""

    DONE = "done"
    REAUTH_REQUIRED = "reauth_required"  # no live grant for this operation in this session
    NOT_ALLOWED = "not_allowed"  # the operation does not fit the account's factors
    NO_PROOF = "no_proof"  # no proof that this session verified a code sent to this number
    PHONE_TAKEN = "phone_taken"
    CODE_REJECTED = "code_rejected"  # see `verify`
    PASSWORD_REFUSED = "password_refused"  # see `password_problem`
    PASSKEY_REJECTED = "passkey_rejected"  # see `passkey_problem`


@dataclass(frozen=True)
class ChangeResult:
    """The outcome; after DONE, this session's new token and anything to show once."""

    status: FactorChange
    issued: IssuedSession | None = None
    recovery_codes: tuple[str, ...] = ()
    verify: VerifyResult | None = None
    operation: Operation | None = None
    password_problem: PasswordProblem | None = None
    passkey_problem: PasskeyProblem | None = None

    @property
    def done(self) -> bool:
        """True when the step or operation succeeded."""
        return self.status is FactorChange.DONE


class Abort(Exception):
    """Roll the change's transaction back with this result."""

    def __init__(self, result: ChangeResult):
        super().__init__(result.status.value)
        self.result = result
