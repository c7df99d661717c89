"""The return address (`rd`): offered only for allowed hosts, always percent-encoded whole (no open redirect, no
header injection), whatever the client put in its Host header."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from sms2fa_app.backend.protect.rules import AccessRules
from sms2fa_app.backend.protect.targets import ReturnTargets, forwarded_url, original_request
from sms2fa_app.config_rules import access_rules
from tests.unit.backend.protect.conftest import RULES

TARGETS = ReturnTargets("https://auth.example.org", "auth.example.org", AccessRules(access_rules(RULES)))


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/wiki?page=1&x=%0d%0a",
        "https://wiki.corp.example.com/",
        "https://auth.example.org/dashboard",
        "https://sub.auth.example.org/",  # under COOKIE_DOMAIN
        "https://app.example.com:8443/x",
    ],
)
def test_an_allowed_address_rides_along_encoded_whole(url: str) -> None:
    login = TARGETS.login_url(url)
    parts = urlsplit(login)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "auth.example.org", "/login")
    assert parse_qs(parts.query) == {"rd": [url]}
    assert "\r" not in login and "\n" not in login and " " not in login


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "https://app.example.com.evil.example/",
        "https://evil.example\\@app.example.com/",
        "https://evil.example%2f@app.example.com/",
        "https://user@app.example.com/",
        "//evil.example/",
        "/relative",
        "javascript:alert(1)",
        "http://app.example.com/",  # APP_URL is https: no downgrade
        "https://app.example.com/\r\nSet-Cookie: x=y",
        "https://app.example.com /",
        "https://app.example.com:99999/",
        "https://corp.example.com/",  # the wildcard names subdomains only
        "https://xn--app-example.com/",
        None,
        "",
    ],
)
def test_a_foreign_or_malformed_address_gets_the_plain_login(url: str | None) -> None:
    assert TARGETS.login_url(url) == "https://auth.example.org/login"
    assert not TARGETS.allows(url)


def test_the_original_request_is_read_from_a_plain_url_only() -> None:
    original = original_request("https://App.Example.com:8443/a%2Fb?q=1")
    assert original is not None and (original.host, original.path) == ("app.example.com", "/a%2Fb")
    assert original_request("ftp://app.example.com/") is None
    assert original_request("https://" + "a" * 5000 + ".com/") is None


def test_caddy_and_traefik_describe_the_original_in_three_headers() -> None:
    assert forwarded_url("HTTPS", "app.example.com", "/x?y=1") == "https://app.example.com/x?y=1"
    assert forwarded_url("https", "app.example.com", "x") is None
    assert forwarded_url("https", None, "/x") is None


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com?/internal/x",  # a Host ending in `?` shifts the path into the query
        "https://app.example.com#/internal/x",  # ... or `#` into the fragment
        "https://app.example.com/public/#/../internal/x",  # no proxy sends a fragment: a raw `#` is a trick
        "https://app.example.com:443?/internal/x",
    ],
)
def test_an_original_url_with_a_fragment_or_no_path_after_the_host_is_refused(url: str) -> None:
    assert original_request(url) is None
