"""The admin console's charts (Reflex's recharts) behind nginx's CSP: they draw, and the `page` fixture fails the test
on any CSP violation. The stack's database is PostgreSQL, so the admin migration and the events run there too."""

from __future__ import annotations

from playwright.sync_api import Page

from sms2fa_app.backend.services import Services
from tests.e2e.test_admin_console import test_the_sms_charts_render_from_seeded_events as charts_story
from tests.support.browser_capture import BrowserCapture
from tests.support.plivo_server import LocalPlivo


def test_the_admin_charts_render_under_the_csp(
    page: Page, plivo: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    charts_story(page, plivo, backend, capture)
