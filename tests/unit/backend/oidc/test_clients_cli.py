"""The operator's CLI for OpenID clients (make oidc-client, make oidc-rotate-keys): the secret is printed once and
stored hashed, bad values are refused with one line and change nothing, and every change is audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from sms2fa_app.backend.admin import cli, oidc_clients
from sms2fa_app.backend.admin.audit import Action
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.models import AdminAction, OidcClient
from tests.conftest import make_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    settings = make_settings(tmp_path, DATABASE_URL=url)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    database = Database(make_engine(url))
    SQLModel.metadata.create_all(database.engine)
    return database


def _lines(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in capsys.readouterr().out.split())


def test_a_confidential_client_gets_its_secret_once_stored_hashed(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["register", "--name", "Grafana", "--redirect-uris", "https://grafana.example/login/generic_oauth"]
    assert oidc_clients.main(argv) == 0
    printed = _lines(capsys)
    with database.session() as db:
        row = db.exec(select(OidcClient)).one()
        audit = db.exec(select(AdminAction)).one()
        assert row.client_id == printed["client_id"] and printed["client_secret"] not in row.secret_digest
        assert not row.public and audit.action == Action.OIDC_REGISTER_CLIENT and audit.admin_id is None


def test_a_public_client_has_no_secret(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["register", "--name", "SPA", "--redirect-uris", "http://localhost:5173/cb", "--public", "--two-factor"]
    assert oidc_clients.main(argv) == 0
    assert set(_lines(capsys)) == {"client_id"}
    with database.session() as db:
        row = db.exec(select(OidcClient)).one()
        assert row.public and row.require_two_factor and row.secret_digest == ""


@pytest.mark.parametrize(
    "uris", ["http://grafana.example/cb", "https://grafana.example/cb#frag", "https://user@grafana.example/cb", ""]
)
def test_unsafe_redirect_uris_are_refused_and_nothing_is_stored(
    database: Database, capsys: pytest.CaptureFixture[str], uris: str
) -> None:
    assert oidc_clients.main(["register", "--name", "X", "--redirect-uris", uris]) == 1
    error = capsys.readouterr().err
    assert error.startswith("sms2fa: ") and error.count("\n") == 1  # one line saying which value and why
    with database.session() as db:
        assert db.exec(select(OidcClient)).all() == []


def test_rotating_keys_is_audited(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert oidc_clients.main(["rotate-keys"]) == 0
    kid = _lines(capsys)["kid"]
    with database.session() as db:
        audit = db.exec(select(AdminAction)).one()
        assert audit.action == Action.OIDC_ROTATE_KEYS and audit.detail == kid
