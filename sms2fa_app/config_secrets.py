"""The checks of a secret the operator chooses (SECRET_KEY, METRICS_TOKEN), and development's generated key.

Production takes only a secret that looks generated; development may leave SECRET_KEY empty and gets a key kept
in DATA_DIR. A refusal is a ValueError whose words follow the variable's name in the one-line ConfigError.
"""

from __future__ import annotations

import logging
import math
import secrets
from pathlib import Path
from typing import Any

from zxcvbn.matching import omnimatch
from zxcvbn.scoring import most_guessable_match_sequence

log = logging.getLogger("sms2fa.config")

# SECRET_KEY values published with the project (.env.example); never accepted in production.
SAMPLE_SECRET_KEYS = frozenset({"change-me-to-a-long-random-string-of-48-characters"})
SECRET_ADVICE = 'generate one with: python -c "import secrets; print(secrets.token_hex(32))"'
# A secret the operator chooses must be generated, not made up. Two rules, both on the first SCORED_SECRET_LENGTH
# characters (zxcvbn reads no more; guessing a whole secret takes at least the guesses of its start):
# - zxcvbn's estimate of the guesses an attacker needs must reach 2**128 (64 random hex characters score about 195
#   bits; shorter made-up keys, such as "ThisIsTheProductionSecretKeyOfSms2fa2026", 95);
# - readable runs may cover at most a third of it. zxcvbn multiplies the ranks of the words it finds, so any phrase
#   over ~45 characters clears 2**128 ("the quick brown fox jumps over the lazy dog 1234" scores 141 bits), yet its
#   words cover 0.43 to 0.75 of it. A readable run is a word of 4+ characters from zxcvbn's lists (reversed or l33t:
#   5+, under half of it swapped), a repeat or sequence of 4+, or a keyboard run of 6+. Dates, years and digit-only
#   words are left out: random hex is full of digit runs that read as dates. Over 2000 seeded samples each (review
#   round 2), random keys stay under it: hex of 32 bytes at most 0.28 (18 of 64), urlsafe base64 of 48-64 characters
#   at most 0.29, and no fewer than 194 and 154 bits.
MIN_SECRET_BITS = 128
SCORED_SECRET_LENGTH = 72
MAX_READABLE_SHARE = 1 / 3
MIN_WORD_LENGTH = 4
MIN_DISGUISED_WORD_LENGTH = 5  # a reversed or l33t word
MIN_KEYBOARD_RUN = 6


def is_readable_run(match: dict[str, Any]) -> bool:
    """Whether a zxcvbn match is something a person types on purpose (see MAX_READABLE_SHARE), not chance."""
    token: str = match["token"]
    if match["pattern"] == "spatial":
        return len(token) >= MIN_KEYBOARD_RUN
    if match["pattern"] not in ("dictionary", "repeat", "sequence") or len(token) < MIN_WORD_LENGTH:
        return False
    if match["pattern"] == "dictionary" and not any(char.isalpha() for char in token):
        return False  # 1234, 2111: digit runs random hex is full of
    disguised = match.get("l33t") or match.get("reversed")
    if disguised and len(token) < MIN_DISGUISED_WORD_LENGTH:
        return False  # random base64 is full of 4-character reversed or l33t names: "bboR", "C0dI"
    swapped = sum(token.count(char) for char in match.get("sub", {})) if match.get("l33t") else 0
    return swapped * 2 < len(token)


def secret_weakness(secret: str) -> tuple[float, float]:
    """zxcvbn's bits (log2 of its guesses) and the share of characters in readable runs, of the scored start."""
    scored = secret[:SCORED_SECRET_LENGTH]
    matches = omnimatch(scored)
    readable = {index for match in matches if is_readable_run(match) for index in range(match["i"], match["j"] + 1)}
    bits = math.log2(most_guessable_match_sequence(scored, matches)["guesses"])
    return bits, len(readable) / len(scored)


def looks_generated(secret: str) -> bool:
    """Both rules: 2**128 guesses by zxcvbn and at most MAX_READABLE_SHARE of it readable."""
    bits, readable_share = secret_weakness(secret)
    return bits >= MIN_SECRET_BITS and readable_share <= MAX_READABLE_SHARE


def checked_secret(secret: str | None, production: bool, data_dir: Path, secret_key: str | None = None) -> str | None:
    """A secret the operator chooses (SECRET_KEY, METRICS_TOKEN; not one Plivo or a mail provider issues), checked:
    production takes only a generated-looking one, and a METRICS_TOKEN other than secret_key (one leaked value must
    not both read /metrics and sign sessions). An empty SECRET_KEY is, in development only, the key kept in
    data_dir, made on first use."""
    if secret is None:  # an optional one left unset (METRICS_TOKEN: /metrics answers 404)
        return None
    if not secret:
        return development_key(production, data_dir)
    if len(secret) < 32:
        raise ValueError("must be at least 32 characters")
    if production and (secret in SAMPLE_SECRET_KEYS or "change-me" in secret.lower()):
        raise ValueError(f"is the sample value from .env.example; {SECRET_ADVICE}")
    if production and secret == secret_key:
        raise ValueError(f"must differ from SECRET_KEY: {SECRET_ADVICE}")
    if production and not looks_generated(secret):
        raise ValueError(
            f"is too weak for APP_ENV=production (a made-up phrase or a pattern; {MIN_SECRET_BITS} random bits "
            f"needed): {SECRET_ADVICE}"
        )
    return secret


def development_key(production: bool, data_dir: Path) -> str:
    """The development SECRET_KEY kept in data_dir, made on first use; production must be given one."""
    if production:
        raise ValueError("is required when APP_ENV=production")
    key_file = data_dir / "secret_key"
    try:
        if key_file.is_file():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError as error:
        raise ValueError(
            f"is not set, and DATA_DIR ({data_dir}) must then be a writable directory for the development key: "
            f"{error.strerror or error}"
        ) from None
    log.warning("SECRET_KEY not set: generated a development key in %s", key_file)
    return key
