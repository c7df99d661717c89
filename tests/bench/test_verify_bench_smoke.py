"""`bench/verify_bench.py --smoke` in the suite: forward-auth's bench starts a production worker, answers 200 to a
cached two-factor session and to the baseline, and reports (the targets are `make bench`'s, not the suite's: the
suite shares its cores)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bench.bench_run import run_bench


def test_the_verify_bench_runs(tmp_path: Path) -> None:
    summary = tmp_path / "verify.json"
    done = run_bench("verify_bench.py", "--smoke", "--json", str(summary))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    phases = json.loads(summary.read_text())["phases"]
    assert all(phase["requests"] > 0 for values in phases.values() for phase in values), phases
