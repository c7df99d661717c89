"""`bench/verify_bench.py --smoke` in the suite: forward-auth's bench starts a production worker, answers 200 to a
cached two-factor session and to the baseline, and reports (the targets are `make bench`'s, not the suite's: the
suite shares its cores)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_verify_bench_runs(tmp_path: Path) -> None:
    summary = tmp_path / "verify.json"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "verify_bench.py"), "--smoke", "--json", str(summary)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    phases = json.loads(summary.read_text())["phases"]
    assert all(phase["requests"] > 0 for values in phases.values() for phase in values), phases
