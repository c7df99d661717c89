"""Browser-side tools of the end-to-end tests: a virtual WebAuthn authenticator and the axe-core check.

The authenticator is Chromium's own, through the DevTools Protocol's WebAuthn domain on a CDP session of the
page (no hardware): an internal (platform) CTAP2 authenticator that keeps resident keys and verifies its user.
axe-core comes from npm into .tools/axe (scripts/ensure_test_tools.sh, run by `make test`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@dataclass
class VirtualAuthenticator:
    """A virtual authenticator attached to one page."""

    session: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict[str, Any]]:
        """The credentials it holds (id, rpId, userHandle, signCount, isResidentCredential, ...)."""
        answer = self.session.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})
        return list(answer["credentials"])


def add_virtual_authenticator(page: Page, *, resident_keys: bool = True) -> VirtualAuthenticator:
    """Give the page a platform authenticator that verifies its user and answers by itself. Without
    `resident_keys` it behaves like a plain security key: only a credential the server names signs in."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": resident_keys,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    added = session.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return VirtualAuthenticator(session, added["authenticatorId"])


def _axe_script() -> Path:
    if AXE_SCRIPT.is_file():
        return AXE_SCRIPT
    message = f"{AXE_SCRIPT} is missing (run scripts/ensure_test_tools.sh)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: the accessibility checks must run, but {message}", pytrace=False)
    pytest.skip(message)


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page once its animations have settled (a toast fading in is
    semi-transparent mid-way), one line each: rule, impact, the first elements and why."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    # Through DevTools, not a <script> tag: behind nginx the page's CSP (scripts by hash only) refuses inline scripts,
    # and what the test itself evaluates is not the page's (the CSP does not apply to it).
    page.evaluate("() => {\n" + _axe_script().read_text() + "\n}")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v =>
                `${v.id} (${v.impact}): ${v.help} at ` +
                v.nodes.slice(0, 3).map(n => `${n.target.join(" ")} [${n.failureSummary}]`).join(", "));
        }"""
    )


def assert_accessible(page: Page, where: str) -> None:
    """axe-core reports no violation on the page."""
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {where}:\n" + "\n".join(violations)
