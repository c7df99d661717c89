"""Recovery codes: format and entropy, single use, regeneration, normalization, the shared lockout, no plaintext."""

from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from sms2fa_app.backend.factors.recovery import (
    RECOVERY_ALPHABET,
    RECOVERY_CODE_COUNT,
    RecoveryCodes,
    normalize_recovery_code,
)
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user, log_in
from tests.support.recording_gateway import RecordingGateway

PHONE = "+16502531212"
CODE_FORMAT = re.compile(rf"^[{RECOVERY_ALPHABET}]{{5}}-[{RECOVERY_ALPHABET}]{{5}}$")


def database_text(database: Database) -> str:
    """Every row of every table, as one string (to search for secrets that must not be stored)."""
    lines = []
    with database.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                lines.append(" ".join(str(value) for value in row))
    return "\n".join(lines)


def failures(services: Services, user_id: int) -> int:
    """The user's consecutive failed second-factor guesses (white-box, shared with SMS)."""
    return int(services.redis.hget(f"otp:fail:{user_id}", "n") or 0)


@pytest.fixture
def user_id(services: Services) -> int:
    user = create_user(services, phone=PHONE)
    assert user.id is not None
    return user.id


def test_a_set_is_ten_distinct_formatted_codes_of_at_least_40_bits(services: Services, user_id: int) -> None:
    codes = services.recovery.generate(user_id)
    assert len(codes) == RECOVERY_CODE_COUNT == 10
    assert len(set(codes)) == 10
    assert all(CODE_FORMAT.match(code) for code in codes), codes
    assert not set("0o1li") & set(RECOVERY_ALPHABET)
    assert 10 * math.log2(len(RECOVERY_ALPHABET)) >= 40
    assert services.recovery.remaining(user_id) == 10


def test_a_code_works_once(services: Services, user_id: int) -> None:
    codes = services.recovery.generate(user_id)
    assert services.recovery.redeem(user_id, codes[3]) == VerifyResult(VerifyStatus.OK)
    assert services.recovery.remaining(user_id) == 9
    assert services.recovery.redeem(user_id, codes[3]) == VerifyResult(VerifyStatus.ALREADY_USED)
    assert failures(services, user_id) == 0  # a spent code is refused, but it is no guess
    # a wrong code: 9 tries left before the lockout (threshold 10)
    assert services.recovery.redeem(user_id, "zzzzz-zzzzz") == VerifyResult(VerifyStatus.WRONG, attempts_left=9)
    assert failures(services, user_id) == 1
    assert services.recovery.remaining(user_id) == 9
    assert services.recovery.redeem(user_id, codes[4]).status is VerifyStatus.OK
    assert failures(services, user_id) == 0  # a success clears the count
    assert services.recovery.remaining(user_id) == 8


def test_input_is_normalized_for_case_spaces_and_dashes(services: Services, user_id: int) -> None:
    codes = services.recovery.generate(user_id)
    plain = codes[0].replace("-", "")
    assert services.recovery.redeem(user_id, f"  {codes[0].upper()} ").status is VerifyStatus.OK
    assert services.recovery.redeem(user_id, " ".join(codes[1])).status is VerifyStatus.OK
    assert services.recovery.redeem(user_id, codes[2].replace("-", "")).status is VerifyStatus.OK
    assert normalize_recovery_code(f"{plain[:3]}-{plain[3:7]} {plain[7:]}") == plain


@pytest.mark.parametrize(
    "raw",
    ["", "abcde", "abcde-fghjk-m", "abcde-fghj0", "abcde-fghjo", "abcde-fghj1", "abcde-fghjl", "abcde-fghji", "x" * 65],
)
def test_malformed_input_is_not_a_try(services: Services, user_id: int, raw: str) -> None:
    services.recovery.generate(user_id)
    assert services.recovery.redeem(user_id, raw) == VerifyResult(VerifyStatus.MALFORMED)
    assert failures(services, user_id) == 0


def test_non_text_is_malformed(services: Services, user_id: int) -> None:
    assert services.recovery.redeem(user_id, None) == VerifyResult(VerifyStatus.MALFORMED)  # type: ignore[arg-type]


def test_regenerating_voids_the_old_set(services: Services, user_id: int) -> None:
    old = services.recovery.generate(user_id)
    services.recovery.redeem(user_id, old[0])
    new = services.recovery.generate(user_id)
    assert not set(old) & set(new)
    assert services.recovery.remaining(user_id) == 10
    for code in old[1:4]:
        assert services.recovery.redeem(user_id, code).status is VerifyStatus.WRONG
    assert services.recovery.redeem(user_id, new[0]).status is VerifyStatus.OK


