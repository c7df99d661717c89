"""Codes read out by a call: kept encrypted for the one answer that takes them; the answer says them twice."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from sms2fa_app.backend.delivery.letters import number_taken_text
from sms2fa_app.backend.delivery.voice import NOTICE, SpokenCode, SpokenCodes, answer_xml, refusal_xml
from tests.conftest import TEST_SECRET


def test_a_code_is_kept_encrypted_and_taken_once(redis_client) -> None:
    spoken = SpokenCodes(redis_client, TEST_SECRET, ttl_seconds=180)
    token = spoken.keep("123456")
    stored = {key: redis_client.get(key) for key in redis_client.scan_iter("voice:code:*")}
    assert len(stored) == 1
    ((key, value),) = stored.items()
    assert token not in key and "123456" not in value and 0 < redis_client.ttl(key) <= 180
    assert spoken.take("not-the-token-at-all") is None
    assert spoken.take(token) == SpokenCode("123456")
    assert spoken.take(token) is None
    other = SpokenCodes(redis_client, "another-secret-key-0123456789-abcdefghijkl")
    assert other.take(spoken.keep("654321")) is None  # another key reads nothing


def test_the_answer_says_the_code_twice_one_digit_at_a_time() -> None:
    root = ElementTree.fromstring(answer_xml("sms2fa", "042917"))
    spoken = [element.text for element in root.iter("Speak")]
    digits = [text for text in spoken if re.fullmatch(r"\d", text or "")]
    assert digits == list("042917") * 2
    assert spoken[0] == "Your sms2fa code is"
    children = [child.tag for child in root]
    after_digits = [children[i + 1] for i, child in enumerate(root) if re.fullmatch(r"\d", child.text or "")]
    assert set(after_digits) == {"Wait"}  # a pause after every digit: slowly


def test_the_refusal_says_no_code_and_hangs_up() -> None:
    root = ElementTree.fromstring(refusal_xml())
    assert [child.tag for child in root] == ["Speak", "Hangup"] and not re.search(r"\d", refusal_xml())


def test_a_taken_numbers_notice_is_kept_and_said_in_its_language(redis_client) -> None:
    """The notice call to a number another account holds: no code is kept, the answer says the notice's words."""
    spoken = SpokenCodes(redis_client, TEST_SECRET)
    assert spoken.take(spoken.keep(NOTICE, "de")) == SpokenCode(NOTICE, "de")
    root = ElementTree.fromstring(answer_xml("sms2fa", NOTICE, "de"))
    said = " ".join(element.text or "" for element in root.iter("Speak"))
    assert said == number_taken_text("sms2fa", "de")  # no code in it
