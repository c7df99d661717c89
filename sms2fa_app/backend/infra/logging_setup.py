"""Structured `event=... key=value` lines from the sms2fa loggers, to stderr, once per process."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Give the app's loggers a handler unless one is configured already (tests keep theirs)."""
    app_logger = logging.getLogger("sms2fa")
    if app_logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    app_logger.addHandler(handler)
    app_logger.setLevel(level)
