"""The admin console's SMS operations charts, aggregated on the server from the stored events (ops_events.py).

Over the last `hours` hours: texts, calls and WhatsApp messages per hour by destination country (the busiest
countries by name, the rest as "other"), the delivery rate per hour (delivered among the sent messages whose fate is
known), refusals by limit, blocked countries, and the estimated spend by country from the price tables in settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Integer, cast, func
from sqlmodel import col, select

from sms2fa_app.backend.admin.ops_events import BLOCKED, SENT
from sms2fa_app.backend.delivery.status import Channel, DeliveryState
from sms2fa_app.backend.factors.sms_policy import SendRefusal
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import SmsOpsEvent

HOUR = 3600
TOP_COUNTRIES = 4  # named series per traffic chart; the rest add up to OTHER
OTHER = "other"
UNKNOWN = "unknown"  # a number that did not parse has no country
MAX_GROUPS = 50_000  # a bound on one chart read: groups of (hour, channel, country, outcome, state), not events

PriceTable = tuple[tuple[str, float], ...]


def price_of(table: PriceTable, country: str) -> float:
    """The price of one message to `country` ("*" for any other; 0 when the table names neither)."""
    prices = dict(table)
    return prices.get(country, prices.get("*", 0.0))


@dataclass(frozen=True)
class Traffic:
    """Sent messages of one channel per hour: `series` names the countries, each hour counts them in that order."""

    series: tuple[str, ...]
    hours: tuple[tuple[float, tuple[int, ...]], ...]  # (start of the hour, count per series)


@dataclass(frozen=True)
class Spend:
    """The estimated spend for one country."""

    country: str
    texts: int
    calls: int
    amount: float
    whatsapp: int = 0


@dataclass(frozen=True)
class OpsCharts:
    """Everything the console draws."""

    since: float
    texts: Traffic
    calls: Traffic
    delivery: tuple[tuple[float, int, int], ...]  # (hour, delivered, with a known fate)
    refusals: tuple[tuple[str, int], ...]  # (refusal, count), most first
    blocked: tuple[tuple[str, int, int], ...]  # (country, times its cap blocked it, sends refused while blocked)
    spend: tuple[Spend, ...] = field(default=())
    whatsapp: Traffic = Traffic((), ())

    @property
    def total_spend(self) -> float:
        """The whole estimate."""
        return sum(entry.amount for entry in self.spend)


class OpsChartsReader:
    """Reads the stored events into OpsCharts."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        sms_prices: PriceTable,
        voice_prices: PriceTable,
        before_read: Callable[[], object] = lambda: None,
        whatsapp_prices: PriceTable = (),
    ):
        """`before_read`: brings the rows up to date first (OpsEvents.flush: the delivery reports' journal)."""
        self._db = database
        self._clock = clock
        self._prices = {Channel.SMS: sms_prices, Channel.VOICE: voice_prices, Channel.WHATSAPP: whatsapp_prices}
        self._before_read = before_read

    def read(self, hours: int = 24) -> OpsCharts:
        """The charts of the last `hours` whole hours (the current one included)."""
        hours = max(1, min(int(hours), 24 * 14))
        self._before_read()
        first = (int(self._clock.now()) // HOUR - hours + 1) * HOUR
        offset = (col(SmsOpsEvent.at) - first) / HOUR  # >= 0: the SQLite cast truncates, Postgres' would round
        hour = func.floor(offset) if self._db.engine.dialect.name == "postgresql" else cast(offset, Integer)
        keys = (hour, SmsOpsEvent.channel, SmsOpsEvent.country, SmsOpsEvent.outcome, SmsOpsEvent.state)
        with self._db.session() as db:  # counted in SQL: one row per group, whatever the traffic was
            grouped = db.exec(
                select(*keys, func.count())
                .where(col(SmsOpsEvent.at) >= first)
                .group_by(*keys)
                .order_by(*keys)
                .limit(MAX_GROUPS)
            ).all()
        starts = [first + index * HOUR for index in range(hours)]
        rows = [(first + int(index) * HOUR, *rest) for index, *rest in grouped]  # (hour start, ..., count)
        sent = [row for row in rows if row[3] == SENT]
        return OpsCharts(
            since=first,
            texts=_traffic(starts, [row for row in sent if row[1] == Channel.SMS.value]),
            calls=_traffic(starts, [row for row in sent if row[1] == Channel.VOICE.value]),
            delivery=_delivery(starts, sent),
            refusals=tuple(_count(rows, lambda row: row[3] if row[3] in _REFUSALS else None).most_common()),
            blocked=_blocked(rows),
            spend=self._spend(sent),
            whatsapp=_traffic(starts, [row for row in sent if row[1] == Channel.WHATSAPP.value]),
        )

    def _spend(self, sent: list) -> tuple[Spend, ...]:
        counts: dict[str, Counter] = {}
        for _at, channel, country, _outcome, _state, n in sent:
            counts.setdefault(country or UNKNOWN, Counter())[channel] += n
        spend = [
            Spend(
                country,
                texts=by_channel[Channel.SMS.value],
                calls=by_channel[Channel.VOICE.value],
                whatsapp=by_channel[Channel.WHATSAPP.value],
                amount=round(
                    sum(
                        by_channel[channel.value] * price_of(prices, country)
                        for channel, prices in self._prices.items()
                    ),
                    4,
                ),
            )
            for country, by_channel in counts.items()
        ]
        return tuple(sorted(spend, key=lambda entry: (-entry.amount, entry.country)))


_REFUSALS = frozenset(refusal.value for refusal in SendRefusal)
_KNOWN_FATES = frozenset(state.value for state in DeliveryState if state.final)


def _count(rows: list, key: Callable[[tuple], str | None]) -> Counter:
    """The events of the grouped rows (their last field counts them) by `key` (None: not counted)."""
    counts: Counter = Counter()
    for row in rows:
        if (name := key(row)) is not None:
            counts[name] += row[-1]
    return counts


def _hour(starts: list[int], at: float) -> int:
    return min(len(starts) - 1, max(0, int((at - starts[0]) // HOUR)))


def _traffic(starts: list[int], sent: list) -> Traffic:
    by_country = _count(sent, lambda row: row[2] or UNKNOWN)
    named = [country for country, _count in by_country.most_common(TOP_COUNTRIES)]
    series = (*named, OTHER) if len(by_country) > len(named) else tuple(named)
    counts = [[0] * len(series) for _ in starts]
    for row in sent:
        country = row[2] or UNKNOWN
        counts[_hour(starts, row[0])][series.index(country if country in named else OTHER)] += row[-1]
    return Traffic(series, tuple((float(start), tuple(hour)) for start, hour in zip(starts, counts, strict=True)))


def _delivery(starts: list[int], sent: list) -> tuple[tuple[float, int, int], ...]:
    delivered = [0] * len(starts)
    known = [0] * len(starts)
    for row in sent:
        if row[4] in _KNOWN_FATES:
            hour = _hour(starts, row[0])
            known[hour] += row[-1]
            delivered[hour] += row[-1] if row[4] == DeliveryState.DELIVERED.value else 0
    return tuple((float(start), delivered[index], known[index]) for index, start in enumerate(starts))


def _blocked(rows: list) -> tuple[tuple[str, int, int], ...]:
    blocks = _count(rows, lambda row: row[2] if row[3] == BLOCKED else None)
    refused = _count(rows, lambda row: row[2] if row[3] == SendRefusal.COUNTRY_BLOCKED.value else None)
    countries = sorted(set(blocks) | set(refused), key=lambda country: (-blocks[country] - refused[country], country))
    return tuple((country or UNKNOWN, blocks[country], refused[country]) for country in countries)
