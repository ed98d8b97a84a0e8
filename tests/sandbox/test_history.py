"""The sandbox's year of resolved tickets is deterministic, consistent and learnable, and pages out whole.

Triage trains on this history, so "learnable" is checked on the data itself: within the group that
resolves a kind of ticket, one agent takes most of them (specialists), and every ticket says how it
was fixed. Nothing here is a hard-coded answer: expectations are computed from the seed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox.seed import SeedData, build_seed
from sandbox.seed.history import HISTORY_SIZE
from sandbox.seed.history_kinds import CATEGORY_TREE, KINDS
from tests.conftest import SandboxHandle

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEMO = {"alice.nguyen", "bob.martin", "carol.diaz", "dan.okafor", "erin.walsh"}


def _at(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def data() -> SeedData:
    return build_seed(42, NOW, imported_articles=False)


@pytest.fixture(scope="module")
def history(data: SeedData) -> list[dict[str, Any]]:
    """The year of history (appended after the recent tickets of the demo stories)."""
    done = data.tickets[-HISTORY_SIZE:]
    assert all(t["status"] in (4, 5) and t["responder_id"] is not None for t in done)
    return done


def test_history_is_deterministic_and_depends_on_the_seed(data: SeedData) -> None:
    again = build_seed(42, NOW, imported_articles=False)
    assert again.tickets == data.tickets and again.conversations == data.conversations
    other = build_seed(7, NOW, imported_articles=False)
    assert [t["subject"] for t in other.tickets[-50:]] != [t["subject"] for t in data.tickets[-50:]]


def test_history_spans_a_year_and_every_ticket_is_resolved_with_stats(data: SeedData, history: list[dict[str, Any]]) -> None:
    ages = [(NOW - _at(t["created_at"])).days for t in history]
    assert max(ages) >= 300 and min(ages) <= 7
    by_month = Counter(age // 30 for age in ages)
    assert all(by_month[m] >= 100 for m in range(12))  # every month of the year has tickets
    for t in history:
        stats = t["_stats"]
        assert stats["resolved_at"] and t["created_at"] <= stats["first_responded_at"] <= stats["resolved_at"]
        assert (stats["closed_at"] is not None) == (t["status"] == 5)
        assert stats["resolved_at"] <= t["updated_at"] <= NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert all(c["created_at"] <= t["updated_at"] for c in data.conversations.get(t["id"], []))
    people = {r["id"]: r for r in data.requesters}
    assert not [t for t in data.tickets[300:] if people[t["requester_id"]]["primary_email"].split("@")[0] in DEMO]


def test_fields_come_from_the_form_and_follow_the_content(data: SeedData, history: list[dict[str, Any]]) -> None:
    form = {f["name"]: f for f in data.ticket_form_fields}["category"]
    tree = {c["value"]: {s["value"]: [i["value"] for i in s["nested_options"]] for s in c["nested_options"]}
            for c in form["choices"]}
    assert tree == CATEGORY_TREE
    groups = {g["id"] for g in data.groups}
    for t in history:
        if t["category"] is not None:
            assert t["sub_category"] in tree[t["category"]]
            assert t["item_category"] is None or t["item_category"] in tree[t["category"]][t["sub_category"]]
        assert t["group_id"] in groups and t["urgency"] in (1, 2, 3) and t["impact"] in (1, 2, 3)
    matrix = {(1, 1): 1, (1, 2): 2, (1, 3): 2, (2, 1): 2, (2, 2): 2, (2, 3): 3, (3, 1): 3, (3, 2): 3, (3, 3): 4}
    written = [t for t in history if t["id"] not in data.requested_items]  # catalog requests start at Medium
    follows = sum(t["priority"] == matrix[(t["urgency"], t["impact"])] for t in written)
    assert follows / len(written) > 0.9  # the priority matrix, with agents' overrides now and then
    urgent = [t for t in history if re.search(r"(?<!not )\burgent|\basap\b", (t["subject"] + t["description_text"]).lower())]
    assert urgent and sum(t["urgency"] == 3 for t in urgent) / len(urgent) > 0.8  # urgency follows the words
    categorised = [t for t in history if t["category"]]
    assert len(categorised) / len(history) > 0.95 and {t["category"] for t in categorised} == set(CATEGORY_TREE)
    assert {t["type"] for t in history} == {"Incident", "Service Request"}


def test_employees_word_the_same_problem_many_ways(data: SeedData, history: list[dict[str, Any]]) -> None:
    texts = [t["description_text"] for t in history if t["description_text"]]
    assert len(set(texts)) / len(texts) > 0.7
    lengths = [len(x) for x in texts]
    assert min(lengths) < 40 and max(lengths) > 300  # one-liners and long emails with signatures
    assert len({t["subject"] for t in history}) > 400
    assert {t["source"] for t in history} >= {1, 2, 3, 4}
    assert len(KINDS) >= 40 and all(len(k.subjects) >= 3 and len(k.descriptions) >= 2 and k.fixes for k in KINDS)


def test_every_ticket_says_how_it_was_fixed(data: SeedData, history: list[dict[str, Any]]) -> None:
    agents = {a["id"] for a in data.agents}
    for t in history:
        conversations = data.conversations[t["id"]]
        by_agent = [c for c in conversations if c["user_id"] == t["responder_id"] and not c["incoming"]]
        assert by_agent, t["id"]
        notes = [c for c in by_agent if c["private"]]
        replies = [c for c in by_agent if not c["private"]]
        assert any(n["body_text"].startswith(("Resolution", "Cause", "Root cause", "Resolved")) for n in notes) or replies
        assert all(c["user_id"] in agents or c["incoming"] for c in conversations)


def test_routing_is_learnable_specialists_take_most_of_their_kind(data: SeedData, history: list[dict[str, Any]]) -> None:
    """For each kind (category, sub-category, item) with enough tickets: one group resolves most of them,
    and inside that group one agent resolves most — computed from the data, with the noise it carries."""
    kinds: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for t in history:
        if t["item_category"] and t["item_category"] != "Other":  # "Other": the catch-all of misfiled tickets
            kinds[(t["category"], t["sub_category"], t["item_category"])].append(t)
    checked = 0
    for kind, tickets in kinds.items():
        if len(tickets) < 40:
            continue
        checked += 1
        group, in_group = Counter(t["group_id"] for t in tickets).most_common(1)[0]
        assert in_group / len(tickets) > 0.7, kind
        top = Counter(t["responder_id"] for t in tickets if t["group_id"] == group).most_common(1)[0][1]
        assert top / in_group > 0.5, kind
    assert checked >= 20


def test_agents_left_and_moved_like_in_a_real_team(data: SeedData, history: list[dict[str, Any]]) -> None:
    agents = {a["id"]: a for a in data.agents}
    members = {g["id"]: set(g["members"]) for g in data.groups}
    left = [a for a in data.agents if not a["active"]]
    assert left and all(a["member_of"] == [] for a in left)
    for agent in left:  # a deactivated agent's tickets were all resolved before they left
        theirs = [t for t in history if t["responder_id"] == agent["id"]]
        assert theirs and max(t["_stats"]["resolved_at"] for t in theirs) <= agent["updated_at"]
    # someone resolved tickets for a group they are no longer in (they moved)
    moved = {t["responder_id"] for t in history
             if agents[t["responder_id"]]["active"] and t["responder_id"] not in members[t["group_id"]]}
    assert moved and all(agents[m]["member_of"] for m in moved)


@pytest.fixture(scope="module")
def pinned(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    return sandbox_factory(now=NOW, knowledge="org")


def test_updated_since_pages_through_the_whole_history(pinned: SandboxHandle, data: SeedData) -> None:
    """``GET /tickets?updated_since=…&per_page=100&include=stats`` following ``Link`` returns every ticket once."""
    since = NOW - timedelta(days=400)
    seen: list[dict[str, Any]] = []
    pages = 0
    url: str | None = f"{pinned.base_url}/api/v2/tickets"
    params: dict[str, Any] | None = {"updated_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "per_page": 100,
                                     "include": "stats", "order_type": "asc"}
    with httpx.Client(auth=(pinned.api_key, "X"), timeout=60) as http:
        while url:
            response = http.get(url, params=params)
            assert response.status_code == 200, response.text
            seen += response.json()["tickets"]
            pages += 1
            link = response.headers.get("link")
            url, params = (link.split(";")[0].strip("<> "), None) if link else (None, None)
        recent = http.get(f"{pinned.base_url}/api/v2/tickets", params={"per_page": 100}).json()["tickets"]
    assert [t["id"] for t in seen] == [t["id"] for t in sorted(data.tickets, key=lambda t: (t["created_at"], t["id"]))]
    assert pages == -(-len(data.tickets) // 100)
    resolved = {t["id"]: t["_stats"]["resolved_at"] for t in data.tickets}
    assert all(t["stats"]["resolved_at"] == resolved[t["id"]] for t in seen)
    assert all("tags" not in t for t in seen)
    # without updated_since only the last 30 days (by creation, real clock) are listed
    cutoff = datetime.now(UTC) - timedelta(days=30)
    assert all(_at(t["created_at"]) >= cutoff for t in recent)


def test_updated_since_is_incremental(pinned: SandboxHandle, data: SeedData) -> None:
    cutoff = NOW - timedelta(days=60)
    expected = {t["id"] for t in data.tickets if _at(t["updated_at"]) >= cutoff}
    got: set[int] = set()
    with httpx.Client(base_url=f"{pinned.base_url}/api/v2", auth=(pinned.api_key, "X"), timeout=60) as http:
        page = 1
        while True:
            batch = http.get("/tickets", params={"updated_since": cutoff.isoformat(), "per_page": 100,
                                                 "page": page}).json()["tickets"]
            got |= {t["id"] for t in batch}
            if len(batch) < 100:
                break
            page += 1
    assert got == expected and 0 < len(expected) < len(data.tickets)
