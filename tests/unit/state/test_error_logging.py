"""The app-wide error handlers log a bounded amount, whatever a browser sends (review round 2, M3): wrong arguments
to a real handler and made-up "frontend exceptions" come as often as a client likes."""

from __future__ import annotations

import logging

import pytest

from sms2fa_app.backend.infra.log_guard import LINES_PER_WINDOW
from sms2fa_app.state import errors


@pytest.fixture(autouse=True)
def _fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "_ERROR_LINES", errors.RateLimit())
    monkeypatch.setattr(errors, "_TRACEBACKS", errors.RateLimit(per_window=1))


def test_backend_errors_log_a_few_short_lines_and_one_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sms2fa"):
        for _ in range(50):
            try:
                raise TypeError("reset_form() got an unexpected keyword argument 'junk'\n" + "j" * 100_000)
            except TypeError as error:
                errors.on_backend_error(error)
    lines = [record for record in caplog.records if record.name == "sms2fa.state"]
    tracebacks = [record for record in lines if record.exc_info]
    assert len(tracebacks) == 1 and len(lines) == LINES_PER_WINDOW + 1
    assert all(len(record.getMessage()) < 300 and "\n" not in record.getMessage() for record in lines)
    assert lines[0].getMessage().startswith("event=backend_error type=TypeError detail=")


def test_frontend_errors_are_one_quoted_line_a_few_times_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sms2fa"):
        for _ in range(50):
            errors.on_frontend_error(Exception("TypeError: x\nevent=login_ok user=admin" + "y" * 10_000))
    lines = [record.getMessage() for record in caplog.records if record.name == "sms2fa.state"]
    assert len(lines) == LINES_PER_WINDOW
    assert all("\n" not in line and len(line) < 200 and line.startswith("event=frontend_error") for line in lines)
