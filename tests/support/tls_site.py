"""The nginx site shipped for real hosts (deploy/nginx/sms2fa.conf), TLS included, run on this machine: its host's
paths point at a test certificate, a build and local ports; everything else is served as shipped. The deploy check
(tests/stack/test_deploy_config.py) has nginx read it; the secure-cookie test (tests/stack/test_secure_cookies.py)
signs in through it over https.
"""

from __future__ import annotations

import re
import signal
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from scripts.stack import NGINX_DIR
from scripts.stack_parts import answers, free_port, stop_group, wait_until
from tests.support.certificates import self_signed_certificate

SHIPPED_SITE = NGINX_DIR / "sms2fa.conf"
_SHIPPED_UPSTREAMS = re.compile(r"^    server 127\.0\.0\.1:800\d [^\n]*\n", re.MULTILINE)


def local_site(
    directory: Path,
    cert: Path,
    key: Path,
    client: Path,
    *,
    http_port: int,
    https_port: int,
    backend_ports: tuple[int, ...] = (),
) -> str:
    """The shipped site serving the build `client` with `directory`'s csp.conf and access log, the certificate,
    127.0.0.1's ports, and `backend_ports` as its upstream (the shipped example workers when empty). Each replaced
    line must be in the shipped file, so a change there shows here."""
    site = SHIPPED_SITE.read_text()
    for shipped, local in {
        "/etc/letsencrypt/live/sms2fa.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/sms2fa.example.com/privkey.pem": str(key),
        "/srv/sms2fa/client": str(client),
        "/srv/sms2fa/csp.conf": str(directory / "csp.conf"),
        "/etc/nginx/snippets/sms2fa-locations.conf": str(NGINX_DIR / "sms2fa-locations.conf"),
        "/var/log/nginx/sms2fa.access.log": str(directory / "access.log"),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
    }.items():
        assert shipped in site, shipped
        site = site.replace(shipped, local)
    if backend_ports:
        assert _SHIPPED_UPSTREAMS.search(site), "the shipped upstream lists no local worker"
        upstreams = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in backend_ports)
        site = _SHIPPED_UPSTREAMS.sub("", site).replace(
            "upstream sms2fa_backend {\n", "upstream sms2fa_backend {\n" + upstreams
        )
    return site


def write_nginx_config(directory: Path, site: str) -> Path:
    """nginx.conf in `directory`: the shared http settings, then `site`, with nginx's own files kept there."""
    (directory / "tmp").mkdir(exist_ok=True)
    (directory / "site.conf").write_text(site)
    temp_paths = "".join(
        f"    {kind}_temp_path {directory / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = directory / "nginx.conf"
    config.write_text(
        f"pid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'};\nevents {{}}\nhttp {{\n"
        f"    include /etc/nginx/mime.types;\n{temp_paths}    include {NGINX_DIR / 'sms2fa-http.conf'};\n"
        f"    include {directory / 'site.conf'};\n}}\n"
    )
    return config


def check_nginx_config(config: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on `config` (its prefix: the file's directory)."""
    return subprocess.run(
        ["/usr/sbin/nginx", "-t", "-p", f"{config.parent}/", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@dataclass
class TlsSite:
    """nginx serving the shipped site over https on 127.0.0.1 (`start()`, `stop()`), in front of `backend_ports`:
    the build `client`; `directory` holds its csp.conf, the certificate, the configuration and the logs."""

    directory: Path
    client: Path
    backend_ports: tuple[int, ...]
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)  # the shipped redirect to https
    process: subprocess.Popen[bytes] | None = None

    @property
    def cert(self) -> Path:
        return self.directory / "cert.pem"

    def start(self) -> None:
        """Serve the site with a new certificate for localhost; ready once nginx answers over https (the backends
        may still be starting: /healthz says 502 until one answers)."""
        cert, key = self_signed_certificate(self.directory, "sms2fa stack over TLS")
        site = local_site(
            self.directory,
            cert,
            key,
            self.client,
            http_port=self.http_port,
            https_port=self.https_port,
            backend_ports=self.backend_ports,
        )
        config = write_nginx_config(self.directory, site)
        checked = check_nginx_config(config)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            ["/usr/sbin/nginx", "-g", "daemon off;", "-p", f"{self.directory}/", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.directory / "stderr.log").open("ab"),
            start_new_session=True,
        )
        wait_until(lambda: self.health() is not None, 30, "nginx over https", self.directory / "error.log")

    def health(self) -> int | None:
        """/healthz's status over https, the certificate checked against the test one (None: no answer)."""
        context = ssl.create_default_context(cafile=str(self.cert))
        return answers(f"https://127.0.0.1:{self.https_port}/healthz", context=context)

    def stop(self) -> None:
        stop_group(self.process, signal.SIGQUIT)
