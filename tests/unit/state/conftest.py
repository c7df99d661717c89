"""State tests call every handler directly, background (slow) handlers included."""

from __future__ import annotations

import pytest

from tests.support.states import call_background_handlers_directly


@pytest.fixture(autouse=True)
def _direct_background_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    call_background_handlers_directly(monkeypatch)
