"""What `reflex run` (development mode) watches and where its servers listen, and which mode the Reflex command
runs in; used by rxconfig.py only.

Reflex reloads the backend when a watched file changes, and by default it watches every entry at the top of
the project, data/ included, so each database write restarted the backend. `hot_reload_environment` points
Reflex at the code only. Reflex starts the Vite dev server with `--host` (every interface) and offers no
setting for it; `ListenHostPlugin` adds a small Vite plugin to .web/vite.config.js that sets the host.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import reflex as rx
from typing_extensions import Unpack

APP_PACKAGE = "sms2fa_app"
WATCHED_FILES = ("rxconfig.py", ".env")  # watched when present, besides the app package
OVERRIDE_PATHS = "REFLEX_HOT_RELOAD_OVERRIDE_PATHS"  # Reflex watches only these when set
INCLUDE_PATHS = "REFLEX_HOT_RELOAD_INCLUDE_PATHS"  # ...which makes it ignore this one: we fold it in
VITE_CONFIG = "vite.config.js"
_VITE_PLUGIN_NAME = "sms2faListenHost"
_DEFINE_ANCHOR = "export default defineConfig"
_PLUGINS_ANCHOR = "plugins: ["
_BEGIN = "// sms2fa-listen-host begin"
_END = "// sms2fa-listen-host end"


def cli_environment(argv: list[str]) -> dict[str, str]:
    """REFLEX_ENV_MODE=prod for `reflex run --env prod` and `reflex export` (production unless `--env dev`).

    Reflex sets that variable itself, but only after it has read rxconfig.py, which loads the settings: set it
    first, so that without APP_ENV a production run is production from its first line (the settings say so).
    """
    command = argv[1:] if argv and Path(argv[0]).name in ("reflex", "__main__.py") else []
    if not command or command[0] not in ("run", "export"):
        return {}
    mode = "prod" if command[0] == "export" else "dev"
    for index, argument in enumerate(command):
        if argument == "--env" and index + 1 < len(command):
            mode = command[index + 1].lower()
        elif argument.startswith("--env="):
            mode = argument.split("=", 1)[1].lower()
    return {"REFLEX_ENV_MODE": "prod"} if mode == "prod" else {}


def watched_paths(project_root: Path, environ: Mapping[str, str]) -> list[Path]:
    """The app package, rxconfig.py and .env (when present), plus REFLEX_HOT_RELOAD_INCLUDE_PATHS."""
    paths = [project_root / APP_PACKAGE]
    paths += [project_root / name for name in WATCHED_FILES if (project_root / name).is_file()]
    included = environ.get(INCLUDE_PATHS, "")
    paths += [Path(entry).absolute() for entry in included.split(os.pathsep) if entry]
    return paths


def hot_reload_environment(project_root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Reflex's variables that make `reflex run` watch the code only (an override already set wins)."""
    if environ.get(OVERRIDE_PATHS):
        return {}
    return {OVERRIDE_PATHS: os.pathsep.join(str(path) for path in watched_paths(project_root, environ))}


def vite_listen_host_plugin(host: str) -> str:
    """A Vite plugin whose config hook sets server.host; plugin results override the CLI's `--host`."""
    return f"""{_BEGIN}
// sms2fa: the dev server listens on LISTEN_HOST, not on every interface (Reflex passes --host).
function {_VITE_PLUGIN_NAME}() {{
  return {{
    name: "sms2fa-listen-host",
    apply: "serve",
    config() {{
      return {{ server: {{ host: {json.dumps(host)} }} }};
    }},
  }};
}}
{_END}
"""


def add_listen_host(content: str, host: str) -> str:
    """vite.config.js with the listen-host plugin defined and first in the plugins array (idempotent)."""
    plugin = vite_listen_host_plugin(host)
    if _BEGIN in content:  # patched before (maybe for another host): replace the definition only
        return re.sub(f"{re.escape(_BEGIN)}.*?{re.escape(_END)}\n", lambda _: plugin, content, count=1, flags=re.S)
    if _DEFINE_ANCHOR not in content or _PLUGINS_ANCHOR not in content:
        msg = (
            f"sms2fa cannot set the dev server's host in {VITE_CONFIG}: {_DEFINE_ANCHOR!r} or {_PLUGINS_ANCHOR!r} "
            "is missing (Reflex's Vite template changed); update sms2fa_app/dev_server.py"
        )
        raise RuntimeError(msg)
    content = content.replace(_DEFINE_ANCHOR, plugin + "\n" + _DEFINE_ANCHOR, 1)
    return content.replace(_PLUGINS_ANCHOR, f"{_PLUGINS_ANCHOR}\n    {_VITE_PLUGIN_NAME}(),", 1)


@dataclasses.dataclass
class ListenHostPlugin(rx.plugins.Plugin):
    """Reflex plugin: the Vite dev server listens on `host` (LISTEN_HOST)."""

    host: str = "127.0.0.1"

    def pre_compile(self, **context: Unpack[rx.plugins.PreCompileContext]) -> None:
        """Patch vite.config.js after Reflex renders it (every compile renders it afresh)."""
        host = self.host
        context["add_modify_task"](VITE_CONFIG, lambda content: add_listen_host(content, host))
