"""Runs after the other e2e tests (by name): every page they showed was audited (axe-core, light and dark)."""

from __future__ import annotations

import pytest

from tests.e2e import audit

pytestmark = pytest.mark.e2e


def test_every_page_the_flows_visited_was_audited() -> None:
    if not audit.visited_routes:
        pytest.skip("no browser test ran before this one")
    assert audit.visited_routes - audit.audited_routes == set()
