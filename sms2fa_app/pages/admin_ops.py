"""/admin/sms: SMS operations as charts (Reflex's recharts), drawn from the events the server stored."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.language import t, t_around
from sms2fa_app.pages.admin_layout import admin_shell
from sms2fa_app.state import words
from sms2fa_app.state.admin import AdminOpsState as S
from sms2fa_app.state.words import admin_pages as W
from sms2fa_app.state.words.catalogue import Text

HEIGHT = 260


# Readable at 375 px: small ticks that skip labels rather than overlap, and no chart wider than its card.
TICK = {"font_size": 12}


def _chart_card(
    title: Text, chart_id: str, chart: rx.Component, empty: rx.Var[bool], note: rx.Component | None = None
) -> rx.Component:
    """A chart under its heading, or "No data yet" when there is nothing to draw (not bare axes)."""
    return rx.card(
        rx.vstack(
            rx.heading(t(title), size="3", as_="h2"),
            *([note] if note is not None else []),
            rx.box(
                rx.cond(
                    empty,
                    rx.text(
                        t(words.admin.NO_DATA),
                        color_scheme="gray",
                        size="2",
                        custom_attrs={"data-message-id": words.admin.NO_DATA.id},
                    ),
                    chart,
                ),
                width="100%",
                min_width="0",
                overflow="hidden",
                id=chart_id,
                class_name="admin-chart",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )


def _x_axis(key: str) -> rx.Component:
    return rx.recharts.x_axis(data_key=key, tick=TICK, interval="preserveStartEnd", min_tick_gap=8)


def _traffic(rows: rx.Var, series: rx.Var) -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        _x_axis("hour"),
        rx.recharts.y_axis(allow_decimals=False, tick=TICK, width=32),
        rx.recharts.legend(),
        rx.recharts.graphing_tooltip(),
        rx.foreach(
            series,
            lambda s: rx.recharts.bar(data_key=s["key"], name=s["key"], fill=s["color"], stack_id="sent"),
        ),
        data=rows,
        width="100%",
        height=HEIGHT,
    )


def _bars(
    rows: rx.Var, category: str, *bars: tuple[str, Text | rx.Var[str], str], amounts: bool = False
) -> rx.Component:
    """Bars by `category`; counts are whole numbers, `amounts` (money) need room for their decimals."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        _x_axis(category),
        rx.recharts.y_axis(tick=TICK, width=56 if amounts else 40, allow_decimals=amounts),
        rx.recharts.legend(),
        rx.recharts.graphing_tooltip(),
        *[rx.recharts.bar(data_key=key, name=_series(name), fill=color) for key, name, color in bars],
        data=rows,
        width="100%",
        height=HEIGHT,
    )


def _series(name: Text | rx.Var[str]) -> rx.Var[str]:
    """A series' name in the legend and tooltip: a page's words in the tab's language, a state's as sent."""
    return t(name) if isinstance(name, Text) else name


_CELL = {"text-align": "start", "padding": "var(--space-2)", "border-bottom": "1px solid var(--gray-a5)"}


def _code_text_row(row: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.th(row["language"], scope="row", style=_CELL),
        rx.el.td(rx.el.span(row["text"], lang=row["tag"], style={"white-space": "pre-wrap"}), style=_CELL),
        rx.el.td(row["encoding"], style=_CELL),
        rx.el.td(row["segments"], style=_CELL),
        rx.el.td(row["price"], style=_CELL),
        custom_attrs={"data-locale": row["locale"]},
    )


def _code_texts() -> rx.Component:
    """Each language's code text as this deployment sends it, and what one costs (issue 26)."""
    headers = (words.pages.LANGUAGE, W.TEXT_WITH_SAMPLE_CODE, W.ENCODING, W.SEGMENTS, W.ESTIMATED_PRICE)
    return rx.card(
        rx.vstack(
            rx.heading(t(W.CODE_TEXTS), size="3", as_="h2"),
            rx.el.div(  # a plain table in a focusable region: on a phone it scrolls sideways by keyboard too
                rx.el.table(
                    rx.el.thead(rx.el.tr(*[rx.el.th(t(header), scope="col", style=_CELL) for header in headers])),
                    rx.el.tbody(rx.foreach(S.code_texts, _code_text_row)),
                    id="admin-code-texts",
                    style={"width": "100%", "border-collapse": "collapse", "font-size": "var(--font-size-2)"},
                ),
                role="region",
                aria_label=t(W.CODE_TEXTS),
                tab_index=0,
                style={"overflow-x": "auto", "width": "100%"},
            ),
            rx.text(t(W.PRICE_NOTE), size="2"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def admin_ops_page() -> rx.Component:
    """Texts, calls and WhatsApp messages per hour by country, delivery rate, refusals by limit, blocked countries,
    estimated spend."""
    return admin_shell(
        W.SMS_OPERATIONS_TITLE,
        S,
        rx.hstack(
            rx.button(t(W.REFRESH), on_click=S.refresh, loading=S.busy, variant="outline"),
            rx.text(t_around(W.ESTIMATED_SPEND, "amount", rx.text.strong(S.total_spend)), id="admin-total-spend"),
            spacing="4",
            align="center",
            wrap="wrap",
        ),
        _chart_card(
            W.TEXTS_PER_HOUR,
            "chart-texts",
            _traffic(S.texts, S.texts_series),
            S.texts_series.length() == 0,
        ),
        _chart_card(
            W.CALLS_PER_HOUR,
            "chart-calls",
            _traffic(S.calls, S.calls_series),
            S.calls_series.length() == 0,
        ),
        _chart_card(
            W.WHATSAPP_PER_HOUR,
            "chart-whatsapp",
            _traffic(S.whatsapp, S.whatsapp_series),
            S.whatsapp_series.length() == 0,
        ),
        _chart_card(
            W.DELIVERY_RATE,
            "chart-delivery",
            rx.recharts.line_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                _x_axis("hour"),
                rx.recharts.y_axis(domain=[0, 100], tick=TICK, width=32),
                rx.recharts.graphing_tooltip(),
                rx.recharts.line(data_key="rate", name=t(W.DELIVERED_PERCENT), stroke="#22c55e", connect_nulls=True),
                data=S.delivery,
                width="100%",
                height=HEIGHT,
            ),
            ~S.delivery_known,
            rx.text(S.delivery_summary, size="2", id="admin-delivery-summary"),
        ),
        rx.grid(
            _chart_card(
                W.REFUSALS_BY_LIMIT,
                "chart-refusals",
                _bars(S.refusals, "limit", ("count", W.REFUSED, "#f59e0b")),
                S.refusals.length() == 0,
            ),
            _chart_card(
                W.BLOCKED_COUNTRIES,
                "chart-blocked",
                _bars(
                    S.blocked,
                    "country",
                    ("blocks", W.CAPS_REACHED, "#ef4444"),
                    ("refused", W.SENDS_REFUSED, "#94a3b8"),
                ),
                S.blocked.length() == 0,
            ),
            _chart_card(
                W.SPEND_BY_COUNTRY,
                "chart-spend",
                _bars(S.spend, "country", ("amount", S.spend_label, "#6366f1"), amounts=True),
                S.spend.length() == 0,
            ),
            columns=rx.breakpoints(initial="1", md="3"),  # one per row on a phone
            spacing="4",
            width="100%",
        ),
        _code_texts(),
    )
