"""The text that carries a code, in the recipient's language, and its budget: one SMS segment in every locale.

"Your sms2fa code is 123456. It expires in 5 minutes. Don't share it.", then the origin-bound line
`@example.com #123456` (browsers and phones offer the code to that site only). A locale whose full sentence would
not fit one segment (a UCS-2 script has 70 units, the line takes up to 11 + the host) gets its short form; both
forms are in every catalog. tests/unit/backend/delivery/test_code_text_budget.py proves the chosen form fits for
the longest app name, host, code and lifetime the settings allow (config_fields.py: MAX_APP_NAME_LENGTH,
MAX_SITE_HOST_LENGTH, MAX_OTP_TTL_SECONDS)."""

from __future__ import annotations

from sms2fa_app.backend.delivery.segments import count_segments
from sms2fa_app.backend.i18n import formats
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE
from sms2fa_app.backend.i18n.phrases import Phrase

CODE_TEXT = Phrase("text.code", "Your {app} code is {code}. It expires in {ttl}. Don't share it.")
# Said instead where the full sentence would cost a second segment (Hindi and Arabic: UCS-2)
CODE_TEXT_SHORT = Phrase("text.code.short", "{app} code: {code}. Don't share it.")
ORIGIN_LINE = "\n\n@{host} #{code}"  # WebOTP / origin-bound codes: a fixed format, never translated


def message_text(app_name: str, code: str, ttl_seconds: int, site_host: str = "", locale: str = DEFAULT_LOCALE) -> str:
    """The SMS body in `locale`, then the `@host #code` line: the full sentence when it fits one segment, else the
    locale's short form."""
    line = ORIGIN_LINE.format(host=site_host, code=code) if site_host else ""
    full = CODE_TEXT(locale, app=app_name, code=code, ttl=formats.duration(ttl_seconds, locale)) + line
    if count_segments(full).segments == 1:
        return full
    return CODE_TEXT_SHORT(locale, app=app_name, code=code) + line
