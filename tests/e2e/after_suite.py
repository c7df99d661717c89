"""The checks that run once after the whole e2e suite, while the app still runs (the package-scoped
`after_the_suite` fixture of tests/e2e/conftest.py calls them; a failure is an error at the last test's teardown).

- Every page the flows showed was audited (axe-core, light and dark: audit.py).
- No file of the project or of the app's data holds a raw session or device token, or the raw token of an emailed
  link the browsers opened (Reflex state in memory; the database, the data directory, the build and the project on
  disk).
"""

from __future__ import annotations

from tests.e2e import audit
from tests.support.app_server import ROOT, RunningApp
from tests.support.token_scan import digest, files_containing

MIN_TOKENS = 10  # fewer tokens seen prove nothing about where they went


def every_visited_page_was_audited() -> None:
    assert audit.visited_routes, "no browser test visited a page"
    unaudited = audit.visited_routes - audit.audited_routes - audit.foreign_routes
    assert not unaudited, f"pages the flows visited but never audited: {sorted(unaudited)}"


def no_raw_token_in_any_file(app: RunningApp, seen_tokens: set[str]) -> None:
    assert len(seen_tokens) >= MIN_TOKENS, f"too few tokens seen to prove anything: {len(seen_tokens)}"
    workdir = app.cwd.parent  # the project mirror, data/, the database, Reflex's web and states directories
    leaked = files_containing(seen_tokens, [workdir, ROOT])
    assert not leaked, (
        f"raw tokens on disk: {[(token[:6], [str(p) for p in paths]) for token, paths in leaked.items()]}"
    )
    # The search does read the database: the digests of the sessions still alive are there.
    assert files_containing({digest(token) for token in seen_tokens}, [workdir])


def check_after_the_suite(app: RunningApp, seen_tokens: set[str]) -> None:
    """Every after-suite check of tests/e2e, each one run whatever the others found."""
    failures = []
    for check in (every_visited_page_was_audited, lambda: no_raw_token_in_any_file(app, seen_tokens)):
        try:
            check()
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "after the e2e suite:\n" + "\n".join(failures)
