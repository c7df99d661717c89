"""Build the static frontend for a reverse proxy, and the Content-Security-Policy hashes its pages need.

    python -m scripts.frontend --public-url https://sms2fa.example.com --out /srv/sms2fa

writes /srv/sms2fa/client/ (the pages and assets nginx serves) and /srv/sms2fa/csp.conf, which sets
$sms2fa_script_hashes for deploy/nginx/sms2fa-locations.conf: the pages carry a few inline scripts (React
Router's hydration data, React's streaming), allowed by their SHA-256 rather than by 'unsafe-inline'.
The build runs with the current environment's settings (APP_ENV=production, so no development page is built).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
BUILD_TIMEOUT_SECONDS = 600


class BuildError(RuntimeError):
    """`reflex export` failed; the message names its log."""


def build(project_dir: Path, web_dir: Path, public_url: str, environ: Mapping[str, str], log: Path) -> Path:
    """`reflex export --frontend-only` for a site served at `public_url`; returns the directory to serve."""
    env = {
        **environ,
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "REFLEX_API_URL": public_url,  # the browser opens its websocket here: the proxy
        "REFLEX_DEPLOY_URL": public_url,
    }
    with log.open("ab") as output:
        completed = subprocess.run(
            ["reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"],
            cwd=project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT_SECONDS,
        )
    client = web_dir / "build" / "client"
    if completed.returncode != 0 or not (client / "index.html").is_file():
        raise BuildError(f"the frontend build failed (exit {completed.returncode}); see {log}")
    return client


def inline_script_hashes(client_dir: Path) -> list[str]:
    """The CSP source expression ('sha256-...') of every distinct inline script in the built pages."""
    hashes = set()
    for page in client_dir.rglob("*.html"):
        for body in _INLINE_SCRIPT.findall(page.read_text(encoding="utf-8")):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def write_csp_include(client_dir: Path, target: Path) -> Path:
    """nginx's `set $sms2fa_script_hashes "...";` for the pages in `client_dir`."""
    target.write_text(f'set $sms2fa_script_hashes "{" ".join(inline_script_hashes(client_dir))}";\n')
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--public-url", required=True, help="where browsers reach the proxy, e.g. https://example.com")
    parser.add_argument("--out", required=True, type=Path, help="directory for client/ and csp.conf")
    arguments = parser.parse_args()
    out = arguments.out.absolute()
    work = out / ".build"
    out.mkdir(parents=True, exist_ok=True)
    client = build(PROJECT_ROOT, work / "web", arguments.public_url, os.environ, out / "build.log")
    shutil.rmtree(out / "client", ignore_errors=True)
    shutil.copytree(client, out / "client")
    write_csp_include(out / "client", out / "csp.conf")
    shutil.rmtree(work, ignore_errors=True)
    print(f"sms2fa: frontend for {arguments.public_url} in {out / 'client'}, CSP hashes in {out / 'csp.conf'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
