"""panva's openid-client (node, .tools/oidc) as the tests' independent relying party (tests/support/oidc_rp.mjs),
and the browser's part of the code flow over HTTP with a session cookie."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from scripts.stack import PROJECT_ROOT

SCRIPT = Path(__file__).with_name("oidc_rp.mjs")
MODULES = PROJECT_ROOT / ".tools" / "oidc" / "node_modules"
NODE_TIMEOUT_SECONDS = 30


def node_binary() -> str:
    """node, which runs openid-client (scripts/ensure_test_tools.sh installs it into .tools/oidc)."""
    found = shutil.which("node")
    if not found or not (MODULES / "openid-client" / "package.json").is_file():
        raise RuntimeError("node and openid-client (.tools/oidc) are needed: run scripts/ensure_test_tools.sh")
    return found


@dataclass(frozen=True)
class Started:
    """An authorization request the relying party made: its URL and the values it must check on the way back."""

    url: str
    verifier: str
    nonce: str
    state: str
    metadata: dict[str, Any]


@dataclass
class NodeRelyingParty:
    """One registered client, driven through openid-client."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str

    def _run(self, op: str, **fields: Any) -> dict[str, Any]:
        command = {
            "op": op,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            **fields,
        }
        done = subprocess.run(
            [node_binary(), str(SCRIPT), str(MODULES), json.dumps(command)],
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_SECONDS,
            check=False,
        )
        assert done.returncode == 0 and done.stdout.strip(), done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self, **extra: str) -> Started:
        answer = self._run("start", extra=extra)
        assert "error" not in answer, answer
        return Started(answer["url"], answer["verifier"], answer["nonce"], answer["state"], answer["metadata"])

    def finish(self, started: Started, callback: str, verifier: str | None = None) -> dict[str, Any]:
        """The callback exchanged and checked by openid-client: tokens, claims and userinfo, or {"error": ...}."""
        return self._run(
            "finish",
            callback=callback,
            verifier=started.verifier if verifier is None else verifier,
            nonce=started.nonce,
            state=started.state,
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._run("refresh", refresh_token=refresh_token)

    def verify(self, id_token: str) -> dict[str, Any]:
        return self._run("verify", id_token=id_token)


def browse(url: str, session_token: str | None, cookie_name: str = "sms2fa_session") -> httpx.Response:
    """The browser's request to the authorization endpoint (with its session cookie), redirects not followed."""
    cookies = {cookie_name: session_token} if session_token else {}
    with httpx.Client(follow_redirects=False, timeout=10, cookies=cookies) as browser:
        return browser.get(url)
