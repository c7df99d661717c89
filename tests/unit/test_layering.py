"""The import layering, read from every module's imports (ast): each area imports only areas below it.

pages → components → state (and api) → services → admin → flows → factors → identity → audit → delivery → infra
→ models → config. The backend knows no Reflex; identity never imports factors; no leaf imports flows/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sms2fa_app"

# Higher ranks may import lower ones (and their own area); nothing imports upward or sideways.
RANKS: dict[str, int] = {
    "sms2fa_app": 100,  # the app module (sms2fa_app/sms2fa_app.py) and the package itself
    "dev_server": 100,
    "pages": 60,
    "components": 55,
    "state": 50,
    "api": 50,
    "reflex_adapter": 45,  # Reflex's private parts, for the app module, state/ and components/; imports no app module
    "reflex_language": 45,  # the same, for the tab's language (state/language.py)
    "reflex_frames": 45,  # the same, the websocket-frame patches (the app module, state/language.py)
    "backend.services": 40,
    "backend.admin": 35,
    "backend.housekeeping": 35,  # imports backend.oidc (32) to purge its tokens
    "backend.preflight": 35,
    "backend.oidc": 32,  # the OpenID provider: reads login sessions (identity), used by services and admin
    "backend.flows": 30,
    "backend.protect": 25,  # forward-auth: rules and the verifier over identity's sessions
    "backend.factors": 20,
    "backend.identity": 15,
    "backend.audit": 10,
    "backend.delivery": 8,
    "backend.page_access": 7,  # a protected page's rule, read from the assurance (state/protected.py)
    "backend.i18n": 7,  # languages: locales, catalogs, CLDR formats (Babel only; delivery words and state use it)
    "backend.assurance": 6,
    "backend.vocabulary": 6,  # EventKind: what can happen to an account (delivery's letters and audit name it)
    "backend.infra": 5,
    "backend.models": 3,
    "backend": 3,  # sms2fa_app/backend/__init__.py
    "config": 2,
    "config_checks": 1,  # the cross-field rules config.Settings runs; reads config_fields' helpers
    "config_fields": 0,
    "config_rules": 0,  # FORWARD_AUTH_RULES' grammar (backend/protect applies it)
    "config_secrets": 0,  # SECRET_KEY's and METRICS_TOKEN's checks
}
FRAMEWORK = ("reflex", "reflex_base")


def _area(module: str) -> str | None:
    """The layering area of a dotted module name (None: outside the app and not the framework)."""
    parts = module.split(".")
    if parts[0] in FRAMEWORK:
        return "reflex"
    if parts[0] != "sms2fa_app":
        return None
    if len(parts) == 1:
        return "sms2fa_app"
    if parts[1] == "backend" and len(parts) > 2:
        return f"backend.{parts[2]}"
    return parts[1]


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[dotted.removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "sms2fa_app" and node.level == 0:
            names.extend(f"sms2fa_app.{alias.name}" for alias in node.names)  # `from sms2fa_app import state`
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def layering_violations() -> list[str]:
    """Every import that points the wrong way, as "importer -> imported (rule)"."""
    violations = []
    for module, path in _modules().items():
        own = _area(module)
        assert own in RANKS, f"{module}: no layer declared for area {own!r}"
        for imported in _imports(path):
            other = _area(imported)
            if other is None or other == own:
                continue
            if other == "reflex":
                if own.startswith("backend") or own.startswith("config"):
                    violations.append(f"{module} -> {imported} (the backend knows no Reflex)")
                continue
            assert other in RANKS, f"{imported}: no layer declared for area {other!r}"
            if RANKS[other] >= RANKS[own]:
                violations.append(f"{module} -> {imported} ({own} may not import {other})")
    return violations


def test_imports_point_one_way():
    violations = layering_violations()
    print("\n".join(["import violations:", *violations] if violations else ["import violations: none"]))
    assert violations == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("sms2fa_app.backend.identity.x", "sms2fa_app.backend.factors.y", False),
        ("sms2fa_app.backend.factors.x", "sms2fa_app.backend.flows.y", False),
        ("sms2fa_app.backend.identity.x", "sms2fa_app.backend.flows.y", False),
        ("sms2fa_app.backend.flows.x", "sms2fa_app.backend.factors.y", True),
        ("sms2fa_app.backend.flows.x", "sms2fa_app.backend.identity.y", True),
        ("sms2fa_app.backend.infra.x", "sms2fa_app.state.y", False),
        ("sms2fa_app.state.x", "sms2fa_app.pages.y", False),
    ],
)
def test_the_rule_reads_areas(importer: str, imported: str, allowed: bool):
    """The rule itself: the pairs the issue names, each way round."""
    assert (RANKS[str(_area(imported))] < RANKS[str(_area(importer))]) is allowed
