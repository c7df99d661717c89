"""Who is calling: browser labels from user agents (ua-parser) and the approximate network of an IP."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.infra import client as client_module
from sms2fa_app.backend.infra.client import ClientInfo, acting_client, approximate_network, current_client, device_label

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0"


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.0 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.0 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
            "Edge on Windows",
        ),
        ("Mozilla/5.0 (X11; CrOS x86_64 16093.0.0) Chrome/140.0.0.0 Safari/537.36", "Chrome on ChromeOS"),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_device_labels(agent: str, label: str) -> None:
    assert device_label(agent) == label
    assert len(device_label(agent * 50)) <= 64


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.135 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.6 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
            "Edge on Android",
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Browser on Windows"),
        ("curl/8.11.1", "Unknown browser"),
        ("python-requests/2.32.3", "Unknown browser"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_device_labels_of_real_user_agents(agent: str, label: str) -> None:
    assert device_label(agent) == label


def test_device_label_parses_only_the_first_512_characters() -> None:
    padding = "x" * 600
    assert device_label(CHROME_LINUX + padding) == "Chrome on Linux"
    assert device_label(padding + CHROME_LINUX) == "Unknown browser"  # the agent itself was cut off
    assert device_label(None) == "Unknown browser"  # type: ignore[arg-type]  # a request without the header


def test_device_labels_are_cached_by_the_cut_agent_only() -> None:
    client_module._label.cache_clear()
    device_label(CHROME_LINUX + "x" * 500 + "a")
    device_label(CHROME_LINUX + "x" * 500 + "b")  # the same first 512 characters: one entry
    assert client_module._label.cache_info().hits == 1
    assert client_module._label.cache_info().currsize == 1


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("::ffff:203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("127.0.0.1", "127.0.0.0/24"),
        ("", ""),
        ("not an ip", ""),
        ("203.0.113.77\nevent=forged", ""),
    ],
)
def test_the_network_is_approximate(ip: str, network: str) -> None:
    assert approximate_network(ip) == network


def test_the_acting_client_is_named_for_the_block_only() -> None:
    assert current_client() == ClientInfo()
    with acting_client(ClientInfo("203.0.113.77", CHROME_LINUX)):
        assert current_client().browser == "Chrome on Linux"
        assert current_client().network == "203.0.113.0/24"
    assert current_client() == ClientInfo()
