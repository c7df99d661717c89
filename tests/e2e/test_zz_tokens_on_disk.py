"""After the end-to-end run, no file of the project or of the app's data holds a raw session or device token, or
the raw token of an emailed link the browsers opened.

Named to run last in tests/e2e: it searches for every token the browsers received in this package, while the app
still runs (Reflex state in memory; the database, the data directory, the build and the project on disk).
"""

from __future__ import annotations

from tests.e2e.conftest import ROOT, RunningApp
from tests.support.token_scan import digest, files_containing


def test_no_raw_token_in_any_file(app: RunningApp, seen_tokens: set[str]) -> None:
    assert len(seen_tokens) >= 10, f"too few tokens seen to prove anything: {len(seen_tokens)}"
    workdir = app.cwd.parent  # the project mirror, data/, the database, Reflex's web and states directories
    leaked = files_containing(seen_tokens, [workdir, ROOT])
    assert not leaked, (
        f"raw tokens on disk: {[(token[:6], [str(p) for p in paths]) for token, paths in leaked.items()]}"
    )
    # The search does read the database: the digests of the sessions still alive are there.
    assert files_containing({digest(token) for token in seen_tokens}, [workdir])
