"""How strongly a session is signed in: the one value page guards, handler guards, re-authentication and (next)
forward-auth rules and OpenID `acr`/`amr` claims all read.

A session carries an `Assurance`: the level it counts for, and each method presented in it (RFC 8176 `amr` values)
with when it was last presented, so `auth_time` (the OpenID claim: when the last factor was presented) and `amr` are
read from it. A session waiting for its second factor counts for no level yet (its `amr` says the password was
given). Re-authentication presents methods again in the same session, so "a factor within N seconds" is
`presented_within` on the same value. Stored on the login session row (models.LoginSession: level, auth_time, amr).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.StrEnum):
    """The sign-in level a session counts for (values are stored)."""

    NONE = "none"  # nothing complete yet: a password that waits for its second factor
    PASSWORD = "password"  # signed in by the password alone (an account without 2FA)
    TWO_FACTOR = "two_factor"  # signed in with two factors (or a passkey that verified its user)

    @property
    def rank(self) -> int:
        """Its order: NONE < PASSWORD < TWO_FACTOR."""
        return _RANKS[self]


_RANKS = {Level.NONE: 0, Level.PASSWORD: 1, Level.TWO_FACTOR: 2}


class Amr(enum.StrEnum):
    """Authentication methods, as RFC 8176 names them (values are stored and become the OpenID `amr` claim)."""

    PWD = "pwd"  # the password
    SMS = "sms"  # a code sent by text (or read out by a call to the same number)
    OTP = "otp"  # a one-time password: the authenticator app's code, or a single-use recovery code
    HWK = "hwk"  # proof of possession of a hardware-secured key: a passkey
    SWK = "swk"  # proof of possession of a software-secured key: a remembered device's token
    USER = "user"  # user presence and verification (a passkey's user verification)
    MFA = "mfa"  # several factors


BY_PASSWORD: tuple[Amr, ...] = (Amr.PWD,)  # what the password step presents

# The kind of factor each method proves (knowledge, possession, inherence): two kinds make multi-factor.
_KINDS = {
    Amr.PWD: "knows",
    Amr.SMS: "has",
    Amr.OTP: "has",
    Amr.HWK: "has",
    Amr.SWK: "has",
    Amr.USER: "is",
}


_SECOND_KINDS = frozenset({"has", "is"})  # what a second factor proves, beside the password's "knows"


def _normalized(methods: tuple[Amr, ...] | list[Amr] | set[Amr]) -> tuple[Amr, ...]:
    """The methods once each, in a stable order, with MFA when they prove two kinds of factor."""
    plain = {method for method in methods if method is not Amr.MFA}
    if len({_KINDS[method] for method in plain}) >= 2:
        plain.add(Amr.MFA)
    return tuple(method for method in Amr if method in plain)


# Each method once (never MFA) with when it was last presented, in the order of presentation: "a second factor after
# this password" is read from the order, which a clock's equal readings cannot blur.
Presented = tuple[tuple[Amr, float], ...]


def _merged(presented: Presented, methods: tuple[Amr, ...], at: float) -> Presented:
    """`presented` with `methods` presented again at `at`: they move to the end, in the order given."""
    fresh = tuple(dict.fromkeys(method for method in methods if method is not Amr.MFA))
    return tuple(pair for pair in presented if pair[0] not in fresh) + tuple((method, at) for method in fresh)


@dataclass(frozen=True)
class Assurance:
    """The level a session counts for, and each method presented in it with when it was last presented."""

    level: Level = Level.NONE
    presented: Presented = ()

    @classmethod
    def first(cls, methods: tuple[Amr, ...], at: float, *, complete: bool) -> Assurance:
        """A new session's sign-in by `methods` at `at`: complete (every factor the account needs), or waiting."""
        return cls(Level.NONE, ()).adding(methods, at, complete=complete)

    def adding(self, methods: tuple[Amr, ...], at: float, *, complete: bool = True) -> Assurance:
        """The sign-in continued by `methods` at `at` (the second factor after the password)."""
        presented = _merged(self.presented, methods, at)
        if not complete:
            return Assurance(Level.NONE, presented)
        multi = Amr.MFA in _normalized([method for method, _at in presented])
        return Assurance(Level.TWO_FACTOR if multi else Level.PASSWORD, presented)

    def reauthenticated(self, methods: tuple[Amr, ...], at: float) -> Assurance:
        """`methods` presented again at `at` by a signed-in session (re-authentication): its level stays."""
        return Assurance(self.level, _merged(self.presented, methods, at))

    @property
    def auth_time(self) -> float:
        """When the last factor was presented (the OpenID claim; 0 before any)."""
        return max((at for _method, at in self.presented), default=0.0)

    @property
    def amr(self) -> tuple[Amr, ...]:
        """The methods presented in this session (RFC 8176), with MFA when they prove two kinds of factor."""
        return _normalized([method for method, _at in self.presented])

    @property
    def second_factor_at(self) -> float | None:
        """When a second factor (a method of the "has" or "is" kind) was last presented (None: never): the time a
        step-up rule reads, which a password typed again alone must not move."""
        return max((at for method, at in self.presented if _KINDS[method] in _SECOND_KINDS), default=None)

    @property
    def password_at(self) -> float | None:
        """When the password was last presented in this session (None: never)."""
        return dict(self.presented).get(Amr.PWD)

    @property
    def signed_in(self) -> bool:
        """True once every factor the account needs was presented."""
        return self.level is not Level.NONE

    @property
    def awaiting_second_factor(self) -> bool:
        """True while the password was given and the second factor is still to come."""
        return self.level is Level.NONE and Amr.PWD in self.amr

    def at_least(self, level: Level) -> bool:
        """Whether the session counts for `level` or more."""
        return self.level.rank >= level.rank

    def presented_within(self, now: float, seconds: float, *, two_factor: bool) -> bool:
        """Whether the password was presented less than `seconds` ago and, with `two_factor`, a second factor after
        it (a factor presented before that password, such as the sign-in's, does not count)."""
        methods = [method for method, _at in self.presented]
        if Amr.PWD not in methods or now - dict(self.presented)[Amr.PWD] >= seconds:
            return False
        after = methods[methods.index(Amr.PWD) + 1 :]
        return not two_factor or any(_KINDS[method] in _SECOND_KINDS for method in after)

    def stored(self) -> tuple[str, float, str]:
        """(level, auth_time, amr) as the session row stores them: amr as "method=time" pairs."""
        pairs = " ".join(f"{method.value}={at!r}" for method, at in self.presented)
        return self.level.value, self.auth_time, pairs

    @classmethod
    def from_stored(cls, level: str, auth_time: float, amr: str) -> Assurance:
        """The value a session row stores (a method without its time was presented at auth_time; an unknown name
        counts for nothing)."""
        known = {method.value for method in Amr if method is not Amr.MFA}
        presented: Presented = ()
        for pair in amr.split():
            name, _, at = pair.partition("=")
            if name in known:
                presented = _merged(presented, (Amr(name),), float(at) if at else float(auth_time))
        stored_level = Level(level) if level in {member.value for member in Level} else Level.NONE
        return cls(stored_level, presented)
