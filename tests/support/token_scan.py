"""Search the files a run left behind for raw browser tokens (session and remembered-device tokens) and raw tokens
of emailed links (verify, reset, cancel a 2FA reset).

The tokens are collected from what the browser received (its credential cookies, and any websocket frame that
would quote one), from the link pages it opened, and from the sessions tests created directly; their SHA-256
digests are expected on the server, the tokens themselves nowhere (a link's page keeps only its digest in Reflex's
state).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sms2fa_app.reflex_adapter import delta_key

SKIPPED_DIRECTORIES = {".git", ".venv", ".tools", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
# A browser token as Reflex delivers it in a state delta: "<delta_key(session_token)>":"<43 characters>".
_TOKEN_KEYS = "|".join(re.escape(delta_key(name)) for name in ("session_token", "device_token"))
CREDENTIAL_COOKIES = ("sms2fa_session", "sms2fa_device")  # with or without a __Host-/__Secure- prefix
_DELIVERED = re.compile(rf'"(?:{_TOKEN_KEYS})"\s*:\s*"([A-Za-z0-9_-]{{43}})"')


# An emailed link's token in a page address the browser opened: /verify-email?token=<43 characters>.
_LINK = re.compile(r"[?&]token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def link_tokens_in(addresses: Iterable[str]) -> set[str]:
    """The emailed links' tokens in these page addresses (the browser's navigations)."""
    return {token for address in addresses for token in _LINK.findall(address)}


def tokens_in(texts: Iterable[str]) -> set[str]:
    """The browser tokens delivered in these websocket frames (or any text quoting a state delta)."""
    return {token for text in texts for token in _DELIVERED.findall(text)}


def cookie_tokens(cookies: Iterable[dict[str, Any]]) -> set[str]:
    """The session and remembered-device tokens among a browser's cookies (Playwright's context.cookies())."""
    return {cookie["value"] for cookie in cookies if cookie["name"].endswith(CREDENTIAL_COOKIES) and cookie["value"]}


def digest(token: str) -> str:
    """What the server keeps instead of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def files_under(roots: Iterable[Path]) -> list[Path]:
    """Every regular file under the roots, not following links, skipping tool and cache directories."""
    found = []
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = [name for name in subdirectories if name not in SKIPPED_DIRECTORIES]
            found.extend(Path(directory) / name for name in files if not (Path(directory) / name).is_symlink())
    return found


def files_containing(needles: Iterable[str], roots: Iterable[Path]) -> dict[str, list[Path]]:
    """For each needle, the files whose bytes contain it (only needles that were found)."""
    wanted = {needle: needle.encode() for needle in needles if needle}
    hits: dict[str, list[Path]] = {}
    for path in files_under(roots):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for needle, raw in wanted.items():
            if raw in data:
                hits.setdefault(needle, []).append(path)
    return hits


_REDIS_READERS: dict[bytes, Callable[[Any, bytes], Iterable[bytes]]] = {
    b"string": lambda client, key: [client.get(key) or b""],
    b"hash": lambda client, key: [*client.hkeys(key), *client.hvals(key)],
    b"list": lambda client, key: client.lrange(key, 0, -1),
    b"set": lambda client, key: client.smembers(key),
    b"zset": lambda client, key: client.zrange(key, 0, -1),
}


def redis_keys_containing(
    url_of: Callable[[int], str], needles: Iterable[str], databases: int = 16
) -> dict[str, list[str]]:
    """For each needle, the Redis keys ("db/key") whose name or value holds it raw, in every database: a snapshot
    file compresses the values (LZF), so a search of the files alone would not see a token kept in Redis."""
    import redis

    wanted = {needle: needle.encode() for needle in needles if needle}
    hits: dict[str, list[str]] = {}
    for db in range(databases):
        with redis.Redis.from_url(url_of(db)) as client:
            for key in client.scan_iter(count=500):
                read = _REDIS_READERS.get(client.type(key), lambda _client, _key: [])
                held = [key, *read(client, key)]
                for needle, raw in wanted.items():
                    if any(raw in value for value in held):
                        hits.setdefault(needle, []).append(f"{db}/{key.decode(errors='replace')}")
    return hits
