"""The nginx configuration shipped for real hosts (deploy/nginx/sms2fa.conf) is valid as written: nginx accepts it
with the shared parts, once its host-specific paths point at a test certificate and build."""

from __future__ import annotations

import subprocess
from pathlib import Path

from scripts.stack import NGINX_DIR
from scripts.stack_parts import free_port
from tests.support.certificates import self_signed_certificate


def test_the_site_configuration_for_real_hosts_is_valid(tmp_path: Path, stack: object) -> None:
    """(`stack` only so that a machine without nginx skips, or fails under CI=true, like the rest of the suite.)"""
    cert, key = self_signed_certificate(tmp_path, "sms2fa.example.com")
    (tmp_path / "client").mkdir()
    (tmp_path / "csp.conf").write_text("set $sms2fa_script_hashes \"'sha256-test'\";\n")
    site = (NGINX_DIR / "sms2fa.conf").read_text()
    for shipped, local in {
        "/etc/letsencrypt/live/sms2fa.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/sms2fa.example.com/privkey.pem": str(key),
        "/srv/sms2fa/client": str(tmp_path / "client"),
        "/srv/sms2fa/csp.conf": str(tmp_path / "csp.conf"),
        "/etc/nginx/snippets/sms2fa-locations.conf": str(NGINX_DIR / "sms2fa-locations.conf"),
        "/var/log/nginx/sms2fa.access.log": str(tmp_path / "access.log"),
        "listen 80;": f"listen 127.0.0.1:{free_port()};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{free_port()} ssl http2;",
        "listen [::]:443 ssl http2;": "",
    }.items():
        assert shipped in site, shipped
        site = site.replace(shipped, local)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\nhttp {{\n"
        f"    include /etc/nginx/mime.types;\n    include {NGINX_DIR / 'sms2fa-http.conf'};\n"
        f"    include {tmp_path / 'site.conf'};\n}}\n"
    )
    checked = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
