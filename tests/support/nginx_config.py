"""Which `location` of an nginx configuration answers a path, chosen by nginx's own rules, so a unit test can check
the shipped deploy/nginx files against the routes the app serves without starting nginx.

nginx's rules (https://nginx.org/en/docs/http/ngx_http_core_module.html#location): an exact `=` match wins; else
the longest matching prefix is remembered, and if it is `^~` it wins; else the first matching regex (`~`, `~*`) in
the order written wins; else the remembered prefix. Only top-level locations are read (the shipped files nest none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_LOCATION = re.compile(r"^\s*location\s+(?:(=|\^~|~\*|~)\s+)?(\S+)\s*\{", re.MULTILINE)
_COMMENT = re.compile(r"#[^\n]*")


@dataclass(frozen=True)
class Location:
    """One `location` block: its modifier ('' for a plain prefix), its pattern and the directives inside."""

    modifier: str
    pattern: str
    body: str

    def matches(self, path: str) -> bool:
        if self.modifier == "=":
            return path == self.pattern
        if self.modifier in ("~", "~*"):
            return re.search(self.pattern, path, re.IGNORECASE if self.modifier == "~*" else 0) is not None
        return path.startswith(self.pattern)

    def proxies_to(self, upstream: str) -> bool:
        """Whether requests here are passed to this upstream (e.g. the backend workers)."""
        return re.search(rf"^\s*proxy_pass\s+https?://{re.escape(upstream)}\s*;", self.body, re.MULTILINE) is not None

    def directive(self, name: str) -> str | None:
        """The value of a directive set in this block, or None."""
        found = re.search(rf"^\s*{re.escape(name)}\s+([^;]+);", self.body, re.MULTILINE)
        return found.group(1).strip() if found else None

    def __str__(self) -> str:
        return f"location {self.modifier} {self.pattern}".replace("  ", " ")


def locations(config_file: Path) -> list[Location]:
    """The top-level `location` blocks of a configuration file, in the order written."""
    text = _COMMENT.sub("", config_file.read_text())
    found = []
    for match in _LOCATION.finditer(text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        found.append(Location(match.group(1) or "", match.group(2), text[match.end() : end - 1]))
    return found


def location_for(all_locations: list[Location], path: str) -> Location | None:
    """The location nginx picks for a request to `path` (None: nginx itself answers 404)."""
    candidates = [location for location in all_locations if location.matches(path)]
    exact = [location for location in candidates if location.modifier == "="]
    if exact:
        return exact[0]
    prefixes = [location for location in candidates if location.modifier in ("", "^~")]
    longest = max(prefixes, key=lambda location: len(location.pattern), default=None)
    if longest is not None and longest.modifier == "^~":
        return longest
    regexes = [location for location in candidates if location.modifier in ("~", "~*")]
    return regexes[0] if regexes else longest
