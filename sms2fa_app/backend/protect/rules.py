"""Which FORWARD_AUTH_RULES policy a request gets: the first rule whose host and path match, else deny.

A path is matched as the upstream will read it *and* as it was sent: percent-decoding and dot-segments
(`/public/..%2fadmin`) could make a rule's prefix match a path the upstream resolves elsewhere, so when the two
readings differ the stricter policy of the two wins. Servlet containers (Tomcat, Jetty) also drop `;parameters` from
each segment (`/public/..;/admin`, `/admin;x/secret`), so a third reading has them removed. A prefix is a prefix:
`/admin/` does not cover `/admin` itself (name both, or `/admin` alone, to cover both).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from urllib.parse import unquote

from sms2fa_app.config_rules import AccessPolicy, AccessRule

_SEGMENT_PARAMETERS = re.compile(r";[^/]*")  # `;jsessionid=…` and the like, up to the segment's end


def host_matches(pattern: str, host: str) -> bool:
    """`host` is `pattern`, or under it for a `*.example.com` pattern (not example.com itself)."""
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def path_matches(pattern: str, path: str) -> bool:
    """A pattern with `*` is a glob over the whole path (`*` crosses `/`); any other is a prefix."""
    if "*" in pattern:
        return fnmatch.fnmatchcase(path, pattern)
    return path.startswith(pattern)


def _resolved(decoded: str) -> str:
    """`decoded` as an upstream resolves it: backslashes as slashes, dot-segments and repeated slashes gone."""
    resolved = posixpath.normpath("/" + decoded.replace("\\", "/"))
    resolved = re.sub(r"^/+", "/", resolved)  # normpath keeps a leading "//"
    if decoded.endswith("/") and resolved != "/":
        resolved += "/"
    return resolved


def path_readings(raw_path: str) -> tuple[str, ...]:
    """The path as sent (decoded), as an upstream resolves it, and resolved once each segment's `;…` is gone;
    each distinct reading once, the one as sent first."""
    decoded = unquote(raw_path or "/")
    without_parameters = _SEGMENT_PARAMETERS.sub("", decoded)
    return tuple(dict.fromkeys((decoded, _resolved(decoded), _resolved(without_parameters))))


class AccessRules:
    """The rules in order; `policy_for` answers in microseconds (a few string comparisons per rule)."""

    def __init__(self, rules: tuple[AccessRule, ...]):
        self._rules = rules

    def _first_match(self, host: str, path: str) -> AccessPolicy:
        for rule in self._rules:
            if any(host_matches(pattern, host) for pattern in rule.hosts) and (
                not rule.paths or any(path_matches(pattern, path) for pattern in rule.paths)
            ):
                return rule.policy
        return AccessPolicy.DENY

    def policy_for(self, host: str, raw_path: str) -> AccessPolicy:
        """The policy for a request to `host` (lower case, no port) and `raw_path` (no query): the strictest over
        the path's readings."""
        return max((self._first_match(host, path) for path in path_readings(raw_path)), key=lambda p: p.strictness)

    def names_host(self, host: str) -> bool:
        """Whether some rule names `host` (exactly or by its wildcard): a host the operator protects."""
        return any(host_matches(pattern, host) for rule in self._rules for pattern in rule.hosts)
