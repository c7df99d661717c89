"""The one writer of structured `event=... key=value` log lines.

Field names have one spelling across the app (`user`, `session`, `purpose`, `factor`, `ip`, ...). Values
are cut to a bounded length and quoted when they hold anything but plain characters (client-supplied
values such as IPs or user agents), so a line can never be split or forged. Callers pass masked
numbers only: never a code, a secret, a token or a whole phone number.
"""

from __future__ import annotations

import json
import logging
import re

MAX_LOG_VALUE_LENGTH = 80
_PLAIN_LOG_VALUE = re.compile(r"[\w.:/+@-]+")


def log_event(logger: logging.Logger, level: int, event: str, **fields: object) -> None:
    """Write one `event=<event> name=value ...` line to `logger` at `level`."""
    if not logger.isEnabledFor(level):
        return
    parts = [f"event={event}"]
    for name, value in fields.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)[:MAX_LOG_VALUE_LENGTH]
        if not _PLAIN_LOG_VALUE.fullmatch(text):  # spaces, quotes, newlines: quote
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{name}={text}")
    logger.log(level, " ".join(parts))
