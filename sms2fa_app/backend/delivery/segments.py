"""How many SMS segments a text costs: GSM 03.38 7-bit when every character is in the GSM-7 basic set or its
extension table (an extension character is an escape plus itself: it counts twice), UCS-2 otherwise.

One segment holds 160 GSM-7 septets or 70 UCS-2 units; a longer text is split into parts of 153 or 67 (each part
spends room on the concatenation header). UCS-2 counts UTF-16 units, so a character outside the BMP (an emoji)
costs two. One character outside GSM-7 turns the whole text into UCS-2: that is what doubles an SMS bill."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

# GSM 03.38 basic character set (the 128 positions; "\x1b" is the escape to the extension table, not text)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}


class Encoding(enum.StrEnum):
    """The alphabet a text goes out in."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentCount:
    """A text's encoding, its length in that encoding's units, and the segments it is billed as."""

    encoding: Encoding
    units: int
    segments: int

    @property
    def room(self) -> int:
        """Units left in one segment (negative: the text needs more than one)."""
        return SINGLE[self.encoding] - self.units


def gsm7_units(text: str) -> int | None:
    """The septets `text` needs in GSM-7 (extension characters count two), or None when it cannot be GSM-7."""
    units = 0
    for character in text:
        if character in GSM7_BASIC:
            units += 1
        elif character in GSM7_EXTENSION:
            units += 2
        else:
            return None
    return units


def ucs2_units(text: str) -> int:
    """The 16-bit units `text` needs in UCS-2/UTF-16 (a character outside the BMP is a surrogate pair)."""
    return len(text.encode("utf-16-le")) // 2


def count_segments(text: str) -> SegmentCount:
    """How `text` is encoded and how many segments it is billed as (an empty text still costs one)."""
    septets = gsm7_units(text)
    encoding, units = (Encoding.GSM7, septets) if septets is not None else (Encoding.UCS2, ucs2_units(text))
    segments = 1 if units <= SINGLE[encoding] else math.ceil(units / PART[encoding])
    return SegmentCount(encoding, units, segments)
