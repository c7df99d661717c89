"""Who is calling: browser labels from user agents (ua-parser) and the approximate network of an IP."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.infra import client as client_module
from sms2fa_app.backend.infra.client import (
    ClientInfo,
    DeviceLabel,
    acting_client,
    approximate_network,
    current_client,
    device_label,
)

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0"


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (CHROME_LINUX, DeviceLabel("Chrome", "Linux")),
        (FIREFOX_WINDOWS, DeviceLabel("Firefox", "Windows")),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.0 Safari/605.1.15",
            DeviceLabel("Safari", "macOS"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.0 Mobile/15E148 Safari/604.1",
            DeviceLabel("Safari", "iOS"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Mobile Safari/537.36",
            DeviceLabel("Chrome", "Android"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
            DeviceLabel("Edge", "Windows"),
        ),
        ("Mozilla/5.0 (X11; CrOS x86_64 16093.0.0) Chrome/140.0.0.0 Safari/537.36", DeviceLabel("Chrome", "ChromeOS")),
        ("curl/8.5.0", DeviceLabel()),
        ("", DeviceLabel()),
    ],
)
def test_device_labels(agent: str, label: DeviceLabel) -> None:
    assert device_label(agent) == label
    assert len(device_label(agent * 50).stored()) <= 64


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.135 Mobile Safari/537.36",
            DeviceLabel("Chrome", "Android"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.6 Mobile/15E148 Safari/604.1",
            DeviceLabel("Safari", "iOS"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            DeviceLabel("Chrome", "iOS"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            DeviceLabel("Edge", "Windows"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
            DeviceLabel("Edge", "Android"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
            DeviceLabel("Firefox", "macOS"),
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            DeviceLabel("Chrome", "Linux"),
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", DeviceLabel("", "Windows")),
        ("curl/8.11.1", DeviceLabel()),
        ("python-requests/2.32.3", DeviceLabel()),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", DeviceLabel()),
        ("", DeviceLabel()),
    ],
)
def test_device_labels_of_real_user_agents(agent: str, label: DeviceLabel) -> None:
    assert device_label(agent) == label


def test_device_label_parses_only_the_first_512_characters() -> None:
    padding = "x" * 600
    assert device_label(CHROME_LINUX + padding) == DeviceLabel("Chrome", "Linux")
    assert device_label(padding + CHROME_LINUX) == DeviceLabel()  # the agent itself was cut off
    assert device_label(None) == DeviceLabel()  # type: ignore[arg-type]  # a request without the header


@pytest.mark.parametrize(
    "label", [DeviceLabel("Chrome", "Linux"), DeviceLabel("", "Windows"), DeviceLabel(), DeviceLabel("Opera", "iOS")]
)
def test_a_stored_label_reads_back_as_the_same_pair(label: DeviceLabel) -> None:
    """The stored form holds the pair, no English: each language says it in its own words."""
    assert DeviceLabel.parse(label.stored()) == label
    assert " on " not in label.stored() and "Unknown" not in label.stored()


@pytest.mark.parametrize(
    ("stored", "label"),
    [
        ("Chrome on Linux", DeviceLabel("Chrome", "Linux")),  # rows written before the labels were translated
        ("Browser on Windows", DeviceLabel("", "Windows")),
        ("Unknown browser", DeviceLabel()),
        ("", DeviceLabel()),
        ("Samsung Internet on Android", DeviceLabel("Samsung Internet", "Android")),
        ("<script>x</script>", DeviceLabel("<script>x</script>", "")),  # anything else: a name, shown as it is
    ],
)
def test_old_english_labels_read_back_as_their_pair(stored: str, label: DeviceLabel) -> None:
    assert DeviceLabel.parse(stored) == label


def test_the_clients_stored_label_is_the_pair() -> None:
    assert DeviceLabel.parse(ClientInfo("203.0.113.7", CHROME_LINUX).browser) == DeviceLabel("Chrome", "Linux")


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
        assert DeviceLabel.parse(current_client().browser) == DeviceLabel("Chrome", "Linux")
        assert current_client().network == "203.0.113.0/24"
    assert current_client() == ClientInfo()


def test_an_administrators_action_is_stored_without_words_and_said_in_the_readers_language() -> None:
    from sms2fa_app.backend.delivery.letters import device_words

    marker = DeviceLabel(administrator=True)
    assert DeviceLabel.parse(marker.stored()) == marker
    assert DeviceLabel.parse("An administrator") == marker  # rows written before the labels were translated
    assert device_words(marker, "es") == "Un administrador" and device_words(marker, "en") == "An administrator"
