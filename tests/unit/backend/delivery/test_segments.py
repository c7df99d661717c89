"""The SMS segment counter: GSM-7 (basic set, extension table counting twice) or UCS-2, and where a text splits."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.delivery.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    count_segments,
    gsm7_units,
    ucs2_units,
)


def test_the_gsm7_tables_have_their_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 positions, one of them the escape to the extension table
    assert len(GSM7_EXTENSION) == 10 and not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "units"),
    [("Hello", 5), ("Ñandú"[:4], 4), ("è é ù ì ò ß Ä Ö Ü ä ö ü à ñ", 27), ("€", 2), ("[]{}", 8), ("a^b|c~d\\e", 13)],
)
def test_gsm7_counts_septets_and_an_extension_character_twice(text: str, units: int) -> None:
    assert gsm7_units(text) == units


@pytest.mark.parametrize("text", ["código", "á", "ç", "“quoted”", "नमस्ते", "مرحبا", "😀", "`"])
def test_one_character_outside_gsm7_makes_the_text_ucs2(text: str) -> None:
    assert gsm7_units(text) is None and count_segments(f"plain words {text}").encoding is Encoding.UCS2


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", Encoding.GSM7, 1),
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),  # 2 x 153
        ("a" * 307, Encoding.GSM7, 3),
        ("€" * 80, Encoding.GSM7, 1),  # 160 septets
        ("a" + "€" * 80, Encoding.GSM7, 2),
        ("é" * 160, Encoding.GSM7, 1),  # é is in the basic set
        ("ó" * 70, Encoding.UCS2, 1),
        ("ó" * 71, Encoding.UCS2, 2),
        ("ó" * 134, Encoding.UCS2, 2),  # 2 x 67
        ("ó" * 135, Encoding.UCS2, 3),
        ("😀" * 35, Encoding.UCS2, 1),  # a surrogate pair is two units
        ("😀" * 36, Encoding.UCS2, 2),
    ],
)
def test_segments_at_the_boundaries(text: str, encoding: Encoding, segments: int) -> None:
    counted = count_segments(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


def test_room_is_what_one_segment_has_left() -> None:
    assert count_segments("a" * 150).room == 10 and count_segments("न" * 75).room == -5
    assert ucs2_units("😀a") == 3
