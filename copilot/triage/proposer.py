"""Build a :class:`Proposal` for one ticket: fields, assignees, similar tickets, KB articles, a reply draft.

Evidence comes from the trained bundle (``copilot.triage.bundle.TriageBundle``: field models and the
similar-tickets index), the assignee ranker (``copilot.triage.assignee.AssigneeRanker``) and the local
knowledge index (the ``KnowledgeSearch`` protocol: no API call). On a fresh install there is no
bundle yet: the proposal then carries the KB articles and a reply draft only, and the note says how
to train — the worker never fails for want of a model. The bundle is reloaded when ``train`` points
``current`` at a new version.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from copilot import logs
from copilot.triage.proposal import AssigneeGuess, FieldGuess, KbLink, Proposal, SimilarTicket
from copilot.triage.reader import Reading, ReadRequest, TicketReader
from tools.context import KbAnswer, KnowledgeSearch
from tools.freshservice import FreshserviceClient, FreshserviceError
from tools.freshservice.schemas import Ticket

log = logs.get_logger(__name__)
PRIORITY_NAMES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
LEVEL_NAMES = {1: "Low", 2: "Medium", 3: "High"}
DIRECTORY_TTL_SECONDS = 3600.0
BUNDLE_CHECK_SECONDS = 30.0
MAX_QUERY_CHARS = 1000


@runtime_checkable
class VectorKnowledge(Protocol):
    """A knowledge index that takes the caller's vector of its query (``copilot.knowledge.sync.KnowledgeBase``)."""

    @property
    def ready(self) -> bool: ...

    @property
    def embedder(self) -> Any: ...

    def embedding_text(self, question: str) -> str: ...

    async def search(self, question: str, k: int = 3, *, vector: Any = None) -> KbAnswer: ...


class Ranker(Protocol):
    async def rank(self, group_id: int, similar: list[SimilarTicket], *, now: datetime,
                   text: str | None = None) -> list[AssigneeGuess]: ...

    async def warm(self) -> None: ...


@dataclass
class Evidence:
    """What the proposer could use, for the note's wording."""

    trained: bool
    kb_available: bool
    kb: KbAnswer | None = None


class Directory:
    """Group and agent names for labels and reasons, refreshed hourly (two list calls)."""

    def __init__(self, client: FreshserviceClient) -> None:
        self.client = client
        self.groups: dict[int, str] = {}
        self.agents: dict[int, str] = {}
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if self._at and time.monotonic() - self._at < DIRECTORY_TTL_SECONDS:
                return
            try:
                self.groups = {g.id: g.name for g in [g async for g in self.client.iter_groups()]}
                agents = [a async for a in self.client.iter_agents()]
                self.agents = {a.id: " ".join(p for p in (a.first_name, a.last_name) if p) or str(a.id) for a in agents}
                self._at = time.monotonic()
            except FreshserviceError as error:  # labels fall back to ids; try again next ticket
                log.warning("triage_directory_unavailable", error=type(error).__name__, status=error.status)


