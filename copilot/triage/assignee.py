"""Who in the chosen group should take this ticket: the top two agents, each with reasons a person reads.

Three things count, as a team lead would weigh them:

* **skill** — who resolved the past tickets most similar to this one (from the similar-tickets index),
  plus keywords from an optional skills file (``COPILOT_TRIAGE_SKILLS_FILE``: YAML or JSON, agent
  email → keywords) and, lightly, how many of the group's tickets each agent resolved;
* **workload** — open and pending tickets assigned to each agent now (``/tickets/filter``, cached
  for ``COPILOT_TRIAGE_WORKLOAD_TTL_SECONDS`` so a burst of tickets costs one query per agent);
* **availability** — inactive agents and agents marked unavailable (``COPILOT_TRIAGE_UNAVAILABLE_AGENTS``
  or the Redis set ``copilot:triage:unavailable``, which the console can toggle) are never proposed;
  outside the group's business hours (holidays included) the reason says until when.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import yaml
from pydantic import BaseModel
from redis.exceptions import RedisError

from copilot import logs
from copilot.triage.proposal import AssigneeGuess, SimilarTicket
from copilot.triage.similar import SimilarTickets
from tools.business_hours import OfficeHours, zone
from tools.freshservice import Agent, FreshserviceClient, FreshserviceError, Group

log = logs.get_logger(__name__)

UNAVAILABLE_KEY = "copilot:triage:unavailable"  # Redis set of agent ids or emails (lower case)
EVIDENCE_K = 20  # similar past tickets looked at for skill when the ticket text is known
MIN_EVIDENCE_SHARE = 0.6  # evidence below this share of the best similarity is noise
DIRECTORY_TTL_SECONDS = 600.0
# weights of the score (a softmax over the group's available agents turns them into shares); skill grows with
# the log of the similarity-weighted count, so an expert with eight more open tickets than a colleague gives way
W_SIMILAR, W_KEYWORD, W_GROUP, W_OPEN, W_OFF_SHIFT = 1.5, 0.8, 0.15, 0.2, 0.5


class SkillsFileError(ValueError):
    """The skills file cannot be read; the message says what to fix."""


def load_skills(path: Path | None) -> dict[str, list[str]]:
    """Agent email (lower case) → keywords, from a YAML or JSON file; {} without a file."""
    if path is None:
        return {}
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SkillsFileError(f"cannot read the skills file {path}: {error.strerror or error}") from error
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise SkillsFileError(f"the skills file {path} is not valid {kind}: {error}") from error
    if not isinstance(data, Mapping):
        raise SkillsFileError(f"the skills file {path} must map agent emails to lists of keywords")
    skills: dict[str, list[str]] = {}
    for email, words in data.items():
        if isinstance(words, str):
            words = [w.strip() for w in words.split(",")]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise SkillsFileError(f"the skills of {email} in {path} must be a list of keywords")
        skills[str(email).strip().lower()] = [w.strip().lower() for w in words if w.strip()]
    return skills


async def set_unavailable(redis: aioredis.Redis, agent: int | str, unavailable: bool = True) -> None:
    """Mark an agent (id or email) unavailable for triage proposals, or available again."""
    member = str(agent).strip().lower()
    if unavailable:
        await redis.sadd(UNAVAILABLE_KEY, member)
    else:
        await redis.srem(UNAVAILABLE_KEY, member)


class Candidate(BaseModel):
    agent_id: int
    name: str
    similar_resolved: int = 0
    similar_weight: float = 0.0
    keywords: list[str] = []
    group_resolved: int = 0
    open_tickets: int | None = None
    off_shift_until: str | None = None
    raw: float = 0.0


class AssigneeRanker:
    """Ranks the members of a group for one ticket (``rank``); reads agents, groups, business hours
    and workload through ``client`` (cached), skill evidence from ``index``."""

    def __init__(self, client: FreshserviceClient, *, index: SimilarTickets | None = None,
                 skills: Mapping[str, list[str]] | None = None, unavailable: Iterable[int | str] = (),
                 redis: aioredis.Redis | None = None, workload_ttl: float = 60.0,
                 directory_ttl: float = DIRECTORY_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.index = index
        self.skills = {k.lower(): v for k, v in (skills or {}).items()}
        self.unavailable = {str(a).strip().lower() for a in unavailable}
        self.redis = redis
        self.workload_ttl = workload_ttl
        self.directory_ttl = directory_ttl
        self._clock = clock
        self._agents: dict[int, Agent] = {}
        self._groups: dict[int, Group] = {}
        self._hours: dict[int, OfficeHours] = {}
        self._default_hours: OfficeHours | None = None
        self._directory_at = -math.inf
        self._directory_lock = asyncio.Lock()
        self._workload: dict[int, tuple[int, float]] = {}
        self._counting: dict[int, asyncio.Task[int | None]] = {}  # counts under way, shared by their askers
        self._group_counts: dict[tuple[int, int], int] = {}
        if index is not None:
            for ticket in index.tickets:
                if ticket.group_id is not None and ticket.responder_id is not None:
                    key = (ticket.group_id, ticket.responder_id)
                    self._group_counts[key] = self._group_counts.get(key, 0) + 1

    @classmethod
    def from_settings(cls, settings: Any, client: FreshserviceClient, *, index: SimilarTickets | None,
                      redis: aioredis.Redis | None = None) -> AssigneeRanker:
        """The ranker the worker uses: skills file, unavailable agents and workload cache from settings
        (``COPILOT_TRIAGE_*``); a broken skills file raises :class:`SkillsFileError` with the reason."""
        return cls(client, index=index, skills=load_skills(settings.triage_skills_file),
                   unavailable=settings.triage_unavailable(), redis=redis,
                   workload_ttl=settings.triage_workload_ttl_seconds)

    # -- cached reads ---------------------------------------------------------------------------------

    async def _directory(self) -> None:
        async with self._directory_lock:
            if self._clock() - self._directory_at < self.directory_ttl:
                return
            self._agents = {a.id: a async for a in self.client.iter_agents()}
            self._groups = {g.id: g async for g in self.client.iter_groups()}
            hours: dict[int, OfficeHours] = {}
            default: OfficeHours | None = None
            async for item in self.client.iter_business_hours():
                hours[item.id] = OfficeHours.from_freshservice(item)
                if item.is_default or default is None:
                    default = hours[item.id]
            self._hours, self._default_hours = hours, default
            self._directory_at = self._clock()

    async def warm(self) -> None:
        """Read the agents, groups and business hours now (the worker calls it before its first event)."""
        await self._directory()

    def members(self, group_id: int) -> list[Agent]:
        group = self._groups.get(group_id)
        ids = list(group.members) if group is not None and group.members else [
            a.id for a in self._agents.values() if group_id in a.member_of]
        return [self._agents[i] for i in ids if i in self._agents]

    async def _marked_unavailable(self) -> set[str]:
        marked = set(self.unavailable)
        if self.redis is not None:
            try:
                marked |= {m.decode().lower() if isinstance(m, bytes) else str(m).lower()
                           for m in await self.redis.smembers(UNAVAILABLE_KEY)}
            except RedisError as error:
                log.warning("triage_unavailable_set_unreadable", error=type(error).__name__)
        return marked

    async def open_tickets(self, agent_id: int) -> int | None:
        """Open and pending tickets assigned to the agent (None if the API failed).

        Cached for ``workload_ttl``; for one more ``workload_ttl`` after that the cached count is still
        answered at once while it is recounted in the background, so a burst of tickets does not
        wait, every minute, for one ticket search per group member. Concurrent askers share one count."""
        cached = self._workload.get(agent_id)
        age = self._clock() - cached[1] if cached is not None else math.inf
        if cached is not None and age < self.workload_ttl:
            return cached[0]
        if cached is not None and age < 2 * self.workload_ttl:
            self._counting_task(agent_id)  # stale but recent: answered now, refreshed for the next ticket
            return cached[0]
        return await asyncio.shield(self._counting_task(agent_id))

    def _counting_task(self, agent_id: int) -> asyncio.Task[int | None]:
        task = self._counting.get(agent_id)
        if task is None:
            task = asyncio.create_task(self._count_open(agent_id), name=f"triage-workload-{agent_id}")
            self._counting[agent_id] = task
            task.add_done_callback(lambda _: self._counting.pop(agent_id, None))
        return task

    async def _count_open(self, agent_id: int) -> int | None:
        cached = self._workload.get(agent_id)
        try:
            count = 0
            async for _ in self.client.filter_tickets(f"agent_id:{int(agent_id)} AND (status:2 OR status:3)"):
                count += 1
        except FreshserviceError as error:
            log.warning("triage_workload_unavailable", agent_id=agent_id, error=type(error).__name__)
            return cached[0] if cached is not None else None
        self._workload[agent_id] = (count, self._clock())
        return count

    def forget_workload(self) -> None:
        self._workload.clear()

    # -- ranking --------------------------------------------------------------------------------------

    def _evidence(self, similar: list[SimilarTicket], text: str | None) -> list[tuple[int, float]]:
        """(responder id, similarity) of past tickets like this one."""
        if self.index is None:
            return []
        if text and text.strip():
            found = [(t.responder_id, s) for t, s in self.index.neighbours(text, EVIDENCE_K)]
        else:
            found = []
            for item in similar:
                past = self.index.ticket(item.ticket_id)
                found.append((past.responder_id if past else None, item.similarity))
        if not found:
            return []
        best = max(s for _, s in found)
        return [(r, s) for r, s in found if r is not None and s >= MIN_EVIDENCE_SHARE * best]

    def _keywords(self, agent: Agent, text: str) -> list[str]:
        words = self.skills.get((agent.email or "").lower(), [])
        lowered = text.lower()
        return [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lowered)]

    def _shift(self, group_id: int, now: datetime) -> str | None:
        """None when the group's desk is open at ``now``, else 'until 09:00 tomorrow'-style text."""
        group = self._groups.get(group_id)
        hours = self._hours.get(group.business_hours_id or -1) if group is not None else None
        hours = hours or self._default_hours
        if hours is None or hours.is_open(now):
            return None
        try:
            opens = hours.next_open(now)
        except ValueError:
            return "(no opening in the next three weeks)"
        local = now.astimezone(zone(hours.time_zone))
        clock = opens.strftime("%H:%M")
        if opens.date() == local.date():
            return f"until {clock}"
        if (opens.date() - local.date()).days == 1:
            return f"until {clock} tomorrow"
        return f"until {opens.strftime('%a')} {opens.day} {opens.strftime('%b')} {clock}"

    async def rank(self, group_id: int, similar: list[SimilarTicket], *, now: datetime, text: str | None = None,
                   k: int = 2, consider_workload: bool = True, consider_shift: bool = True) -> list[AssigneeGuess]:
        """The ``k`` best available members of ``group_id`` for a ticket whose similar past tickets are
        ``similar`` (and whose text is ``text``, which widens the skill evidence); [] when nobody in
        the group can take it. The evaluation of past tickets turns workload and shifts off (their
        values at that time are unknown)."""
        try:
            await self._directory()
        except FreshserviceError as error:  # an assignee is a suggestion: the proposal goes on without one
            log.warning("triage_directory_unavailable", error=type(error).__name__, status=error.status)
            if not self._agents:
                return []
        marked = await self._marked_unavailable()
        members = [a for a in self.members(group_id) if a.active
                   and str(a.id) not in marked and (a.email or "").lower() not in marked]
        if not members:
            return []
        evidence = self._evidence(similar, text)
        keyword_text = text or " ".join(s.subject for s in similar)
        off_shift = self._shift(group_id, now) if consider_shift else None
        if consider_workload:
            loads: list[int | None] = list(await asyncio.gather(*(self.open_tickets(a.id) for a in members)))
        else:
            loads = [0] * len(members)
        candidates: list[Candidate] = []
        for agent, load in zip(members, loads, strict=True):
            mine = [s for r, s in evidence if r == agent.id]
            candidate = Candidate(agent_id=agent.id, name=agent.name, similar_resolved=len(mine),
                                  similar_weight=sum(mine), keywords=self._keywords(agent, keyword_text),
                                  group_resolved=self._group_counts.get((group_id, agent.id), 0), open_tickets=load,
                                  off_shift_until=off_shift)
            candidate.raw = (W_SIMILAR * math.log1p(candidate.similar_weight) + W_KEYWORD * len(candidate.keywords)
                             + W_GROUP * math.log1p(candidate.group_resolved) - W_OPEN * (load or 0)
                             - (W_OFF_SHIFT if off_shift else 0.0))
            candidate.open_tickets = load if consider_workload else None
            candidates.append(candidate)
        top = max(c.raw for c in candidates)
        total = sum(math.exp(c.raw - top) for c in candidates)
        candidates.sort(key=lambda c: (-c.raw, c.open_tickets or 0, c.agent_id))
        return [AssigneeGuess(agent_id=c.agent_id, name=c.name, score=round(math.exp(c.raw - top) / total, 4),
                              reasons=reasons(c)) for c in candidates[:k]]


def reasons(candidate: Candidate) -> list[str]:
    """What a reviewer reads next to the name."""
    out: list[str] = []
    if candidate.similar_resolved:
        plural = "s" if candidate.similar_resolved != 1 else ""
        out.append(f"resolved {candidate.similar_resolved} similar ticket{plural}")
    if candidate.keywords:
        out.append("skills: " + ", ".join(candidate.keywords))
    if candidate.group_resolved and not candidate.similar_resolved:
        out.append(f"resolved {candidate.group_resolved} of this group's tickets")
    if candidate.open_tickets is not None:
        out.append(f"{candidate.open_tickets} open ticket{'s' if candidate.open_tickets != 1 else ''}")
    out.append(f"off shift {candidate.off_shift_until}" if candidate.off_shift_until else "on shift")
    return out
