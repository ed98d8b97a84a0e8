"""One way to publish a figure: replace a benchmark's own section of docs/benchmarks.md, keep the rest."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def write_section(heading: str, body: str, doc: Path = BENCHMARKS_MD) -> None:
    """Replace the section that starts with ``heading`` (up to the next ``## ``) with ``body``, or append it.
    ``body`` starts with ``heading`` itself."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    body = body.rstrip() + "\n"
    start = text.find(heading + "\n")  # the whole line: one heading may begin another
    if start == -1:
        text = text.rstrip() + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + body + (text[end:] if end != -1 else "")
    doc.write_text(text, encoding="utf-8")
