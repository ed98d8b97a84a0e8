"""Split a knowledge document into retrieval chunks.

A document's text is plain text where headings are markdown-style ``#`` lines (see
:mod:`copilot.knowledge.text`). Sections are split at headings; inside a section paragraphs are
packed into chunks of roughly ``min_words``–``max_words`` words. A paragraph longer than
``max_words`` is split at sentence boundaries (and, as a last resort, at word boundaries).

Every chunk's *index text* (what gets embedded and BM25-indexed) starts with the article title
and the section heading, so a chunk from deep inside a long article still carries its context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHUNKER_VERSION = "c2"

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    ordinal: int
    title: str
    heading: str
    body: str

    @property
    def index_text(self) -> str:
        """Text that is embedded / BM25-indexed: title, heading, body."""
        head = self.title
        if self.heading and self.heading.strip().lower() != self.title.strip().lower():
            head = f"{self.title} — {self.heading}"
        return f"{head}\n{self.body}" if self.body else head


def _words(text: str) -> int:
    return len(text.split())


def _sections(title: str, text: str) -> list[tuple[str, list[str]]]:
    """Return ``[(heading, [paragraph, ...]), ...]``."""
    sections: list[tuple[str, list[str]]] = []
    heading = ""
    paras: list[str] = []
    buf: list[str] = []

    def flush_para() -> None:
        if buf:
            p = " ".join(s.strip() for s in buf if s.strip()) if not any(
                s.lstrip().startswith(("- ", "* ", "| ")) for s in buf) else "\n".join(buf)
            if p.strip():
                paras.append(p.strip())
            buf.clear()

    for line in text.replace("\r", "").split("\n"):
        m = _HEADING_RE.match(line.strip())
        if m:
            flush_para()
            if paras:
                sections.append((heading, paras))
                paras = []
            heading = m.group(2).strip()
            continue
        if not line.strip():
            flush_para()
            continue
        buf.append(line)
    flush_para()
    if paras:
        sections.append((heading, paras))
    return sections


def _split_long(paragraph: str, max_words: int) -> list[str]:
    if _words(paragraph) <= max_words:
        return [paragraph]
    pieces: list[str] = []
    cur: list[str] = []
    n = 0
    for sent in _SENT_RE.split(paragraph):
        w = _words(sent)
        if w > max_words:  # giant sentence (e.g. a code block / table): hard word split
            if cur:
                pieces.append(" ".join(cur))
                cur, n = [], 0
            toks = sent.split()
            for i in range(0, len(toks), max_words):
                pieces.append(" ".join(toks[i:i + max_words]))
            continue
        if n + w > max_words and cur:
            pieces.append(" ".join(cur))
            cur, n = [], 0
        cur.append(sent)
        n += w
    if cur:
        pieces.append(" ".join(cur))
    return pieces


def chunk_document(doc_id: str, title: str, text: str, *, min_words: int = 120,
                   max_words: int = 200) -> list[Chunk]:
    """Split one document into :class:`Chunk` objects (at least one, even for an empty text)."""
    chunks: list[Chunk] = []
    for heading, paras in _sections(title, text):
        units: list[str] = []
        for p in paras:
            units.extend(_split_long(p, max_words))
        cur: list[str] = []
        n = 0
        for u in units:
            w = _words(u)
            if cur and n + w > max_words and n >= min_words // 2:
                chunks.append(Chunk(doc_id, len(chunks), title, heading, "\n\n".join(cur)))
                cur, n = [], 0
            cur.append(u)
            n += w
        if cur:
            body = "\n\n".join(cur)
            # Merge a tiny trailing piece into the previous chunk of the same section.
            if (chunks and chunks[-1].heading == heading and chunks[-1].doc_id == doc_id
                    and n < min_words // 3 and _words(chunks[-1].body) + n <= max_words + min_words // 3):
                prev = chunks.pop()
                body = prev.body + "\n\n" + body
            chunks.append(Chunk(doc_id, len(chunks), title, heading, body))
    if not chunks:
        chunks.append(Chunk(doc_id, 0, title, "", ""))
    return chunks


_LIST_RE = re.compile(r"^\s*(?:[-*]|\d+[.)])\s+")


def split_units(body: str, max_words: int = 60) -> list[str]:
    """Split a chunk body into answer units: a list (with the sentence introducing it) stays one unit,
    a table stays one unit, prose paragraphs longer than ``max_words`` are split into sentences.
    Used to show the sentences or steps that answer a question first."""
    units: list[str] = []
    for para in (p.strip() for p in body.split("\n\n")):
        if not para:
            continue
        lines = para.split("\n")
        if any(_LIST_RE.match(line) or line.lstrip().startswith("|") for line in lines):
            if units and units[-1].rstrip().endswith(":") and "\n" not in units[-1]:
                units[-1] = units[-1] + "\n" + para  # "To do X:" + its steps
            else:
                units.append(para)
            continue
        if _words(para) <= max_words:
            units.append(para)
        else:
            units.extend(s.strip() for s in _SENT_RE.split(para) if s.strip())
    return units


def sentence_units(chunk: Chunk, min_words: int = 3) -> list[str]:
    """The sentences and list steps of a chunk, each prefixed with the article title and section heading
    (``"Title — Heading: sentence"``). A small KB indexes these as well as its chunks, so that a question
    about one fact of an article meets the sentence that states it (issue 14)."""
    head = chunk.title
    if chunk.heading and chunk.heading.strip().lower() != chunk.title.strip().lower():
        head = f"{chunk.title} — {chunk.heading}"
    out: list[str] = []
    for unit in split_units(chunk.body):
        for line in unit.split("\n"):
            line = _LIST_RE.sub("", line).strip()
            if len(line.split()) >= min_words:
                out.append(f"{head}: {line}")
    return out
