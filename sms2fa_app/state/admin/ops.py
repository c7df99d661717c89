"""/admin/sms: SMS operations as charts, from the events stored on the server (backend/admin/ops_charts.py).

The browser gets numbers per hour and per country, never a number, a user or a code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sms2fa_app.backend.admin.code_texts import code_text_costs
from sms2fa_app.backend.admin.ops_charts import OpsCharts, Traffic
from sms2fa_app.state import words
from sms2fa_app.state.admin.base import AdminState, admin_guarded
from sms2fa_app.state.guard import Caller
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId

PALETTE = ("#6366f1", "#0ea5e9", "#22c55e", "#f59e0b", "#94a3b8")
WINDOW_HOURS = 24


def _hour_label(start: float) -> str:
    return datetime.fromtimestamp(start, UTC).strftime("%H:00")


def _traffic(traffic: Traffic) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Rows per hour ({"hour": "14:00", "US": 3, ...}) and the series to stack (key, color)."""
    rows = [
        {"hour": _hour_label(start), **dict(zip(traffic.series, counts, strict=True))}
        for start, counts in traffic.hours
    ]
    series = [{"key": name, "color": PALETTE[index % len(PALETTE)]} for index, name in enumerate(traffic.series)]
    return rows, series


class AdminOpsState(ErrorId, AdminState):
    """The charts' data, read on page load and on "Refresh"."""

    texts: list[dict[str, Any]] = []
    texts_series: list[dict[str, str]] = []
    calls: list[dict[str, Any]] = []
    calls_series: list[dict[str, str]] = []
    whatsapp: list[dict[str, Any]] = []
    whatsapp_series: list[dict[str, str]] = []
    delivery: list[dict[str, Any]] = []
    delivery_summary: str = ""
    refusals: list[dict[str, Any]] = []
    blocked: list[dict[str, Any]] = []
    spend: list[dict[str, Any]] = []
    total_spend: str = ""  # with its currency (PRICE_CURRENCY), e.g. "1.23 USD"
    spend_label: str = ""  # the spend chart's series, with the currency
    delivery_known: bool = False  # a delivery report came back: the rate chart has points
    code_texts: list[dict[str, Any]] = []  # each language's code text: encoding, segments, estimated price
    loaded: bool = False
    error: str = ""
    busy: bool = False

    async def load(self):
        """on_load: sign-in and admin checks, then the charts."""
        return await self._fresh_admin_page(self._read)

    async def _read(self) -> None:
        self._show(await run_backend(self._services().admin.charts.read, WINDOW_HOURS))

    @admin_guarded()
    async def refresh(self, caller: Caller) -> list:
        """Read the charts again."""
        self._show(await run_backend(self._services().admin.charts.read, WINDOW_HOURS))
        return []

    def _show(self, charts: OpsCharts) -> None:
        self.texts, self.texts_series = _traffic(charts.texts)
        self.calls, self.calls_series = _traffic(charts.calls)
        self.whatsapp, self.whatsapp_series = _traffic(charts.whatsapp)
        self.delivery = [
            {"hour": _hour_label(start), "rate": round(100 * delivered / known, 1) if known else None}
            for start, delivered, known in charts.delivery
        ]
        delivered = sum(entry[1] for entry in charts.delivery)
        known = sum(entry[2] for entry in charts.delivery)
        self.delivery_summary = words.admin.delivery_summary(delivered, known)
        self.refusals = [{"limit": words.admin.refusal_label(name), "count": count} for name, count in charts.refusals]
        self.blocked = [{"country": c, "blocks": blocks, "refused": refused} for c, blocks, refused in charts.blocked]
        self.spend = [{"country": entry.country, "amount": entry.amount} for entry in charts.spend]
        currency = self._services().settings.price_currency
        self.total_spend = words.admin.money(charts.total_spend, currency)
        self.spend_label = words.admin_pages.SPEND_IN.format(currency=currency)
        self.delivery_known = known > 0
        settings = self._services().settings
        self.code_texts = [
            {
                "locale": cost.locale,
                "tag": cost.tag,
                "language": cost.language,
                "text": cost.text,
                "encoding": cost.encoding.value,
                "segments": cost.segments,
                "price": words.admin.money(cost.price, currency, places=4),
            }
            for cost in code_text_costs(
                settings.app_name, settings.site_host, settings.otp_ttl_seconds, settings.sms_price_table
            )
        ]
        self.loaded = True
