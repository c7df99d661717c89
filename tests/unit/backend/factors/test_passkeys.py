"""Passkeys: registration and assertions through py_webauthn, single-use challenges bound to a session,
the relying party's origin and id, sign counts, and credentials of other users."""

from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import select
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from sms2fa_app.backend.factors.passkey_challenges import PASSKEY_CHALLENGE_SECONDS, Ceremony, Challenge
from sms2fa_app.backend.factors.passkeys import (
    MAX_PASSKEYS_PER_USER,
    PasskeyProblem,
    passkey_name,
)
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import Passkey
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user, register_passkey
from tests.support.soft_authenticator import SoftAuthenticator

PHONE = "+16502531212"
OTHER_PHONE = "+14155552671"
SESSION = 10
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


@pytest.fixture
def ada(services: Services) -> int:
    return create_user(services, phone=PHONE).id or 0


def register(services: Services, user_id: int, response: str, name: str = "Laptop", session_id: int = SESSION):
    with services.database.session() as db:
        return services.passkeys.register(user_id, session_id, response, name, CHROME, db=db)


def verify(services: Services, authenticator: SoftAuthenticator, user_id: int, **answer) -> VerifyResult:
    options = services.passkeys.authentication_options(user_id, SESSION)
    assert options is not None
    return services.passkeys.verify(user_id, SESSION, authenticator.get(options, **answer))


def stored(services: Services, passkey_id: int) -> Passkey:
    with services.database.session() as db:
        row = db.get(Passkey, passkey_id)
        assert row is not None
        return row


# ---- registration ----------------------------------------------------------------------------------


def test_a_registered_passkey_keeps_its_key_count_transports_backup_state_and_name(
    services: Services, authenticator: SoftAuthenticator, ada: int, clock: FakeClock
) -> None:
    authenticator.backup_eligible = True
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    added = register(services, ada, authenticator.create(options), name="  Work   laptop ")
    assert not isinstance(added, PasskeyProblem)
    row = stored(services, added.passkey_id)
    assert row.user_id == ada and row.name == "Work laptop" and row.sign_count == 0
    assert row.transports == "internal" and row.backup_eligible and row.discoverable is True
    assert row.public_key and row.credential_id == bytes_to_base64url(authenticator.credentials[-1].credential_id)
    assert row.created_at == clock.now() and row.last_used_at is None
    assert services.passkeys.list(ada)[0].synced


def test_registration_requires_user_verification_and_the_options_say_so(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    assert '"userVerification": "required"' in options and '"credProps": true' in options
    assert register(services, ada, authenticator.create(options, user_verified=False)) is PasskeyProblem.REFUSED
    assert services.passkeys.count(ada) == 0


@pytest.mark.parametrize(
    "answer",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://localhost:3001"},
        {"rp_id": "evil.example"},
        {"challenge": b"\x00" * 64},
    ],
    ids=["phishing-origin", "other-port", "other-rp-id", "other-challenge"],
)
def test_a_registration_for_another_origin_rp_id_or_challenge_is_refused_and_logged(
    services: Services, authenticator: SoftAuthenticator, ada: int, answer: dict, caplog: pytest.LogCaptureFixture
) -> None:
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    with caplog.at_level(logging.WARNING, logger="sms2fa.passkeys"):
        assert register(services, ada, authenticator.create(options, **answer)) is PasskeyProblem.REFUSED
    assert "event=passkey_refused" in caplog.text and "ceremony=register" in caplog.text
    assert services.passkeys.count(ada) == 0


def test_a_registration_challenge_works_once_for_its_own_session_and_expires(
    services: Services, authenticator: SoftAuthenticator, ada: int, clock: FakeClock
) -> None:
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    response = authenticator.create(options)
    assert register(services, ada, response, session_id=SESSION + 1) is PasskeyProblem.EXPIRED  # not its session
    assert not isinstance(register(services, ada, response), PasskeyProblem)
    assert register(services, ada, response) is PasskeyProblem.EXPIRED  # used
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    clock.advance(PASSKEY_CHALLENGE_SECONDS)
    assert register(services, ada, authenticator.create(options)) is PasskeyProblem.EXPIRED  # timed out
    assert services.passkeys.count(ada) == 1


