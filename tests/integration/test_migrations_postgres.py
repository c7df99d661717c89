"""The session assurance migration on PostgreSQL: every old stage reads as the level it meant, and back."""

from __future__ import annotations

from scripts.stack_parts import Postgres
from tests.unit.backend.test_migrations import stages_map_onto_the_assurance


def test_sessions_made_before_the_assurance_keep_their_meaning_on_postgres(postgres: Postgres) -> None:
    stages_map_onto_the_assurance(postgres.url)
