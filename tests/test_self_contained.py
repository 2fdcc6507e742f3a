"""The repository stands on its own: no text in it points at documents that a clone does not have."""

import os
import re
from pathlib import Path

from tests.support import ROOT

# A path into a sibling "shared" folder, or the name of the specification the rules were first written in.
OUTSIDE = re.compile(r"\bshared/|\bSPEC\.md\b")
SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "exports", "results", "node_modules"}
VENDORED = ROOT / "gql" / "http" / "static"  # third-party bundles (GraphiQL, React), byte-for-byte as published
THIS_FILE = Path(__file__).resolve()
# Docstrings still to be reworded ("SPEC.md section N" -> "docs/rules.md section N") while these modules change
# shape; empty this set once they are.
PENDING: set[str] = set()


def _texts():
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info") and here / d != VENDORED)
        for name in sorted(files):
            path = here / name
            if path == THIS_FILE:
                continue
            try:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # databases and other binary files


def test_no_text_in_the_repository_points_outside_it():
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for name, text in _texts()
        if name not in PENDING
        for match in OUTSIDE.finditer(text)
    ]
    assert found == []


def _anchor(heading: str) -> str:
    # GitHub's heading ids: lower case, punctuation dropped, spaces become hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


def test_every_link_between_the_readme_and_docs_resolves_to_a_file_and_heading():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken, seen = [], 0
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s) and other absolute links
            seen += 1
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.is_file() or (anchor and anchor not in _anchors(linked)):
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert seen >= 20 and broken == []