def test_the_same_credential_twice_too_many_or_a_bad_name_is_refused(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    response = authenticator.create(options)
    assert not isinstance(register(services, ada, response), PasskeyProblem)
    services.passkeys._challenges.issue(Ceremony.REGISTER, f"{ada}:{SESSION}", _challenge_of(response))
    assert register(services, ada, response) is PasskeyProblem.DUPLICATE
    assert register(services, ada, "{not json") is PasskeyProblem.MALFORMED
    assert register(services, ada, "x" * 20_000) is PasskeyProblem.MALFORMED
    assert register(services, ada, authenticator.create(options), name="\x00bell") is PasskeyProblem.NAME_INVALID
    for _ in range(MAX_PASSKEYS_PER_USER - 1):
        register_passkey(services, ada, authenticator, session_id=SESSION)
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    assert register(services, ada, authenticator.create(options)) is PasskeyProblem.TOO_MANY


def test_names_are_trimmed_printable_and_bounded() -> None:
    assert passkey_name("  a  b ") == "a b"
    assert passkey_name("x" * 64) == "x" * 64
    assert passkey_name("x" * 65) is None and passkey_name("") is None and passkey_name("tab\there") == "tab here"


def test_a_blank_name_becomes_the_browser_label(services: Services, authenticator: SoftAuthenticator, ada: int) -> None:
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    added = register(services, ada, authenticator.create(options, resident_key=False), name="  ")
    assert not isinstance(added, PasskeyProblem) and added.name == "Chrome on Linux"
    assert added.discoverable is False  # the browser said it is no resident key: no one-step sign-in with it


def test_a_users_passkeys_share_one_user_handle_and_exclude_each_other(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    first = register_passkey(services, ada, authenticator)
    options = services.passkeys.registration_options(ada, SESSION, "ada@example.com")
    assert bytes_to_base64url(authenticator.credentials[-1].credential_id) in options  # excluded: made already
    second = register_passkey(services, ada, SoftAuthenticator(services.settings.passkey_origin))
    assert stored(services, first).user_handle == stored(services, second).user_handle


# ---- the second factor ----------------------------------------------------------------------------


def test_a_passkey_verifies_and_records_its_count_and_use(
    services: Services, authenticator: SoftAuthenticator, ada: int, clock: FakeClock
) -> None:
    passkey_id = register_passkey(services, ada, authenticator)
    clock.advance(100)
    assert verify(services, authenticator, ada).ok
    row = stored(services, passkey_id)
    assert row.sign_count == 1 and row.last_used_at == clock.now()
    assert services.accounts.get(ada).preferred_factor == "passkey"


def test_options_name_only_the_users_own_passkeys(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    assert services.passkeys.authentication_options(ada, SESSION) is None  # none yet
    register_passkey(services, ada, authenticator)
    options = services.passkeys.authentication_options(ada, SESSION)
    assert options is not None and '"userVerification": "required"' in options
    assert bytes_to_base64url(authenticator.credentials[-1].credential_id) in options


def test_a_verify_challenge_is_single_use_and_expires_without_counting_a_guess(
    services: Services, authenticator: SoftAuthenticator, ada: int, clock: FakeClock
) -> None:
    register_passkey(services, ada, authenticator)
    options = services.passkeys.authentication_options(ada, SESSION)
    assert options is not None
    response = authenticator.get(options)
    assert services.passkeys.verify(ada, SESSION, response).ok
    replay = services.passkeys.verify(ada, SESSION, response)
    assert replay.status is VerifyStatus.EXPIRED  # the challenge is gone: no guess
    options = services.passkeys.authentication_options(ada, SESSION)
    assert options is not None
    late = authenticator.get(options)
    clock.advance(PASSKEY_CHALLENGE_SECONDS)
    assert services.passkeys.verify(ada, SESSION, late).status is VerifyStatus.EXPIRED
    options = services.passkeys.authentication_options(ada, SESSION)
    assert options is not None
    assert services.passkeys.verify(ada, SESSION + 1, authenticator.get(options)).status is VerifyStatus.EXPIRED
    assert services.redis.hget("otp:fail:1", "n") is None


@pytest.mark.parametrize(
    "answer",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"challenge": b"\x01" * 64},
        {"user_verified": False},
        {"tamper": True},
        {"user_handle": b"someone else"},
    ],
    ids=["phishing-origin", "other-rp-id", "other-challenge", "no-user-verification", "bad-signature", "handle"],
)
def test_a_wrong_assertion_is_a_wrong_guess_and_logged(
    services: Services, authenticator: SoftAuthenticator, ada: int, answer: dict, caplog: pytest.LogCaptureFixture
) -> None:
    register_passkey(services, ada, authenticator)
    with caplog.at_level(logging.WARNING, logger="sms2fa.passkeys"):
        assert verify(services, authenticator, ada, **answer).status is VerifyStatus.WRONG
    assert "event=passkey_refused" in caplog.text
    assert services.redis.hget("otp:fail:1", "n") == "1"


def test_a_sign_count_that_goes_backwards_is_refused_and_logged(
    services: Services, authenticator: SoftAuthenticator, ada: int, caplog: pytest.LogCaptureFixture
) -> None:
    passkey_id = register_passkey(services, ada, authenticator)
    assert verify(services, authenticator, ada, sign_count=5).ok
    with caplog.at_level(logging.WARNING, logger="sms2fa.passkeys"):
        assert verify(services, authenticator, ada, sign_count=5).status is VerifyStatus.WRONG  # not greater
        assert verify(services, authenticator, ada, sign_count=3).status is VerifyStatus.WRONG  # a cloned key
    assert caplog.text.count("event=passkey_sign_count_regressed") == 2
    assert "stored=5 received=3" in caplog.text
    assert stored(services, passkey_id).sign_count == 5
    assert verify(services, authenticator, ada, sign_count=6).ok


def test_an_authenticator_without_a_counter_always_sends_zero(services: Services, ada: int) -> None:
    authenticator = SoftAuthenticator(services.settings.passkey_origin, counting=False)
    register_passkey(services, ada, authenticator)
    assert verify(services, authenticator, ada).ok and verify(services, authenticator, ada).ok


def test_a_passkey_of_another_user_or_an_unknown_one_is_refused(
    services: Services, authenticator: SoftAuthenticator, ada: int, caplog: pytest.LogCaptureFixture
) -> None:
    register_passkey(services, ada, authenticator)
    bob = create_user(services, "bob@example.com", phone=OTHER_PHONE).id or 0
    bobs = SoftAuthenticator(services.settings.passkey_origin)
    register_passkey(services, bob, bobs)
    stranger = SoftAuthenticator(services.settings.passkey_origin)
    stranger.create(services.passkeys.registration_options(ada, SESSION + 5, "x@example.com"))  # never registered
    with caplog.at_level(logging.WARNING, logger="sms2fa.passkeys"):
        assert verify(services, bobs, ada).status is VerifyStatus.WRONG  # bob's key answering ada's challenge
        assert verify(services, stranger, ada).status is VerifyStatus.WRONG
    assert "reason=credential_of_another_user" in caplog.text and "reason=unknown_credential" in caplog.text
    assert services.redis.hget("otp:fail:1", "n") == "2"


def test_malformed_json_is_no_try(services: Services, authenticator: SoftAuthenticator, ada: int) -> None:
    register_passkey(services, ada, authenticator)
    for junk in ("", "null", "[]", '{"id": 1}', "x" * 20_000):
        assert services.passkeys.verify(ada, SESSION, junk).status is VerifyStatus.MALFORMED
    assert services.redis.hget("otp:fail:1", "n") is None


# ---- management ---------------------------------------------------------------------------------


def test_rename_touches_only_the_users_own_passkey(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    mine = register_passkey(services, ada, authenticator)
    bob = create_user(services, "bob@example.com", phone=OTHER_PHONE).id or 0
    bobs = register_passkey(services, bob, SoftAuthenticator(services.settings.passkey_origin), name="Bob's")
    assert services.passkeys.rename(ada, mine, " Phone ")
    assert not services.passkeys.rename(ada, bobs, "Mine now")
    assert not services.passkeys.rename(ada, mine, "x" * 65)
    assert [p.name for p in services.passkeys.list(ada)] == ["Phone"]
    assert [p.name for p in services.passkeys.list(bob)] == ["Bob's"]


def test_removing_the_last_passkey_gives_the_preference_back_to_sms(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    first = register_passkey(services, ada, authenticator)
    second = register_passkey(services, ada, SoftAuthenticator(services.settings.passkey_origin))
    assert verify(services, authenticator, ada).ok
    with services.database.session() as db:
        assert services.passkeys.remove(ada, first, db=db)
    assert services.accounts.get(ada).preferred_factor == "passkey"
    with services.database.session() as db:
        assert not services.passkeys.remove(ada, first, db=db)  # gone already
        assert services.passkeys.remove(ada, second, db=db)
    user = services.accounts.get(ada)
    assert user.preferred_factor == "sms" and user.is_two_factor_enabled and user.phone_number == PHONE
    with services.database.session() as db:
        assert db.exec(select(Passkey)).all() == []


def _challenge_of(response: str) -> Challenge:
    """The challenge a registration response answered (to put it back in Redis for a replay test)."""
    client_data = json.loads(base64url_to_bytes(json.loads(response)["response"]["clientDataJSON"]))
    return Challenge(base64url_to_bytes(client_data["challenge"]), "")
