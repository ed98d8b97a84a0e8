"""Similar past tickets: which resolved tickets read like this new one, and how were they resolved.

A reviewer looking at a new ticket wants the three past tickets closest to it, with a link and the
resolution. The index embeds each past ticket's subject and the start of its description with the
bundled MiniLM (``copilot.knowledge.embedder``; offline) and blends the cosine with BM25 over the same
words (``bm25s``, the knowledge index's tokenizer), so an exact product name or error code still
counts when the phrasing differs. It is built by ``python -m copilot.triage train`` and saved in the
model bundle; searching it makes no API call.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from copilot.knowledge.embedder import AnyEmbedder, get_embedder
from copilot.knowledge.index import tokenize
from copilot.triage.history import PastTicket
from copilot.triage.proposal import SimilarTicket

DENSE_WEIGHT = 0.8  # share of the cosine in the blended similarity; the rest is BM25 scaled to the best hit
DESCRIPTION_CHARS = 300  # of the description embedded with the subject (the start says what is wrong)
RESOLUTION_CHARS = 400  # of the resolution shown in a proposal
QUERY_CACHE = 512  # query vectors kept: the proposer's find() and the ranker's neighbours() embed a ticket once
SCORES_CACHE = 64  # score rows kept (one float per past ticket each): find() and neighbours() score a ticket once
META, VECTORS = "similar.json", "vectors.npy"


def ticket_url(base_url: str, ticket_id: int) -> str:
    """The agent's view of a ticket in Freshservice (``/a/tickets/<id>``; legacy ``/helpdesk/tickets``
    redirects there)."""
    return f"{base_url.rstrip('/')}/a/tickets/{int(ticket_id)}"


def index_text(ticket: PastTicket) -> str:
    return f"{ticket.subject}. {ticket.description_text[:DESCRIPTION_CHARS]}".strip(" .")


def _key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


class SimilarTickets:
    """The index over past tickets (``build``, ``find``, ``save``/``load``)."""

    def __init__(self, tickets: list[PastTicket], vectors: np.ndarray, *, base_url: str = "",
                 embedder: AnyEmbedder | None = None, model_name: str = "") -> None:
        self.tickets = tickets
        self.vectors = vectors.astype(np.float32)
        self.base_url = base_url
        self._embedder = embedder
        self.model_name = model_name or (embedder.name if embedder is not None else "")
        self._by_id = {t.ticket_id: t for t in tickets}
        self._queries: dict[str, np.ndarray] = {}
        self._scores: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        self._bm25: bm25s.BM25 | None = None
        if tickets:
            self._bm25 = bm25s.BM25()
            self._bm25.index([tokenize(index_text(t)) or ["_empty_"] for t in tickets], show_progress=False)

    def __len__(self) -> int:
        return len(self.tickets)

    @property
    def embedder(self) -> AnyEmbedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def ticket(self, ticket_id: int) -> PastTicket | None:
        return self._by_id.get(ticket_id)

    @classmethod
    def build(cls, tickets: Sequence[PastTicket], *, base_url: str = "", embedder: AnyEmbedder | None = None,
              previous: SimilarTickets | None = None) -> SimilarTickets:
        """Embed ``tickets`` (vectors of unchanged texts are taken from ``previous``, so a retrain only
        embeds what is new)."""
        model = embedder or get_embedder()
        items = list(tickets)
        texts = [index_text(t) for t in items]
        cached: dict[str, np.ndarray] = {}
        if previous is not None and previous.model_name == model.name:
            for old, vector in zip(previous.tickets, previous.vectors, strict=True):
                cached[_key(model.name, index_text(old))] = vector
        missing = [i for i, text in enumerate(texts) if _key(model.name, text) not in cached]
        vectors = np.zeros((len(items), model.dim), dtype=np.float32)
        if missing:
            fresh = model.encode([texts[i] for i in missing])
            for row, i in enumerate(missing):
                vectors[i] = fresh[row]
        for i, text in enumerate(texts):
            if (hit := cached.get(_key(model.name, text))) is not None:
                vectors[i] = hit
        return cls(items, vectors, base_url=base_url, embedder=model, model_name=model.name)

    def prime(self, texts: list[str], batch_size: int = 64) -> None:
        """Embed many query texts in batches ahead of their searches (evaluation, bursts of tickets)."""
        missing = list(dict.fromkeys(t for t in texts if t.strip() and t not in self._queries))
        for start in range(0, len(missing), batch_size):
            chunk = missing[start:start + batch_size]
            for text, vector in zip(chunk, self.embedder.encode(chunk), strict=True):
                self._remember(text, vector)

    def _remember(self, text: str, vector: np.ndarray) -> None:
        with self._cache_lock:  # searches run in worker threads
            if len(self._queries) >= QUERY_CACHE:
                self._queries.pop(next(iter(self._queries)), None)
            self._queries[text] = vector

    def remember(self, text: str, vector: np.ndarray) -> None:
        """Use ``vector`` (this index's embedder's vector of ``text``) for the next searches of ``text``:
        the triage worker embeds a ticket once, for all its models, for the events in hand together."""
        if text not in self._queries:
            self._remember(text, np.asarray(vector, dtype=np.float32))

    def _query_vector(self, text: str) -> np.ndarray:
        vector = self._queries.get(text)
        if vector is None:
            vector = self.embedder.encode([text])[0]
            self._remember(text, vector)
        return vector

    def scores(self, text: str) -> np.ndarray:
        """Blended similarity of ``text`` to every past ticket (cosine and BM25, 0..1). The scores of the
        last few texts are kept: the note's similar tickets and the assignee evidence read the same ones."""
        if not self.tickets or not text.strip():
            return np.zeros(len(self.tickets), dtype=np.float64)
        kept = self._scores.get(text)
        if kept is not None:
            return kept
        blended = self._score(text)
        with self._cache_lock:
            if len(self._scores) >= SCORES_CACHE:
                self._scores.pop(next(iter(self._scores)), None)
            self._scores[text] = blended
        return blended

    def _score(self, text: str) -> np.ndarray:
        query = self._query_vector(text)
        dense = np.clip(self.vectors @ query, 0.0, 1.0).astype(np.float64)
        tokens = tokenize(text)
        lexical = np.zeros_like(dense)
        if tokens and self._bm25 is not None:
            raw = np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)
            top = float(raw.max()) if raw.size else 0.0
            if top > 0:
                lexical = raw / top
        blended: np.ndarray = DENSE_WEIGHT * dense + (1.0 - DENSE_WEIGHT) * lexical * dense.max(initial=0.0)
        return blended

    def neighbours(self, text: str, k: int = 20, *, exclude: set[int] | frozenset[int] = frozenset()
                   ) -> list[tuple[PastTicket, float]]:
        """The ``k`` most similar past tickets with their similarity, duplicates included (evidence for
        the assignee ranker)."""
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")
        found: list[tuple[PastTicket, float]] = []
        for i in order:
            ticket = self.tickets[int(i)]
            if ticket.ticket_id in exclude:
                continue
            found.append((ticket, float(scores[int(i)])))
            if len(found) >= k:
                break
        return found

    def find(self, text: str, k: int = 3, *, exclude: set[int] | frozenset[int] = frozenset()) -> list[SimilarTicket]:
        """The ``k`` most similar past tickets for a reviewer: one per distinct subject and resolution
        (ten copies of the same answer help nobody), each with its link and resolution; [] for blank text."""
        if not text.strip():
            return []
        found: list[SimilarTicket] = []
        seen: set[tuple[str, str]] = set()
        for ticket, score in self.neighbours(text, k=max(50, k * 10), exclude=exclude):
            signature = (ticket.subject.strip().lower(), ticket.resolution.strip().lower())
            if signature in seen:
                continue
            seen.add(signature)
            resolution = ticket.resolution
            if len(resolution) > RESOLUTION_CHARS:
                resolution = resolution[:RESOLUTION_CHARS].rsplit(" ", 1)[0] + " …"
            found.append(SimilarTicket(ticket_id=ticket.ticket_id, subject=ticket.subject or f"Ticket {ticket.ticket_id}",
                                       url=ticket_url(self.base_url, ticket.ticket_id),
                                       similarity=round(min(1.0, max(0.0, score)), 4), resolution=resolution))
            if len(found) >= k:
                break
        return found

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / VECTORS, self.vectors)
        meta = {"base_url": self.base_url, "model": self.model_name,
                "tickets": [t.model_dump(mode="json") for t in self.tickets]}
        (directory / META).write_text(json.dumps(meta), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path, *, embedder: AnyEmbedder | None = None) -> SimilarTickets:
        meta = json.loads((directory / META).read_text(encoding="utf-8"))
        vectors = np.load(directory / VECTORS)
        tickets = [PastTicket.model_validate(t) for t in meta["tickets"]]
        if len(tickets) != len(vectors):
            raise ValueError(f"the similar-tickets index in {directory} is damaged (tickets and vectors differ)")
        return cls(tickets, vectors, base_url=meta.get("base_url", ""), embedder=embedder, model_name=meta.get("model", ""))


__all__ = ["SimilarTickets", "ticket_url"]
