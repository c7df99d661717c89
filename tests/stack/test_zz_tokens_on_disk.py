"""After the stack suite, no file of the project or of the stack holds a raw session or device token, or the raw
token of an emailed link the browsers opened: not the PostgreSQL cluster, not Redis's snapshot (taken now, with
Reflex's state in it), not the build or any log.

Named to run last in tests/stack, while the stack still runs.
"""

from __future__ import annotations

from scripts.stack import Stack
from tests.e2e.conftest import ROOT
from tests.support.token_scan import digest, files_containing


def test_no_raw_token_in_any_file(stack: Stack, seen_tokens: set[str]) -> None:
    assert len(seen_tokens) >= 10, f"too few tokens seen to prove anything: {len(seen_tokens)}"
    snapshot = stack.redis.save()
    assert snapshot.stat().st_size > 0
    leaked = files_containing(seen_tokens, [stack.root, ROOT])
    found = {token[:6]: [str(path) for path in paths] for token, paths in leaked.items()}
    assert not leaked, f"raw tokens on disk (first characters: files): {found}"
    # The search does read the stack's files: the server keeps the tokens' digests (database, Reflex's state).
    assert files_containing({digest(token) for token in seen_tokens}, [stack.root])
