"""`bench/load.py --smoke` in the suite: the bench cannot rot unnoticed, and the work of one whole login (SQL,
commits, Redis round trips, websocket frames, Plivo calls) stays within the budgets of bench/load_counts.py.

One subprocess for the whole module (it builds and starts the production app once, ~1 min); each budget is its own
test, so a failure names the figure that grew.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.load_counts import BUDGETS, Budget

ROOT = Path(__file__).resolve().parents[2]
SMOKE_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the smoke bench once; its exit code, output and JSON summary."""
    summary = tmp_path_factory.mktemp("bench") / "smoke.json"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--smoke", "--json", str(summary)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
    )
    output = done.stdout[-6000:] + done.stderr[-6000:]
    loaded = json.loads(summary.read_text()) if summary.exists() else {}
    return {"returncode": done.returncode, "output": output, **loaded}


def test_smoke_bench_runs_and_every_login_succeeds(smoke: dict[str, Any]) -> None:
    assert "counts" in smoke, f"the bench did not run to its report:\n{smoke['output']}"
    assert smoke["failures"] == [], f"logins failed:\n{smoke['output']}"
    assert smoke["returncode"] == 0, f"the smoke bench missed a check:\n{smoke['output']}"


@pytest.mark.parametrize("budget", BUDGETS, ids=lambda budget: budget.key)
def test_one_login_stays_within_its_budget(smoke: dict[str, Any], budget: Budget) -> None:
    counts = smoke.get("counts")
    assert counts is not None, f"no counts: the bench did not run:\n{smoke['output']}"
    assert counts["idle"] == {}, "the app worked while idle: the counts would depend on time"
    assert counts["per_login"][budget.key] <= budget.budget, f"{budget.name}: {counts['per_login']}"
