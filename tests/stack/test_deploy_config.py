"""The nginx configuration shipped for real hosts (deploy/nginx/sms2fa.conf) is valid as written: nginx accepts it
with the shared parts, once its host-specific paths point at a test certificate and build."""

from __future__ import annotations

from pathlib import Path

from scripts.stack_parts import free_port
from tests.support.certificates import self_signed_certificate
from tests.support.tls_site import check_nginx_config, local_site, write_nginx_config


def test_the_site_configuration_for_real_hosts_is_valid(tmp_path: Path, stack: object) -> None:
    """(`stack` only so that a machine without nginx skips, or fails under CI=true, like the rest of the suite.)"""
    cert, key = self_signed_certificate(tmp_path, "sms2fa.example.com")
    (tmp_path / "client").mkdir()
    (tmp_path / "csp.conf").write_text("set $sms2fa_script_hashes \"'sha256-test'\";\n")
    site = local_site(tmp_path, cert, key, tmp_path / "client", http_port=free_port(), https_port=free_port())
    checked = check_nginx_config(write_nginx_config(tmp_path, site))
    assert checked.returncode == 0, checked.stderr