def test_void_all_leaves_nothing(services: Services, user_id: int) -> None:
    codes = services.recovery.generate(user_id)
    services.recovery.void_all(user_id)
    assert services.recovery.remaining(user_id) == 0
    assert services.recovery.redeem(user_id, codes[0]).status is VerifyStatus.WRONG


def test_another_users_code_is_refused(services: Services, user_id: int) -> None:
    other = create_user(services, "bob@example.com", phone="+16502531213")
    assert other.id is not None
    theirs = services.recovery.generate(other.id)
    services.recovery.generate(user_id)
    assert services.recovery.redeem(user_id, theirs[0]).status is VerifyStatus.WRONG
    assert services.recovery.redeem(other.id, theirs[0]).status is VerifyStatus.OK


def test_no_plaintext_code_is_stored(services: Services, user_id: int, database: Database) -> None:
    codes = services.recovery.generate(user_id)
    services.recovery.redeem(user_id, codes[0])
    stored = database_text(database).lower()
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
        assert code[:5] not in stored and code[6:] not in stored


def test_digests_are_keyed_by_the_secret(services: Services, user_id: int, clock: FakeClock) -> None:
    codes = services.recovery.generate(user_id)
    other_key = RecoveryCodes(services.database, services.lockout, clock, "another-secret-key-0123456789-abcdefghij")
    assert other_key.redeem(user_id, codes[0]).status is VerifyStatus.WRONG
    assert services.recovery.redeem(user_id, codes[0]).status is VerifyStatus.OK


# ---- the lockout shared with SMS -----------------------------------------------------------------


def test_recovery_failures_lock_recovery_and_sms_verifies(
    services: Services, user_id: int, gateway: RecordingGateway, clock: FakeClock
) -> None:
    codes = services.recovery.generate(user_id)
    session_id = log_in(services).session.session_id
    for tried in range(1, 10):  # the tries left count down to the lock, never to 0
        assert services.recovery.redeem(user_id, "zzzzz-zzzzz") == VerifyResult(VerifyStatus.WRONG, 10 - tried)
    assert services.recovery.redeem(user_id, "zzzzz-zzzzz") == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    # locked: a right recovery code is not even tried (and stays unused)
    assert services.recovery.redeem(user_id, codes[0]) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    assert services.recovery.remaining(user_id) == 10
    # ...and the SMS path is locked too
    services.otp.request_code(
        purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, phone=PHONE, client_ip="203.0.113.7"
    )
    sms_code = gateway.sent[-1].code
    result = services.otp.verify_code(purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, code=sms_code)
    assert result.status is VerifyStatus.LOCKED
    clock.advance(60)
    assert services.recovery.redeem(user_id, codes[0]).status is VerifyStatus.OK


def test_sms_failures_lock_recovery_codes(
    services: Services, user_id: int, gateway: RecordingGateway, clock: FakeClock
) -> None:
    codes = services.recovery.generate(user_id)
    session_id = log_in(services).session.session_id
    tries = 0
    while tries < 9:  # two codes: 5 wrong tries burn the first, 4 more on the second
        clock.advance(services.otp.resend_wait(user_id=user_id, purpose=Purpose.LOGIN))
        services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, phone=PHONE, client_ip="203.0.113.7"
        )
        sent = gateway.sent[-1].code
        wrong = "000000" if sent != "000000" else "111111"
        for _ in range(min(5, 9 - tries)):
            services.otp.verify_code(purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, code=wrong)
            tries += 1
    assert failures(services, user_id) == 9
    # the tenth failure, a recovery code, locks
    assert services.recovery.redeem(user_id, "zzzzz-zzzzz").status is VerifyStatus.LOCKED
    assert services.recovery.redeem(user_id, codes[0]).status is VerifyStatus.LOCKED


def test_a_recovery_code_clears_the_sms_failures(services: Services, user_id: int) -> None:
    codes = services.recovery.generate(user_id)
    for _ in range(9):
        services.otp.lockout.register_failure(user_id)
    assert services.recovery.redeem(user_id, codes[0]).status is VerifyStatus.OK
    assert failures(services, user_id) == 0
    assert services.otp.lockout.check(user_id) is None
