"""The framework-log guard (review round 2, M3): what a browser makes Reflex log stays one short line, rare, and
without the event's payload, the request's headers or a traceback."""

from __future__ import annotations

import logging

import pytest

from sms2fa_app.backend.infra.log_guard import (
    LINES_PER_WINDOW,
    MAX_LINE_CHARS,
    WINDOW_SECONDS,
    FlattenAndLimit,
    RateLimit,
    install_framework_log_guard,
    one_line,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_line_strips_every_line_break_and_cuts() -> None:
    assert one_line("a\nb\r\nc\u2028d") == "a b c d"
    cut = one_line("x" * 1000)
    assert len(cut) == MAX_LINE_CHARS and cut.endswith("…")


def test_rate_limit_admits_a_few_per_window_then_says_how_many_were_left_out() -> None:
    clock = Clock()
    limit = RateLimit(per_window=2, window=60, clock=clock)
    assert [limit.admit("k") for _ in range(5)] == [0, 0, None, None, None]
    assert limit.admit("other") == 0
    clock.now += 60
    assert limit.admit("k") == 3


def _record(message: str, level: int = logging.ERROR, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("reflex_base.event.processor", level, __file__, 1, message, None, exc_info)


def test_a_framework_error_loses_payload_headers_traceback_and_line_breaks() -> None:
    guard = FlattenAndLimit(RateLimit(clock=Clock()))
    event = "Error processing event for \nEvent(name='x.SetVar', router_data={'headers': {'cookie': 's'}}, payload="
    record = _record(event + "'flood'" * 10_000, exc=KeyError("No registered handler"))
    assert guard.filter(record)
    text = record.getMessage()
    assert "\n" not in text and "flood" not in text and "cookie" not in text and len(text) <= MAX_LINE_CHARS + 20
    assert text.endswith("[KeyError]") and record.exc_info is None and record.exc_text is None


def test_a_flood_of_the_same_line_is_written_a_few_times_a_window() -> None:
    clock = Clock()
    guard = FlattenAndLimit(RateLimit(clock=clock))
    written = [guard.filter(_record(f"Error processing event queue entry for {n}")) for n in range(100)]
    assert sum(written) == LINES_PER_WINDOW
    clock.now += WINDOW_SECONDS
    later = _record("Error processing event queue entry for 101")
    assert guard.filter(later) and later.getMessage().endswith(f"({100 - LINES_PER_WINDOW} similar left out)")


def test_info_lines_pass_untouched() -> None:
    guard = FlattenAndLimit(RateLimit(clock=Clock()))
    record = _record("App running at:\nhttp://localhost:3000", level=logging.INFO)
    assert guard.filter(record) and record.getMessage() == "App running at:\nhttp://localhost:3000"


def test_install_guards_reflex_loggers_once(caplog: pytest.LogCaptureFixture) -> None:
    child = logging.getLogger("reflex_base.test_log_guard_child")
    install_framework_log_guard()
    install_framework_log_guard()
    assert sum(isinstance(f, FlattenAndLimit) for f in child.filters) == 1
    assert sum(isinstance(f, FlattenAndLimit) for f in logging.getLogger("reflex").filters) == 1
    with caplog.at_level(logging.ERROR, logger="reflex_base.test_log_guard_child"):
        child.error("first line\nforged line %s", "x" * 5000)
    assert caplog.messages == [one_line("first line forged line " + "x" * 5000)]
    for name in ("reflex", "reflex_base", child.name):  # leave other tests' loggers as they were
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, FlattenAndLimit)]
