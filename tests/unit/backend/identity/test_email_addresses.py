"""Strict email addresses: hidden and look-alike characters refused, NFKC, IDNA, one canonical form."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.identity.email_addresses import EmailProblem, canonical_email


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada+tag@example.com", "ada+tag@example.com"),
        ("\uff41\uff44\uff41@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "ada@example.com"),  # full-width: NFKC
        ("ada@b\u00fccher.example", "ada@xn--bcher-kva.example"),  # IDNA
        ("ada@B\u00dcCHER.example", "ada@xn--bcher-kva.example"),  # one form whatever the case
        ("ada@xn--bcher-kva.example", "ada@xn--bcher-kva.example"),
        ("ada@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "ada@xn--e1afmkfd.xn--p1ai"),  # Cyrillic under .рф
        ("ada@\u30c6\u30b9\u30c8.jp", "ada@xn--zckzah.jp"),
    ],
)
def test_canonical_forms(raw: str, canonical: str) -> None:
    assert canonical_email(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "ada\x00@example.com",  # NUL
        "ada\u200b@example.com",  # zero-width space
        "ada@exam\u200dple.com",  # zero-width joiner
        "ada\u202e@example.com",  # right-to-left override
        "ada\u00ad@example.com",  # soft hyphen
        "ad a@example.com",
        "ada\n@example.com",  # a newline inside (surrounding blanks are only trimmed)
        "ada@\u0430pple.com",  # one Cyrillic letter in a Latin name
        "ada@\u0430\u0440\u0440\u04cf\u0435.com",  # "apple" spelt in Cyrillic under .com
        "ada@xn--pple-43d.com",  # the same look-alike typed as punycode
        "\u0430da@example.com",  # a non-ASCII local part
        '"ada"@example.com',
        "ada@@example.com",
        "ada@example",
        "ada@example..com",
        "ada@-example.com",
        "ada@example.c0m",
        "a..da@example.com",
        "x" * 65 + "@example.com",
        "ada@" + "a" * 250 + ".com",
        "x" * 2000,
    ],
)
def test_refused_addresses(raw: str) -> None:
    assert canonical_email(raw) is EmailProblem.INVALID


def test_missing_addresses() -> None:
    assert canonical_email("") is EmailProblem.MISSING
    assert canonical_email("   ") is EmailProblem.MISSING
    assert canonical_email(None) is EmailProblem.INVALID
