"""copier.yml's comments point at documents and sections that exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_ownership_comment_points_at_existing_sections() -> None:
    text = (REPO / "copier.yml").read_text(encoding="utf-8")
    comments = " ".join(
        line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")
    )
    refs = re.findall(r'(docs/[\w.]+\.md), "([^"]+)"', comments)
    assert refs, "copier.yml names no document"
    for doc, section in refs:
        headings = [
            line.lstrip("#").strip()
            for line in (REPO / doc).read_text(encoding="utf-8").splitlines()
            if line.startswith("#")
        ]
        assert section in headings, f"{doc} has no section {section!r}"
    for name in re.findall(r"\b[\w/]+\.md\b", comments):  # in the repository or a project
        where = [REPO / name, REPO / "template" / name, REPO / "template" / f"{name}.jinja"]
        assert any(p.is_file() for p in where), f"copier.yml names {name}, which does not exist"
