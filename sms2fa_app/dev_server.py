"""What `reflex run` (development mode) watches; used by rxconfig.py only.

Reflex reloads the backend when a watched file changes, and by default it watches every entry at the top of
the project, data/ included, so each database write restarted the backend. `hot_reload_environment` points
Reflex at the code only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_PACKAGE = "sms2fa_app"
WATCHED_FILES = ("rxconfig.py", ".env")  # watched when present, besides the app package
OVERRIDE_PATHS = "REFLEX_HOT_RELOAD_OVERRIDE_PATHS"  # Reflex watches only these when set
INCLUDE_PATHS = "REFLEX_HOT_RELOAD_INCLUDE_PATHS"  # ...which makes it ignore this one: we fold it in


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
