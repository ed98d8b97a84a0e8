"""The sandbox's in-memory account: the seed, indexed by id, plus the writes made since the last reset.

Objects are kept in Freshservice's wire shape (see ``sandbox/seed/model.py``) so routes can send
them as they are; keys starting with ``_`` are sandbox-only and stripped on the way out.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import marshal
from datetime import UTC, datetime

from sandbox.seed.model import Obj, SeedData


def now_iso(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public(obj: Obj, *, drop: tuple[str, ...] = ()) -> Obj:
    """A copy without sandbox-only keys (and without ``drop``)."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_") and k not in drop}


@functools.lru_cache(maxsize=4)
def _seed(seed: int, now_key: str | None, imported_articles: bool) -> tuple[bytes, dict[int, list[Obj]]]:
    """The seed, serialised once, so a reset is one ``marshal.loads`` (about 2x faster than a deep copy).

    Conversations (half of the seed with the ticket history) are never edited in place, only added or
    deleted, so a reset shares their objects and copies only the per-ticket lists."""
    from sandbox.seed import build_seed

    data = build_seed(seed, datetime.fromisoformat(now_key) if now_key else None, imported_articles=imported_articles)
    rest = {f.name: getattr(data, f.name) for f in dataclasses.fields(data) if f.name != "conversations"}
    return marshal.dumps(rest), data.conversations


class AccountState:
    """Everything the sandbox serves; :meth:`reset` goes back to the seed in a few milliseconds."""

    def __init__(self, seed: int = 42, now: datetime | None = None, *, imported_articles: bool = True) -> None:
        self.seed_number = seed
        self.now_key = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
        self.imported_articles = imported_articles
        self.reset()

    def reset(self) -> None:
        blob, conversations = _seed(self.seed_number, self.now_key, self.imported_articles)
        data = SeedData(**marshal.loads(blob), conversations={k: list(v) for k, v in conversations.items()})
        self.workspace_id = data.workspace_id
        self.api_agent_id = data.api_agent_id
        self.departments = {d["id"]: d for d in data.departments}
        self.locations = {x["id"]: x for x in data.locations}
        self.requesters = {r["id"]: r for r in data.requesters}
        self.agents = {a["id"]: a for a in data.agents}
        self.roles = {r["id"]: r for r in data.roles}
        self.groups = {g["id"]: g for g in data.groups}
        self.business_hours = {b["id"]: b for b in data.business_hours}
        self.ticket_form_fields = data.ticket_form_fields
        self.solution_categories = {c["id"]: c for c in data.solution_categories}
        self.solution_folders = {f["id"]: f for f in data.solution_folders}
        self.solution_articles = {a["id"]: a for a in data.solution_articles}
        self.service_categories = {c["id"]: c for c in data.service_categories}
        self.service_items = {i["display_id"]: i for i in data.service_items}
        self.vendors = {v["id"]: v for v in data.vendors}
        self.contract_types = {c["id"]: c for c in data.contract_types}
        self.contracts = {c["id"]: c for c in data.contracts}
        self.applications = {a["id"]: a for a in data.applications}
        self.application_users = data.application_users
        self.application_installations = data.application_installations
        self.asset_types = {t["id"]: t for t in data.asset_types}
        self.assets = {a["display_id"]: a for a in data.assets}
        self.tickets = {t["id"]: t for t in data.tickets}
        self.conversations = data.conversations
        self.requested_items = data.requested_items
        self.approvals = data.approvals
        self.problems: dict[int, Obj] = {}  # the seed has none; created through POST /problems
        self._problem_ids = itertools.count(1)
        self._ticket_ids = itertools.count(max(self.tickets, default=0) + 1)
        biggest = max(
            [c["id"] for cs in self.conversations.values() for c in cs]
            + [a["id"] for xs in self.approvals.values() for a in xs]
            + [i["id"] for xs in self.requested_items.values() for i in xs]
            + list(self.requesters) + list(self.solution_articles) + [10_000_000_000],
        )
        self._object_ids = itertools.count(biggest + 1)

    # -- ids ------------------------------------------------------------------------------------------

    def next_ticket_id(self) -> int:
        return next(self._ticket_ids)

    def next_object_id(self) -> int:
        return next(self._object_ids)

    def next_problem_id(self) -> int:
        return next(self._problem_ids)

    # -- people ---------------------------------------------------------------------------------------

    def person(self, user_id: int | None) -> Obj | None:
        if user_id is None:
            return None
        return self.requesters.get(user_id) or self.agents.get(user_id)

    def person_name(self, user_id: int | None) -> str | None:
        person = self.person(user_id)
        if person is None:
            return None
        return " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)

    def person_email(self, user_id: int | None) -> str | None:
        person = self.person(user_id)
        return None if person is None else person.get("primary_email") or person.get("email")

    def requester_by_email(self, email: str) -> Obj | None:
        wanted = email.strip().lower()
        for requester in self.requesters.values():
            emails = [requester.get("primary_email") or "", *(requester.get("secondary_emails") or [])]
            if wanted in (e.lower() for e in emails):
                return requester
        return None

    def agent_by_email(self, email: str) -> Obj | None:
        wanted = email.strip().lower()
        return next((a for a in self.agents.values() if (a.get("email") or "").lower() == wanted), None)

    # -- ticket helpers -------------------------------------------------------------------------------

    def ticket_view(self, ticket: Obj, include: set[str]) -> Obj:
        """GET shape: ``tags`` only with ``include=tags`` (reference §6.2); embeds by name."""
        view = public(ticket, drop=() if "tags" in include else ("tags",))
        if "conversations" in include:
            view["conversations"] = [public(c) for c in self.conversations.get(ticket["id"], [])[:10]]
        if "requester" in include:
            person = self.person(ticket.get("requester_id")) or {}
            view["requester"] = {"id": person.get("id"), "name": self.person_name(person.get("id")),
                                 "email": self.person_email(person.get("id")),
                                 "mobile": person.get("mobile_phone_number"), "phone": person.get("work_phone_number")}
        if "requested_for" in include:
            rid = ticket.get("requested_for_id")
            view["requested_for"] = {"id": rid, "name": self.person_name(rid), "email": self.person_email(rid)} if rid else None
        if "stats" in include:
            view["stats"] = ticket.get("_stats") or {"resolved_at": None, "closed_at": None, "first_responded_at": None}
        if "department" in include:
            dept = self.departments.get(ticket.get("department_id") or 0)
            view["department"] = {"id": dept["id"], "name": dept["name"]} if dept else None
        return view
