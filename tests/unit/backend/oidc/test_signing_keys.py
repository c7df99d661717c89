"""ID-token signing keys: stored encrypted, one made for many first users at once, rotation keeps the old key
published for a while, and a changed SECRET_KEY retires the keys it can no longer read instead of failing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import OidcSigningKey
from sms2fa_app.backend.oidc.keys import SigningKeys
from tests.conftest import TEST_SECRET

OTHER_SECRET = "9f1b7c3e5a2d4f6081b3c5e7a9d1f3b5c7e9a1d3f5b7c9e1a3d5f7b9c1e3a5d7"


def test_the_private_key_is_stored_encrypted(database: Database, clock: FakeClock) -> None:
    keys = SigningKeys(database, clock, TEST_SECRET, published_for=600)
    key = keys.signing_key()
    with database.session() as db:
        stored = db.exec(select(OidcSigningKey)).one()
    assert "PRIVATE KEY" not in stored.private_key_encrypted and stored.kid == key.kid


def test_concurrent_first_uses_make_one_key(database: Database, clock: FakeClock) -> None:
    keys = SigningKeys(database, clock, TEST_SECRET, published_for=600)
    with ThreadPoolExecutor(4) as pool:
        kids = set(pool.map(lambda _n: keys.signing_key().kid, range(8)))
    assert len(kids) == 1


def test_a_rotated_key_stays_published_until_its_tokens_expired(database: Database, clock: FakeClock) -> None:
    keys = SigningKeys(database, clock, TEST_SECRET, published_for=600)
    old = keys.signing_key().kid
    new = keys.rotate()
    assert keys.signing_key().kid == new
    assert {key["kid"] for key in keys.jwks()["keys"]} == {old, new}
    clock.advance(601)
    assert {key["kid"] for key in keys.jwks()["keys"]} == {new}


def test_a_changed_secret_key_retires_the_unreadable_key(database: Database, clock: FakeClock) -> None:
    old = SigningKeys(database, clock, TEST_SECRET, published_for=600).signing_key().kid
    keys = SigningKeys(database, clock, OTHER_SECRET, published_for=600)
    fresh = keys.signing_key().kid
    assert fresh != old and [key["kid"] for key in keys.jwks()["keys"]] == [fresh]
