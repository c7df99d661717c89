"""FORWARD_AUTH_RULES' grammar: `<policy> <hosts> [<paths>]` rules, `;` between (docs/forward-auth.md).

The setting's kind (AccessRules, config.Settings' forward_auth_rules) and the policies backend/protect/ applies; a
rule that does not parse raises a ValueError naming it by its number, which follows the variable's name in the
one-line ConfigError.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_settings import NoDecode


class AccessPolicy(enum.StrEnum):
    """What a forward-auth rule asks of the request (Authelia's access_control policies)."""

    BYPASS = "bypass"  # anyone, signed in or not
    ONE_FACTOR = "one_factor"  # a signed-in session (the password, and the second factor when the account has one)
    TWO_FACTOR = "two_factor"  # a session signed in with two factors
    DENY = "deny"  # nobody

    @property
    def strictness(self) -> int:
        """Its order: bypass < one_factor < two_factor < deny."""
        return list(AccessPolicy).index(self)


@dataclass(frozen=True)
class AccessRule:
    """One FORWARD_AUTH_RULES rule: a policy for some hosts (exact, or `*.example.com` for every subdomain) and
    paths (a prefix such as `/admin/`, or a glob with `*`; none: every path)."""

    policy: AccessPolicy
    hosts: tuple[str, ...]
    paths: tuple[str, ...] = ()


_RULE_HOST = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_RULE_PATH = re.compile(r"/[\x21-\x7e]*")
RULES_EXAMPLE = "two_factor wiki.example.com; bypass *.example.com /public/"


def _access_rule(number: int, text: str) -> AccessRule:
    """One rule, `<policy> <host>[,<host>...] [<path>[,<path>...]]`; a ValueError names it by its number."""
    words = text.split()
    policies = ", ".join(policy.value for policy in AccessPolicy)
    if len(words) not in (2, 3):
        raise ValueError(f"rule {number} must read '<policy> <hosts> [<paths>]' as in {RULES_EXAMPLE!r}, got {text!r}")
    if words[0].lower() not in {policy.value for policy in AccessPolicy}:
        raise ValueError(f"rule {number} has an unknown policy {words[0]!r} (one of {policies})")
    hosts = tuple(host.strip().lower() for host in words[1].split(",") if host.strip())
    paths = tuple(path.strip() for path in words[2].split(",") if path.strip()) if len(words) == 3 else ()
    for host in hosts:
        if not _RULE_HOST.fullmatch(host):
            raise ValueError(f"rule {number} has a bad host {host!r} (a name such as app.example.com or *.example.com)")
    for path in paths:
        if not _RULE_PATH.fullmatch(path):
            raise ValueError(f"rule {number} has a bad path {path!r} (it must start with /)")
    return AccessRule(AccessPolicy(words[0].lower()), hosts, paths)


def access_rules(value: Any) -> Any:
    """FORWARD_AUTH_RULES: rules separated by `;` or new lines, first match wins, default deny."""
    if not isinstance(value, str):
        return value
    texts = [text.strip() for text in re.split(r"[;\n]", value) if text.strip()]
    return tuple(_access_rule(number, text) for number, text in enumerate(texts, start=1))


AccessRules = Annotated[tuple[AccessRule, ...], NoDecode, BeforeValidator(access_rules)]  # FORWARD_AUTH_RULES
