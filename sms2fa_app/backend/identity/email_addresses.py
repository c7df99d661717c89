"""Email addresses checked strictly and reduced to one canonical form, stored and compared as such.

An address is refused if it holds a control, format (zero-width, bidi) or private-use character, or
any space. What is left is NFKC-normalized (full-width letters become ASCII, ligatures split), then:

- the local part must be 1-64 ASCII characters of a dot-atom (no quoted strings, no comments), and is
  lower-cased: one address is one account whatever its letter case;
- the domain is lower-cased and IDNA-encoded (UTS 46): "bücher.example" is stored as
  "xn--bcher-kva.example"; each label must be written in a single script, so a Latin domain with one
  Cyrillic look-alike letter ("apple.com" with a Cyrillic a) is refused, and so is a label made only of
  Cyrillic or Greek letters that pass for Latin ones under an ASCII top-level domain ("apple.com" spelt
  in Cyrillic); it needs a dot and a top-level label of letters.

The whole canonical address is at most 254 characters.
"""

from __future__ import annotations

import enum
import re
import unicodedata

import idna

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_LENGTH = 64
MAX_INPUT_LENGTH = 1024  # refused unread beyond this
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# Unicode categories never allowed anywhere in an address: controls, format characters (zero-width
# space/joiners, bidi controls, soft hyphen), surrogates, private use, unassigned, separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL"})
# Cyrillic and Greek letters that pass for Latin ones (the set browsers use to show such names as xn--):
# a label made only of these, under an ASCII top-level domain, imitates a Latin name ("apple.com" spelt in Cyrillic).
_LATIN_LOOKALIKES = frozenset("асԁеһіјӏорԛѕԝхуъьҽпгѵѡ" + "οςρνικχυατ")


class EmailProblem(enum.Enum):
    """Why an address is refused."""

    MISSING = "missing"
    INVALID = "invalid"


def _refused_character(text: str) -> bool:
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES or char.isspace() for char in text)


def _script(char: str) -> str:
    """The script a letter belongs to, from its Unicode name ("LATIN", "CYRILLIC", "GREEK", "CJK", ...)."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _single_script(label: str) -> bool:
    """True when every letter of a domain label comes from one script (digits and hyphens count for none);
    Han, kana and hangul may mix, as they do in Japanese and Korean names."""
    scripts = {_script(char) for char in label if char.isalpha()}
    return len(scripts) <= 1 or scripts <= _EAST_ASIAN


def _imitates_latin(label: str) -> bool:
    letters = [char for char in label if char.isalpha()]
    return bool(letters) and not label.isascii() and all(char in _LATIN_LOOKALIKES for char in letters)


def canonical_email(raw: object) -> str | EmailProblem:
    """The canonical form of an address, or why it is refused."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT_LENGTH:
        return EmailProblem.INVALID
    trimmed = raw.strip(" \t\r\n")
    if not trimmed:
        return EmailProblem.MISSING
    if _refused_character(trimmed):
        return EmailProblem.INVALID
    address = unicodedata.normalize("NFKC", trimmed)
    if _refused_character(address) or address.count("@") != 1:
        return EmailProblem.INVALID
    local, domain = address.lower().split("@")
    if not (0 < len(local) <= MAX_LOCAL_LENGTH) or not local.isascii() or not _LOCAL.fullmatch(local):
        return EmailProblem.INVALID
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return EmailProblem.INVALID
    canonical = f"{local}@{ascii_domain}"
    return canonical if len(canonical) <= MAX_EMAIL_LENGTH else EmailProblem.INVALID


def _ascii_domain(domain: str) -> str | None:
    """The domain IDNA-encoded, lower-case ASCII; None when it is not a valid, single-script host name.

    The scripts are checked on the decoded labels, so a look-alike typed as "xn--..." is refused too."""
    labels = domain.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        return None
    try:
        encoded = idna.encode(domain, uts46=True, transitional=False).decode("ascii").lower()
        decoded = idna.decode(encoded)  # every xn-- label must decode back to a valid label
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    unicode_labels = decoded.split(".")
    if not all(_single_script(label) for label in unicode_labels):
        return None
    if unicode_labels[-1].isascii() and any(_imitates_latin(label) for label in unicode_labels[:-1]):
        return None
    if not _TOP_LEVEL.fullmatch(encoded.rsplit(".", 1)[1]):
        return None
    return encoded
