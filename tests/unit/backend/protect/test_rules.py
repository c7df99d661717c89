"""FORWARD_AUTH_RULES: first match wins, default deny, hosts exact or by wildcard, paths by prefix or glob, and a
path read both as sent and as the upstream resolves it (the stricter policy wins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.protect.rules import AccessRules, path_readings
from sms2fa_app.config import ConfigError
from sms2fa_app.config_rules import AccessPolicy, access_rules
from tests.conftest import make_settings
from tests.unit.backend.protect.conftest import RULES

BYPASS, ONE, TWO, DENY = AccessPolicy.BYPASS, AccessPolicy.ONE_FACTOR, AccessPolicy.TWO_FACTOR, AccessPolicy.DENY


@pytest.mark.parametrize(
    ("host", "path", "policy"),
    [
        ("app.example.com", "/public/logo.png", BYPASS),
        ("app.example.com", "/assets/site.css", BYPASS),
        ("app.example.com", "/assets/site.js", TWO),  # the glob is the whole path
        ("app.example.com", "/internal/x", DENY),
        ("app.example.com", "/docs/", ONE),
        ("app.example.com", "/", TWO),
        ("wiki.corp.example.com", "/", TWO),
        ("corp.example.com", "/", DENY),  # *.corp.example.com names subdomains only
        ("example.com", "/", DENY),  # no rule: deny
        ("evil.com", "/public/", DENY),
    ],
)
def test_first_matching_rule_wins_and_nothing_matching_is_denied(host: str, path: str, policy: AccessPolicy) -> None:
    assert AccessRules(access_rules(RULES)).policy_for(host, path) is policy


@pytest.mark.parametrize(
    "path",
    ["/public/../admin", "/public/..%2fadmin", "/public/%2e%2e/admin", "/public/..\\admin", "/public/%2E%2E%5Cadmin"],
)
def test_a_bypass_prefix_does_not_cover_a_path_that_resolves_outside_it(path: str) -> None:
    assert AccessRules(access_rules(RULES)).policy_for("app.example.com", path) is TWO


def test_a_deny_prefix_covers_a_path_that_resolves_inside_it() -> None:
    rules = AccessRules(access_rules(RULES))
    assert rules.policy_for("app.example.com", "/docs/../internal/secrets") is DENY
    assert rules.policy_for("app.example.com", "//internal/secrets") is DENY


def test_a_plain_path_has_one_reading() -> None:
    assert path_readings("/a/b/") == ("/a/b/",)
    assert path_readings("/a/./b//c") == ("/a/./b//c", "/a/b/c")


def test_no_rules_deny_everything() -> None:
    assert AccessRules(()).policy_for("app.example.com", "/") is DENY


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("allow app.example.com", "rule 1 has an unknown policy 'allow'"),
        ("two_factor app.example.com; bypass", "rule 2 must read '<policy> <hosts> [<paths>]'"),
        ("deny app..example.com", "rule 1 has a bad host 'app..example.com'"),
        ("bypass app.example.com public/", "rule 1 has a bad path 'public/'"),
    ],
)
def test_a_bad_rule_is_one_line_naming_the_variable_and_the_rule(tmp_path: Path, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path, FORWARD_AUTH_RULES=value)
    assert str(refused.value).startswith(f"FORWARD_AUTH_RULES {words}") and "\n" not in str(refused.value)


def test_rules_read_from_the_environment_keep_their_order(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, FORWARD_AUTH_RULES=RULES.replace("; ", "\n"))
    assert [rule.policy for rule in settings.forward_auth_rules] == [BYPASS, DENY, ONE, TWO, TWO]
    assert settings.forward_auth_rules[0].paths == ("/public/", "/assets/*.css")
    assert make_settings(tmp_path).forward_auth_rules == ()


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/public/..;/internal/x", DENY),  # Tomcat-style: `..;` is a dot-segment once `;…` is dropped
        ("/internal;x/secret", DENY),  # the upstream reads /internal/secret
        ("/assets/secret;.css", TWO),  # the glob must not match on a parameter's text alone
    ],
)
def test_a_path_is_also_read_with_its_segment_parameters_removed(path: str, policy: AccessPolicy) -> None:
    assert AccessRules(access_rules(RULES)).policy_for("app.example.com", path) is policy
