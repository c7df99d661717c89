"""A developer's own pages, as docs/add-your-own-page.md shows them: loaded through EXTRA_PAGES by the browser
tests' app (tests/e2e/conftest.py) and imported by the unit tests of state/protected.py.

Each page counts the clicks of one button: a click that reaches its handler is visible, a refused one is not."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.assurance import Level
from sms2fa_app.components.layout import card
from sms2fa_app.state.protected import ProtectedState, protected

VAULT_RECENT_SECONDS = 300


class ReportsState(ProtectedState):
    """A page's state: every event of it needs two factors."""

    clicks: int = 0

    @rx.event
    def count(self):
        """The page's own handler: it never runs for a tab without two factors."""
        self.clicks += 1


class VaultState(ProtectedState):
    """A page's state whose events also need a factor within VAULT_RECENT_SECONDS (a step-up)."""

    clicks: int = 0

    @rx.event
    def count(self):
        self.clicks += 1


def _counter(title: str, state: type[ReportsState] | type[VaultState]) -> rx.Component:
    return card(
        title,
        rx.text("Clicks: ", rx.el.span(state.clicks, data_testid="clicks")),
        rx.button("Count", on_click=state.count),
    )


@protected("/example/reports", state=ReportsState, level=Level.TWO_FACTOR, title="Reports")
def reports_page() -> rx.Component:
    return _counter("Reports", ReportsState)


@protected("/example/vault", state=VaultState, level=Level.TWO_FACTOR, recent=VAULT_RECENT_SECONDS, title="Vault")
def vault_page() -> rx.Component:
    return _counter("Vault", VaultState)
