"""The hash-checked lock installs on every Python 3.11 the README promises, Debian 12's 3.11.2 included.

pip's --require-hashes mode refuses to install a dependency the lock does not pin. A lock made on a newer Python
leaves out what only older ones need (redis needs async-timeout below 3.11.3), and `make run` then stops on a fresh
Debian machine. This walks the installed distributions' declared dependencies under the oldest 3.11 and checks each
one the lock's packages need there is pinned too.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ("requirements.txt", "requirements-dev.txt")
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", re.M)


def pinned(lock: str) -> dict[str, tuple[set[str], str | None]]:
    """Each pinned distribution of a lock file: its extras and its environment marker (None: always)."""
    found: dict[str, tuple[set[str], str | None]] = {}
    for name, extras, _version, marker in PINNED.findall((ROOT / lock).read_text()):
        wanted = {extra.strip() for extra in extras.strip("[]").split(",") if extra.strip()}
        found[canonicalize_name(name)] = (wanted, marker.strip() or None)
    return found


@pytest.mark.parametrize("lock", LOCKS)
@pytest.mark.parametrize("python", ["3.11.0", "3.11.2", "3.11.7"])
def test_every_dependency_the_locked_packages_need_on_python_3_11_is_pinned(lock: str, python: str) -> None:
    environment = {**default_environment(), "python_full_version": python, "python_version": "3.11"}
    locked = pinned(lock)
    missing: list[str] = []
    for name, (extras, marker) in locked.items():
        if marker and not Requirement(f"x; {marker}").marker.evaluate(environment):
            continue
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed in this environment (a marker kept it out): nothing to read
        for text in requirements:
            requirement = Requirement(text)
            needed = requirement.marker is None or any(
                requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})
            )
            if needed and canonicalize_name(requirement.name) not in locked:
                missing.append(f"{requirement.name} (for {name} on Python {python})")
    assert not missing, f"{lock} does not pin: {sorted(set(missing))}"
