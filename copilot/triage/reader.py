"""What the models read in new tickets: one embedding per text, for every event in hand at once.

A proposal needs the field models' guesses, the similar past tickets (whose scores the assignee
ranker reads again) and the KB's answer, and each of them reads the MiniLM embedding of the ticket
text — the KB of its spelling-corrected text. Computed separately that was three embeddings per
ticket, most of a worker's CPU. :class:`TicketReader` embeds each distinct text once (a ticket whose
KB text is its own text: once in all), then, for all the events the worker has in hand together,
predicts their fields in ONE call with those vectors (the field models cost 2.8 ms for one ticket,
0.5 ms per ticket in a batch) and finds their similar tickets with them; the KB search then gets its
vector. Batches form by themselves (:class:`copilot.triage.batching.MicroBatcher`), and wait up to
``LINGER_SECONDS`` for the events in hand that are still reading their ticket through the API (the
worker declares each event with :meth:`TicketReader.expected`): the field models cost 3.7 ms for one
ticket, 0.8 ms per ticket in a batch of 8.

The embeddings themselves are computed one text per model call, not batched: with the int8 ONNX
model (the default) the activations are quantised with one scale per call, so a text embedded in a
batch gets a slightly different vector than alone (cosine 0.985–0.994 on ticket texts), which would
shift the KB's calibrated confidence; and padding made a batch of 8 cost more CPU per text than
single calls (11.1 vs 9.4 ms).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from copilot.knowledge.embedder import get_embedder
from copilot.triage.batching import MicroBatcher
from copilot.triage.proposal import TRIAGE_FIELDS, FieldGuess, SimilarTicket

SIMILAR_SHOWN = 3
MAX_BATCH = 32
LINGER_SECONDS = 0.05  # a batch waits at most this for the events in hand still on their way to it


@dataclass(frozen=True)
class ReadRequest:
    """One ticket to read: its text, the bundle to read it with (None before the first training), and
    the KB's text for it with the KB's embedder (None when there is no KB)."""

    text: str
    bundle: Any = None
    kb_text: str | None = None
    kb_embedder: Any = None


@dataclass
class Reading:
    fields: dict[str, FieldGuess] = field(default_factory=dict)
    similar: list[SimilarTicket] = field(default_factory=list)
    kb_vector: np.ndarray | None = None


@dataclass
class _OnTheWay:
    """One event declared to a reader, until it reads (or ends without reading)."""

    reader: TicketReader
    arrived: bool = False


_ON_THE_WAY: ContextVar[_OnTheWay | None] = ContextVar("triage_on_the_way", default=None)


class TicketReader:
    """Reads tickets in micro-batches (see the module docstring)."""

    def __init__(self, *, max_batch: int = MAX_BATCH, linger_seconds: float = LINGER_SECONDS) -> None:
        self._coming = 0  # events declared with expected() that have not read yet
        self._batcher: MicroBatcher[ReadRequest, Reading] = MicroBatcher(
            read_all, max_batch=max_batch, expected=lambda: self._coming, linger_seconds=linger_seconds)

    @contextlib.contextmanager
    def expected(self) -> Iterator[None]:
        """Declare the event handled in this block (its task): a batch may wait for its :meth:`read`."""
        mark = _OnTheWay(self)
        token = _ON_THE_WAY.set(mark)
        self._coming += 1
        try:
            yield
        finally:
            _ON_THE_WAY.reset(token)
            self._arrive(mark)

    def _arrive(self, mark: _OnTheWay) -> None:
        if not mark.arrived:
            mark.arrived = True
            self._coming -= 1
            self._batcher.nudge()

    @property
    def batches(self) -> int:
        return self._batcher.batches

    @property
    def items(self) -> int:
        return self._batcher.items

    async def read(self, request: ReadRequest) -> Reading:
        mark = _ON_THE_WAY.get()
        if mark is not None and mark.reader is self and not mark.arrived:
            mark.arrived = True  # counted by the submit itself from here on
            self._coming -= 1
        return await self._batcher.submit(request)


def read_all(requests: list[ReadRequest]) -> list[Reading]:
    """The readings of ``requests``, in order: one embedding per distinct text, one prediction call per bundle."""
    wanted: dict[int, tuple[Any, dict[str, None]]] = {}  # embedder id -> (embedder, its distinct texts)

    def want(embedder: Any, text: str) -> None:
        wanted.setdefault(id(embedder), (embedder, {}))[1][text] = None

    for request in requests:
        if request.bundle is not None and request.text.strip():
            want(request.bundle.similar.embedder, request.text)
        if request.kb_text is not None and request.kb_embedder is not None and request.kb_text.strip():
            want(request.kb_embedder, request.kb_text)
    vectors: dict[tuple[int, str], np.ndarray] = {}
    for key, (embedder, texts) in wanted.items():
        for text in texts:  # one text per call: see the module docstring
            vectors[(key, text)] = embedder.encode([text])[0]

    readings = [Reading() for _ in requests]
    by_bundle: dict[Hashable, list[int]] = {}
    for i, request in enumerate(requests):
        if request.bundle is not None:
            by_bundle.setdefault(id(request.bundle), []).append(i)
        if request.kb_text is not None and request.kb_embedder is not None:
            readings[i].kb_vector = vectors.get((id(request.kb_embedder), request.kb_text))
    for rows in by_bundle.values():
        bundle = requests[rows[0]].bundle
        bundle_texts = [requests[i].text for i in rows]
        embedder = bundle.similar.embedder
        found = [vectors.get((id(embedder), t)) for t in bundle_texts]
        for text, vector in zip(bundle_texts, found, strict=True):
            if vector is not None:
                bundle.similar.remember(text, vector)
        shared = (getattr(bundle.model, "uses_default_embedder", False) and embedder is get_embedder()
                  and all(v is not None for v in found))
        predictions = bundle.model.predict(bundle_texts, np.stack(found) if shared else None)  # type: ignore[arg-type]
        for i, guesses in zip(rows, predictions, strict=True):
            readings[i].fields = {k: g for k, g in guesses.items() if k in TRIAGE_FIELDS}
            readings[i].similar = list(bundle.similar.find(requests[i].text, SIMILAR_SHOWN))[:SIMILAR_SHOWN]
    return readings