class BundleSource:
    """The current trained bundle, or None before the first ``train``; reloaded when it changes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._bundle: Any = None
        self._signature: tuple[str, float] | None = None
        self._checked = 0.0

    def _current_signature(self) -> tuple[str, float] | None:
        pointer = self.data_dir / "triage" / "current"
        try:
            target = pointer.resolve(strict=True)
            return str(target), pointer.stat().st_mtime
        except OSError:
            return None

    def get(self) -> Any:
        now = time.monotonic()
        if self._bundle is not None and now - self._checked < BUNDLE_CHECK_SECONDS:
            return self._bundle
        self._checked = now
        signature = self._current_signature()
        if signature is None:
            self._bundle, self._signature = None, None
            return None
        if signature != self._signature:
            try:
                from copilot.triage.bundle import TriageBundle
            except ImportError:  # the learning half is not installed in this build
                return None
            try:
                self._bundle = TriageBundle.load_current(self.data_dir)
                self._signature = signature
                log.info("triage_bundle_loaded", version=getattr(self._bundle, "version", None))
            except Exception as error:  # a half-written or foreign bundle: keep working without it
                log.warning("triage_bundle_unreadable", error=type(error).__name__)
                self._bundle = None
        return self._bundle


def ticket_text(ticket: Ticket) -> str:
    return f"{ticket.subject or ''}\n{ticket.description_text or ''}".strip()[:MAX_QUERY_CHARS * 4]


class Proposer:
    def __init__(self, client: FreshserviceClient, *, knowledge: KnowledgeSearch | None,
                 bundle: Callable[[], Any], ranker: Callable[[Any], Ranker | None] | None = None,
                 directory: Directory | None = None, reader: TicketReader | None = None) -> None:
        self.client = client
        self.knowledge = knowledge
        self.bundle = bundle
        self.ranker = ranker
        self.directory = directory or Directory(client)
        self.reader = reader or TicketReader()

    async def warm(self) -> None:
        """Load, before the first event, what every proposal needs: the trained bundle (seconds: off the
        event loop), the group and agent names, and the ranker's directory. Without it the first
        events of a worker waited for all of it (and a bundle loaded on the loop held up every event)."""
        bundle = await asyncio.to_thread(self.bundle)
        await self.directory.refresh()
        ranker = self.ranker(bundle) if bundle is not None and self.ranker else None
        if ranker is not None:
            try:
                await ranker.warm()
            except FreshserviceError as error:  # the first proposal will try again
                log.warning("triage_assignees_unavailable", error=type(error).__name__, status=error.status)

    async def propose(self, ticket: Ticket, proposal_id: str, *, requester_name: str | None = None,
                      requester_email: str | None = None) -> tuple[Proposal, Evidence]:
        """The proposal for ``ticket`` (status and mode are the worker's to set)."""
        await self.directory.refresh()
        text = ticket_text(ticket)
        bundle = self.bundle()
        kb_available = self.knowledge is not None and self.knowledge.ready
        vector_kb = self.knowledge if kb_available and isinstance(self.knowledge, VectorKnowledge) else None
        question = text[:MAX_QUERY_CHARS]
        reading = Reading()
        if bundle is not None or vector_kb is not None:  # the models' work, batched with the other events in hand
            reading = await self.reader.read(ReadRequest(
                text=text, bundle=bundle, kb_text=vector_kb.embedding_text(question) if vector_kb else None,
                kb_embedder=vector_kb.embedder if vector_kb else None))
        fields = {k: self._labelled(k, g) for k, g in reading.fields.items()}
        similar = reading.similar
        assignees: list[AssigneeGuess] = []
        if bundle is not None:
            group = fields.get("group_id")
            group_id = int(group.value) if group is not None and str(group.value).isdigit() else ticket.group_id
            ranker = self.ranker(bundle) if self.ranker else None
            if ranker is not None and group_id:
                try:
                    assignees = (await ranker.rank(int(group_id), similar, now=datetime.now(UTC), text=text))[:2]
                except FreshserviceError as error:  # workload unknown: propose without assignees
                    log.warning("triage_assignees_unavailable", error=type(error).__name__, status=error.status)
        kb: KbAnswer | None = None
        if vector_kb is not None:
            kb = await vector_kb.search(question, 3, vector=reading.kb_vector)
        elif kb_available and self.knowledge is not None:
            kb = await self.knowledge.search(question, 3)
        articles = [KbLink(title=a.title, url=a.url, score=a.score) for a in (kb.articles if kb else [])[:3]] \
            if kb is not None and kb.tier != "none" else []
        proposal = Proposal(
            id=proposal_id, ticket_id=ticket.id, subject=ticket.subject or "", requester_email=requester_email,
            model_version=str(getattr(bundle, "version", "") or ""), fields=fields, assignees=assignees,
            similar=similar, articles=articles,
            reply_draft=self.reply_draft(ticket, requester_name, kb, fields))
        return proposal, Evidence(trained=bundle is not None, kb_available=kb_available, kb=kb)

    def _labelled(self, name: str, guess: FieldGuess) -> FieldGuess:
        if guess.label:
            return guess
        value = guess.value
        number = int(value) if isinstance(value, int) or str(value).isdigit() else None
        label = str(value)
        if name == "group_id" and number is not None:
            label = self.directory.groups.get(number, label)
        elif name == "responder_id" and number is not None:
            label = self.directory.agents.get(number, label)
        elif name == "priority" and number is not None:
            label = PRIORITY_NAMES.get(number, label)
        elif name in ("urgency", "impact") and number is not None:
            label = LEVEL_NAMES.get(number, label)
        return guess.model_copy(update={"label": label})

    def reply_draft(self, ticket: Ticket, requester_name: str | None, kb: KbAnswer | None,
                    fields: dict[str, FieldGuess]) -> str:
        """A first reply the agent can send as is or edit: the KB answer when there is one."""
        greeting = f"Hi {requester_name.split()[0]}," if requester_name and requester_name.split() else "Hello,"
        subject = (ticket.subject or "your request").strip()
        lines = [greeting, f"Thank you for contacting IT about \"{subject}\"."]
        if kb is not None and kb.tier == "confident" and kb.articles:
            top = kb.articles[0]
            lines.append(f"This article should solve it: {top.title} — {top.url}")
            if top.passages:
                lines.append(" ".join(top.passages[0].split())[:500])
            lines.append("If it doesn't, reply to this message and we'll take it from here.")
        elif kb is not None and kb.tier == "plausible" and kb.articles:
            links = "; ".join(f"{a.title} — {a.url}" for a in kb.articles[:3])
            lines.append(f"While we look at it, these articles may help: {links}")
        else:
            group = fields.get("group_id")
            team = group.label if group is not None and group.label else (
                self.directory.groups.get(ticket.group_id or 0) or "the IT team")
            lines.append(f"We have received it and {team} will look at it shortly.")
        lines.append("IT Service Desk")
        return "\n".join(lines)
