"""What the text that carries a code costs in each language: the console shows each locale's text (as this
deployment sends it: its app name, host and lifetime) with its encoding, its segments and an estimated price.

Why: one character outside GSM-7 makes a text UCS-2, and a text past one segment is billed twice; the operator
sees both before a user's bill does."""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.admin.ops_charts import PriceTable, price_of
from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.delivery.segments import Encoding, count_segments
from sms2fa_app.backend.i18n.locales import SUPPORTED_LOCALES, display_name, language_tag

SAMPLE_CODE = "123456"


@dataclass(frozen=True)
class CodeTextCost:
    """One locale's code text and what it costs (the price at the price table's default, "*", per segment)."""

    locale: str
    tag: str  # BCP 47, for the text's lang attribute
    language: str
    text: str
    encoding: Encoding
    segments: int
    price: float


def code_text_costs(app_name: str, site_host: str, ttl_seconds: int, sms_prices: PriceTable) -> list[CodeTextCost]:
    """Every shipped locale's code text with a sample code, counted and priced."""
    per_segment = price_of(sms_prices, "*")
    costs = []
    for locale in SUPPORTED_LOCALES:
        text = message_text(app_name, SAMPLE_CODE, ttl_seconds, site_host, locale)
        counted = count_segments(text)
        name = f"{display_name(locale)} ({language_tag(locale)})"
        price = counted.segments * per_segment
        costs.append(CodeTextCost(locale, language_tag(locale), name, text, counted.encoding, counted.segments, price))
    return costs
