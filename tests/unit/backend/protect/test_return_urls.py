"""The login returns to forward-auth's `rd` only on this site's hosts: every open-redirect trick is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.protect.targets import MAX_RETURN_URL_LENGTH, ReturnTargets, return_targets
from tests.conftest import make_settings


@pytest.fixture
def site(tmp_path: Path) -> ReturnTargets:
    return return_targets(
        make_settings(
            tmp_path,
            APP_URL="https://auth.example.com",
            COOKIE_DOMAIN="example.com",
            FORWARD_AUTH_RULES="two_factor Grafana.Other.org,wiki.partner.net",
        )
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.example.com/settings",
        "https://wiki.example.com/page?x=1#top",
        "https://example.com/",
        "https://deep.apps.example.com:8443/a%20b",
        "https://grafana.other.org/d/abc",
        "https://WIKI.example.com/",
    ],
)
def test_hosts_of_this_site_are_accepted(site: ReturnTargets, url: str) -> None:
    assert site.safe(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "//evil.example/",
        "https://evil.example/",
        "https://example.com.evil.example/",
        "https://evilexample.com/",
        "https://auth.example.com@evil.example/",
        "https://ok:pw@wiki.example.com/",
        "https://evil.example\\@wiki.example.com/",
        "https:\\\\evil.example",
        "https:/\\evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https:%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "https://evil.example%2F.example.com/",
        "https://evil.example%5C.example.com/",
        "https://wiki.example.com%2F@evil.example/",
        "https://wiki.exam\tple.com/",
        "https://wiki.example.com/\r\nSet-Cookie: x=1",
        "https://wiki.example.com/ with space",
        "https://wiki.example.com:notaport/",
        "javascript:alert(1)//https://wiki.example.com",
        "ftp://wiki.example.com/",
        "http://wiki.example.com/",  # plain http when the site is https
        "https://wiki.ex\u0430mple.com/",  # a Cyrillic 'a'
        "/settings",
        "",
        "https://wiki.example.com/" + "a" * MAX_RETURN_URL_LENGTH,
    ],
)
def test_everything_else_is_refused(site: ReturnTargets, url: str) -> None:
    assert site.safe(url) is None


@pytest.mark.parametrize("value", [None, 7, ["https://wiki.example.com/"], {"$ne": ""}])
def test_anything_but_a_string_is_refused(site: ReturnTargets, value: object) -> None:
    assert site.safe(value) is None


def test_without_cookie_domain_only_the_app_host_and_the_rules_hosts(tmp_path: Path) -> None:
    targets = return_targets(make_settings(tmp_path, APP_URL="https://auth.example.com"))
    assert targets.safe("https://auth.example.com/x") == "https://auth.example.com/x"
    assert targets.safe("https://wiki.example.com/x") is None


def test_plain_http_only_where_the_site_itself_is_plain_http(tmp_path: Path) -> None:
    targets = return_targets(make_settings(tmp_path))  # development: http://localhost:3000
    assert targets.safe("http://localhost:3000/dashboard") == "http://localhost:3000/dashboard"
    assert targets.safe("http://127.0.0.1:3000/") is None
