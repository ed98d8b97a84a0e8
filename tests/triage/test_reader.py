"""TicketReader: the tickets in hand read in one batch give what reading them one by one gives.

Real parts: a field model trained on the learning sandbox's resolved history, the similar-tickets
index over the same history, MiniLM, and the real knowledge index (its spelling-corrected text)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pytest

from copilot.knowledge.sync import KnowledgeBase
from copilot.triage.classifier import TriageModel
from copilot.triage.history import PastTicket
from copilot.triage.reader import ReadRequest, TicketReader, read_all
from copilot.triage.similar import SimilarTickets
from copilot.triage.train import field_labels

# written the way employees write to IT, not taken from the history or the code
TICKETS = [
    "Outlook keeps crashing\nEvery time I open a shared calendar Outlook closes without any error.",
    "vpn wont connect from home\nGlobalProtect says gateway unreachable since this morning, pls help",
    "Need access to the Finance share\nI moved to the controlling team and get access denied on the drive.",
    "Laptop battery dies in an hour\nThe battery was fine last month, now it is empty after a meeting.",
    "printer on floor 3 offline\nMy print jobs stay in the queue, the printer shows offline.",
    "",  # a ticket with no text at all still gets a reading
]


@dataclass
class Bundle:
    """The two trained parts of a bundle the reader uses (a TriageBundle also carries its manifest)."""

    model: TriageModel
    similar: SimilarTickets


@pytest.fixture(scope="module")
def bundle(history: list[PastTicket], index: SimilarTickets) -> Bundle:
    tickets = [t for t in history if t.text]
    return Bundle(TriageModel.fit([t.text for t in tickets], field_labels(tickets)), index)


async def test_a_batch_reads_like_one_ticket_at_a_time(bundle: Bundle, knowledge: KnowledgeBase) -> None:
    requests = [ReadRequest(text=t, bundle=bundle, kb_text=knowledge.embedding_text(t[:1000]),
                            kb_embedder=knowledge.embedder) for t in TICKETS]
    together = await asyncio.to_thread(read_all, requests)
    for text, reading in zip(TICKETS, together, strict=True):
        alone = bundle.model.predict([text])[0]
        assert {k: g.value for k, g in reading.fields.items()} == {k: g.value for k, g in alone.items()}
        for name, guess in reading.fields.items():
            assert guess.confidence == pytest.approx(alone[name].confidence, abs=1e-4)
            assert guess.auto == alone[name].auto or abs(guess.confidence - alone[name].confidence) < 1e-4
        assert [s.ticket_id for s in reading.similar] == [s.ticket_id for s in bundle.similar.find(text, 3)]
        if text:
            assert reading.similar  # the history has neighbours for every real ticket
            own = knowledge.embedder.encode([knowledge.embedding_text(text[:1000])])[0]
            assert reading.kb_vector is not None and float(np.dot(reading.kb_vector, own)) > 0.9999
            answer = await knowledge.search(text[:1000], 3, vector=reading.kb_vector)
            plain = await knowledge.search(text[:1000], 3)
            assert [a.id for a in answer.articles] == [a.id for a in plain.articles]
            assert answer.tier == plain.tier
        else:
            assert reading.similar == [] and reading.kb_vector is None


async def test_concurrent_reads_share_model_calls(bundle: Bundle) -> None:
    reader = TicketReader()
    readings = await asyncio.gather(*(reader.read(ReadRequest(text=t, bundle=bundle)) for t in TICKETS[:5]))
    assert all(r.fields and r.similar for r in readings)
    assert reader.items == 5 and reader.batches < 5  # at least two tickets rode one call
