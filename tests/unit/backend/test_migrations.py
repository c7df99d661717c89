"""The committed Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import sms2fa_app.backend.models  # noqa: F401  (registers the tables)

ROOT = Path(__file__).resolve().parents[3]


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    config = Config()  # no ini file: alembic's env.py would reconfigure (and disable) the app's loggers
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    engine = create_engine(url)
    assert {"users", "login_sessions"} <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def test_sessions_made_before_the_assurance_keep_their_meaning(tmp_path: Path) -> None:
    """The stage column of live sessions maps onto the assurance (and back on a downgrade)."""
    stages_map_onto_the_assurance(f"sqlite:///{tmp_path / 'stages.db'}")


def stages_map_onto_the_assurance(url: str) -> None:
    """Sessions of each stage, made before the assurance migration, read as the level they meant (on `url`'s empty
    database); a downgrade gives the stages back."""
    config = _config(url)
    command.upgrade(config, "a7d3c5e9f102")
    engine = create_engine(url)
    with engine.begin() as connection:
        for user_id, two_factor in ((1, True), (2, False)):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, is_two_factor_enabled, created_at, updated_at)"
                    " VALUES (:id, :email, 'x', :on, '2026-01-01', '2026-01-01')"
                ),
                {"id": user_id, "email": f"u{user_id}@example.com", "on": two_factor},
            )
        rows = [  # (user, stage, how)
            (1, "password_verified", ""),
            (1, "authenticated", "sms"),
            (1, "authenticated", "device"),
            (1, "authenticated", "passkey"),
            (1, "authenticated", ""),
            (2, "authenticated", "password"),
            (2, "authenticated", ""),
        ]
        for number, (user_id, stage, how) in enumerate(rows):
            connection.execute(
                text(
                    "INSERT INTO login_sessions (token_hash, user_id, stage, created_at, stage_started_at,"
                    " last_seen_at, client_ip, user_agent, how) VALUES (:hash, :user, :stage, 5, 7, 9, '', '', :how)"
                ),
                {"hash": f"{number:064d}", "user": user_id, "stage": stage, "how": how},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        migrated = connection.execute(text("SELECT level, amr, auth_time FROM login_sessions ORDER BY id")).all()
    assert [tuple(row) for row in migrated] == [
        ("none", "pwd", 7),
        ("two_factor", "pwd sms", 7),
        ("two_factor", "pwd swk", 7),
        ("two_factor", "hwk user", 7),
        ("two_factor", "", 7),
        ("password", "pwd", 7),
        ("password", "", 7),
    ]
    command.downgrade(config, "a7d3c5e9f102")
    with engine.connect() as connection:
        stages = connection.execute(text("SELECT stage, stage_started_at FROM login_sessions ORDER BY id")).all()
    assert [tuple(row) for row in stages] == [(stage, 7) for _user, stage, _how in rows]


def test_session_ids_are_never_given_again_after_the_migrations(tmp_path: Path) -> None:
    """SQLite rebuilds login_sessions to change its columns: the rebuilt table keeps AUTOINCREMENT, so a deleted
    session's id is never reused (a texted code or a grant bound to it would carry over to the next session)."""
    url = f"sqlite:///{tmp_path / 'ids.db'}"
    command.upgrade(_config(url), "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        table_sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'login_sessions'")).scalar()
    assert "AUTOINCREMENT" in str(table_sql).upper()
