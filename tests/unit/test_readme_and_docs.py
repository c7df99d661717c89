"""The README stays a newcomer's page, and the links between it and docs/ keep working.

The README is short on purpose (what it is, the two commands, the first walk-through, where to look next); the
rest lives in docs/. A moved section or a renamed heading would silently break a link, so every relative link and
its #anchor is checked against the files and headings as GitHub renders them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))
README_MAX_LINES = 170  # "about 150": room for a step, not for a section
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors_of(markdown: Path) -> set[str]:
    """Every heading anchor of a markdown file (code blocks left out: a `#` comment there is no heading)."""
    return {github_anchor(heading) for heading in HEADING.findall(FENCE.sub("", markdown.read_text()))}


def relative_links(markdown: Path) -> list[str]:
    """The links of a markdown file that point inside the project (no scheme, no mail address)."""
    links = LINK.findall(FENCE.sub("", markdown.read_text()))
    return [link for link in links if "://" not in link and not link.startswith("mailto:")]


def test_readme_is_a_short_newcomers_page() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= README_MAX_LINES
    for command in ("make run", "make test", "/dev/outbox"):
        assert command in text
    assert "logins/s" not in text  # the bench tables live in docs/operations.md


@pytest.mark.parametrize("name", ["architecture.md", "security.md", "operations.md", "testing.md", "routes.md"])
def test_readme_points_to_each_doc(name: str) -> None:
    assert f"](docs/{name})" in README.read_text()
    assert (PROJECT_ROOT / "docs" / name).is_file()


def test_security_doc_has_the_issue_20_section() -> None:
    assert "issue-20-fixes" in anchors_of(PROJECT_ROOT / "docs" / "security.md")


@pytest.mark.parametrize("markdown", [README, *DOCS], ids=lambda path: path.name)
def test_every_relative_link_and_anchor_resolves(markdown: Path) -> None:
    broken = []
    for link in relative_links(markdown):
        path, _, anchor = link.partition("#")
        target = (markdown.parent / path).resolve() if path else markdown
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors_of(target):
            broken.append(f"{link}: no such heading in {target.name}")
    assert not broken, f"{markdown.name}: {broken}"
