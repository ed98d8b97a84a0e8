"""Benchmarks publish into their own section of docs/benchmarks.md and leave the others alone."""

from __future__ import annotations

from pathlib import Path

from copilot.eval.report import write_section


def test_a_section_is_replaced_in_place_and_a_new_one_appended(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## A\n\nold a\n\n## B\n\nkept b\n")
    write_section("## A", "## A\n\nnew a", doc)
    write_section("## C", "## C\n\nc", doc)
    assert doc.read_text() == "# Benchmarks\n\n## A\n\nnew a\n\n## B\n\nkept b\n\n## C\n\nc\n"
