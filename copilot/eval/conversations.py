"""Run conversation cases (``bench/data/conversations-*.jsonl``) through the real engine and score them.

    python -m copilot.eval conversations --cases bench/data/conversations-dev.jsonl [--out RESULTS.jsonl]

The engine runs in-process with its real parts: the offline model (or the configured LLM), an
embedded Redis and a Freshservice sandbox started as a subprocess (``python -m sandbox`` with Acme's
own articles), or a Freshservice given with ``--freshservice-url``/``--api-key``. Each case runs in a
fresh conversation after ``POST /_sandbox/reset``; its checks are described in
``bench/data/CONVERSATIONS-README.md``.

The reply *kind* a check asks for is read from what the turn did — which tools ran, what they
offered, how the conversation state changed — not from the wording of the reply. Kinds the product
does not produce are never seen, so those checks fail. ``resume_offer``: the turn went back to a request in
progress (``resume_request``) or offered a button to continue a parked one (``resume:<draft>``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from copilot.conversations import ConversationState
from copilot.engine import Engine, IncomingMessage, TurnResult
from copilot.eval.report import write_section
from copilot.services import Services, build_services
from copilot.settings import SANDBOX_KB_LIBRARIES, Settings
from tools.freshservice import FreshserviceClient, Ticket
from tools.request_draft import RequestDraft

ENGLISH_IN = ("inglés", "ingles", "englisch", "anglais", "inglês", "inglese", "engels", "angielsk", "english")
HANDOVER_SUBJECT = re.compile(r"^(URGENT: )?Copilot handover", re.I)
PICK_ONE = re.compile(r"Which one do you mean|which one shall we start with")  # tools/requests.py: items to pick from
SUGGESTIONS = re.compile(r"articles may help", re.I)
KNOWN_FIX = re.compile(r"^This may fix it — from “", re.M)  # tools/tickets.py known_fix: an article's fix, then the offer
OUT_OF_SCOPE = re.compile(r"not something IT handles|only help with IT|People team", re.I)
NO_MATCH = re.compile(r"couldn't find a (ticket|request)", re.I)  # tools/tickets.py: by number or by content
CLARIFY = re.compile(r"didn't understand|say it another way|Which ticket\?|Which one do you mean|describe what you need",
                     re.I)


# --------------------------------------------------------------------------- reading one turn

@dataclass
class Snapshot:
    """What the checks read of a conversation between turns — its write proposals and their status, the open
    request, the handover — taken in-process (:meth:`of`) or from the REST API (:meth:`of_rest`)."""

    pending: dict[str, tuple[str, str]]  # proposal id -> (kind, status)
    draft_open: bool = False
    draft_cancelled: bool = False
    asking: str | None = None  # the label of the form field being asked
    handoff: bool = False

    @classmethod
    def of(cls, state: ConversationState) -> Snapshot:
        draft = state.draft
        current = draft.current_field if draft is not None and draft.open else None
        return cls(pending={p.id: (p.kind, p.status) for p in state.pending.values()},
                   draft_open=draft is not None and draft.open,
                   draft_cancelled=draft is not None and draft.stage.value == "cancelled",
                   asking=current.label if current is not None else None, handoff=state.handoff is not None)

    @classmethod
    def of_rest(cls, body: dict[str, Any]) -> Snapshot:
        """From ``GET /api/v1/conversations/{id}``."""
        state = body["state"]
        draft = RequestDraft.model_validate(state["draft"]) if state.get("draft") else None
        current = draft.current_field if draft is not None and draft.open else None
        return cls(pending={p["id"]: (p["kind"], p["status"]) for p in state.get("proposals", [])},
                   draft_open=draft is not None and draft.open,
                   draft_cancelled=draft is not None and draft.stage.value == "cancelled",
                   asking=current.label if current is not None else None, handoff=state.get("handoff") is not None)

    def open_ids(self) -> set[str]:
        return {pid for pid, (_, status) in self.pending.items() if status == "pending"}


def reply_kinds(result: TurnResult, before: Snapshot, after: Snapshot) -> set[str]:
    """What this turn did, as the kinds the cases speak of (one turn can be several)."""
    tools = {a.tool for a in result.activities}
    text = "\n".join(m.text for m in result.messages)
    cited = any(m.citations for m in result.messages)
    kinds: set[str] = set()
    new_pending = [after.pending[pid][0] for pid in after.open_ids() - before.open_ids()]
    if result.escalated or (after.handoff and not before.handoff):
        kinds.add("handover")
    for pid, (kind, status) in after.pending.items():
        was = before.pending.get(pid)
        if was is not None and was[1] == "pending" and status == "done" and kind == "place_request":
            kinds.add("submitted")
        if was is not None and was[1] == "pending" and status == "cancelled":
            kinds.add("cancelled")
    if before.draft_open and after.draft_cancelled:
        kinds.add("cancelled")
    if "place_request" in new_pending:
        kinds.add("review")
    if "create_incident" in new_pending:
        kinds.add("incident_offer")
        if cited and KNOWN_FIX.search(text):
            kinds.add("kb_answer")  # the fix a confident article gives, with its source, shown before the offer
    if after.draft_open and after.asking is not None and \
            tools & {"start_request", "answer_request_field", "change_request_field"}:
        kinds.add("asks_field")
    if "find_catalog_item" in tools or (tools & {"start_request", "check_license"} and PICK_ONE.search(text)):
        kinds.add("catalog_options")
    if "check_license" in tools:
        kinds.add("licence_answer")
    if "search_kb" in tools:
        kb = next(a for a in result.activities if a.tool == "search_kb")
        if SUGGESTIONS.search(kb.summary):
            kinds.add("kb_suggestions")  # the plausible tier: links, no answer
        else:
            kinds.add("kb_answer" if cited else "kb_decline")
    if "my_tickets" in tools:
        kinds.add("ticket_list")
    if "ticket_status" in tools:
        kinds.add("no_matching_ticket" if NO_MATCH.search(text) else "ticket_status")
    if "resume_request" in tools or any(a.id.startswith("resume:") for m in result.messages for a in m.actions):
        kinds.add("resume_offer")
    if "ask_to_rephrase" in tools or CLARIFY.search(text):
        kinds.add("clarify")
    if not tools and not kinds:
        kinds.add("out_of_scope" if OUT_OF_SCOPE.search(text) else "smalltalk")
    return kinds


def check_turn(check: dict[str, Any], text: str, kinds: set[str], after: Snapshot) -> bool:
    lowered = text.lower()
    if "reply_kind" in check:
        return check["reply_kind"] in kinds
    if "reply_contains" in check:
        return str(check["reply_contains"]).lower() in lowered
    if "reply_not_contains" in check:
        return str(check["reply_not_contains"]).lower() not in lowered
    if "reply_contains_any" in check:
        return any(str(t).lower() in lowered for t in check["reply_contains_any"])
    if "asks_field" in check:
        return after.asking is not None and after.asking.lower() == str(check["asks_field"]).lower()
    if "review_shows" in check:
        lines = lowered.splitlines()
        return "review" in kinds and all(
            any(line.strip("• ").startswith(f"{label.lower()}:") and str(value).lower() in line for line in lines)
            for label, value in check["review_shows"].items())
    if "buttons_include" in check:
        return False  # no case uses it; button labels are the product's choice
    if "language_notice" in check:
        return any(word in lowered for word in ENGLISH_IN) == bool(check["language_notice"])
    raise ValueError(f"unknown turn check {check}")


# --------------------------------------------------------------------------- the IT system afterwards

@dataclass
class Created:
    requests: list[Ticket] = field(default_factory=list)
    incidents: list[Ticket] = field(default_factory=list)
    handovers: list[Ticket] = field(default_factory=list)


async def created_since(client: FreshserviceClient, requester_id: int, before: set[int]) -> Created:
    created = Created()
    async for ticket in client.filter_tickets(f"requester_id:{requester_id}"):
        if ticket.id in before:
            continue
        if ticket.is_service_request:
            created.requests.append(ticket)
        elif HANDOVER_SUBJECT.match(ticket.subject or ""):
            created.handovers.append(ticket)
        else:
            created.incidents.append(ticket)
    return created


def _value_matches(expected: Any, stored: Any, field_type: str) -> bool:
    if field_type == "custom_checkbox" or isinstance(expected, bool):
        return bool(stored) == bool(expected)
    if field_type in ("custom_text", "custom_paragraph", "custom_url"):
        return str(expected).lower() in str(stored or "").lower()
    if isinstance(stored, list):
        return str(expected).lower() in [str(s).lower() for s in stored]
    return str(expected).strip().lower() == str(stored).strip().lower()


async def request_matches(client: FreshserviceClient, ticket: Ticket, wanted: dict[str, Any]) -> bool:
    items = await client.list_requested_items(ticket.id)
    for item in items:
        if item.service_item_id is None:
            continue
        service_item = await client.get_service_item(item.service_item_id)
        if service_item.name.lower() != str(wanted.get("item", "")).lower():
            continue
        fields = {(f.label or f.name).lower(): f for f in service_item.custom_fields or []}
        ok = True
        for label, value in wanted.items():
            if label == "item":
                continue
            form_field = fields.get(label.lower())
            if form_field is None:
                ok = False
                break
            choices = {str(c[0]).lower(): c[1] if len(c) > 1 else c[0] for c in form_field.choices or [] if c}
            expected = choices.get(str(value).lower(), value) if form_field.choices else value
            ok = ok and _value_matches(expected, item.custom_fields.get(form_field.name), form_field.field_type)
        if ok:
            return True
    return False


async def check_final(checks: list[dict[str, Any]], client: FreshserviceClient, created: Created,
                      state: Snapshot) -> list[tuple[dict[str, Any], bool]]:
    results: list[tuple[dict[str, Any], bool]] = []
    used: set[int] = set()
    for check in checks:
        if "requests_created" in check:
            passed = len(created.requests) == check["requests_created"]
        elif "incidents_created" in check:
            passed = len(created.incidents) == check["incidents_created"]
        elif "handover" in check:
            happened = bool(created.handovers) or state.handoff
            passed = happened == bool(check["handover"])
        elif "request_fields" in check:
            passed = False
            for ticket in created.requests:
                if ticket.id not in used and await request_matches(client, ticket, check["request_fields"]):
                    used.add(ticket.id)
                    passed = True
                    break
        else:
            raise ValueError(f"unknown final check {check}")
        results.append((check, passed))
    return results


# --------------------------------------------------------------------------- running cases

@dataclass
class CaseResult:
    id: str
    behaviour: str
    passed: bool
    failures: list[str]
    turn_ms: list[float]


async def run_case(case: dict[str, Any], services: Services, engine: Engine, reset: httpx.AsyncClient | None) -> CaseResult:
    if reset is not None:
        (await reset.post("/_sandbox/reset")).raise_for_status()
        await services.catalog.refresh(force=True)  # the reset sandbox may renumber; read the catalog again
    employee = await services.employee(case["employee"])
    client = services.freshservice
    before_ids = {t.id async for t in client.filter_tickets(f"requester_id:{employee.requester_id}")}
    state = await engine.start(employee)
    failures: list[str] = []
    timings: list[float] = []
    for number, turn in enumerate(case["turns"], start=1):
        before = Snapshot.of(await engine.state(state.id, employee))
        started = time.perf_counter()
        result = await engine.handle(state.id, employee, IncomingMessage(text=turn["say"]))
        timings.append((time.perf_counter() - started) * 1000)
        after = Snapshot.of(await engine.state(state.id, employee))
        failures += judge_turn(number, turn, result, before, after)
    final_state = Snapshot.of(await engine.state(state.id, employee))
    failures += await judge_final(case, client, employee.requester_id, before_ids, final_state)
    return CaseResult(case["id"], case["behaviour"], not failures, failures, timings)


def judge_turn(number: int, turn: dict[str, Any], result: TurnResult, before: Snapshot, after: Snapshot) -> list[str]:
    """The failed checks of one turn, in words."""
    text = "\n".join(m.text for m in result.messages)
    kinds = reply_kinds(result, before, after)
    return [f"turn {number} {json.dumps(check)} — kinds {sorted(kinds)}; reply: {text[:160]!r}"
            for check in turn.get("expect", []) if not check_turn(check, text, kinds, after)]


async def judge_final(case: dict[str, Any], client: FreshserviceClient, requester_id: int, before_ids: set[int],
                      state: Snapshot) -> list[str]:
    """The failed checks on the IT system after the conversation, in words."""
    created = await created_since(client, requester_id, before_ids)
    return [f"final {json.dumps(check)} — requests {len(created.requests)}, incidents {len(created.incidents)}, "
            f"handovers {len(created.handovers)}"
            for check, passed in await check_final(case.get("final", []), client, created, state) if not passed]


@contextmanager
def sandbox_process(data_dir: Path, knowledge: str = "org") -> Iterator[tuple[str, str]]:
    """A sandbox with Acme's own articles on a free port, as its own process (never imported)."""
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = "eval-sandbox-key"
    env = {**os.environ, "SANDBOX_API_KEY": key, "SANDBOX_KNOWLEDGE": knowledge, "SANDBOX_PLAN": "unlimited"}
    log = (data_dir / "sandbox.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/agents/me", auth=(key, "X"), timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url, key
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


async def run_all(cases: list[dict[str, Any]], url: str, key: str, data_dir: Path, *, reset: bool,
                  libraries: str = "") -> list[CaseResult]:
    settings = Settings(env="development", freshservice_url=url, freshservice_api_key=key, data_dir=data_dir,
                        redis_url=os.environ.get("COPILOT_EVAL_REDIS_URL"), kb_library_categories=libraries)
    services = build_services(settings)
    await services.knowledge.sync(services.freshservice)
    engine = await services.engine()
    if settings.model == "offline":  # as the REST app's start-up does: the first case must not wait for the fit
        from copilot.models.offline.nlu import shared

        await asyncio.to_thread(shared)
    results: list[CaseResult] = []
    async with httpx.AsyncClient(base_url=url, auth=(key, "X"), timeout=30) as control:
        for case in cases:
            results.append(await run_case(case, services, engine, control if reset else None))
    await services.aclose()
    return results


def summarize(results: list[CaseResult], channel: str = "in-process") -> str:
    by: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by[result.behaviour].append(result.passed)
    single = [r.passed for r in results if not r.behaviour.startswith("dialogue-")]
    dialogues = [r.passed for r in results if r.behaviour.startswith("dialogue-")]
    turns = sorted(t for r in results for t in r.turn_ms)
    lines = ["| behaviour | cases | passed |", "|---|---|---|"]
    for behaviour in sorted(by):
        passed = by[behaviour]
        lines.append(f"| {behaviour} | {len(passed)} | {sum(passed) / len(passed):.2f} |")
    overall = [r.passed for r in results]
    lines.append(f"| **single turn** | {len(single)} | {sum(single) / max(1, len(single)):.2f} |")
    lines.append(f"| **dialogues** | {len(dialogues)} | {sum(dialogues) / max(1, len(dialogues)):.2f} |")
    lines.append(f"| **overall** | {len(overall)} | {sum(overall) / max(1, len(overall)):.2f} |")
    if turns:
        p95 = turns[min(len(turns) - 1, int(0.95 * (len(turns) - 1)))]
        lines.append(f"\nturn latency {channel}: median {statistics.median(turns):.0f} ms, p95 {p95:.0f} ms "
                     f"({len(turns)} turns)")
    return "\n".join(lines)


def write_doc(doc: Path, cases_path: Path, table: str) -> None:
    """Replace (or add) this case file's section in docs/benchmarks.md, keeping every other section."""
    section = f"## Conversations: {cases_path.name}"
    body = (f"{section}\n\n`python -m copilot.eval conversations --cases bench/data/{cases_path.name} --doc "
            f"docs/benchmarks.md` (in-process engine, offline model, sandbox with Acme's articles; cases written "
            f"independently of the product, see bench/data/CONVERSATIONS-README.md). Goals (issue 13, held-out): "
            f"≥ 0.90 overall, ≥ 0.85 dialogues, every behaviour ≥ 0.80.\n\n{table}\n")
    write_section(section, body, doc)


def main(cases_path: Path, out: Path | None, url: str | None, key: str | None, doc: Path | None = None,
         knowledge: str = "org", *, app_url: str | None = None, token: str | None = None) -> int:
    """``knowledge="full"``: the sandbox serves the KB `make run` builds (Acme's articles and the imported
    Microsoft library, named as `make run` names it); slower to index, so "org" is the default. ``app_url``:
    a running copilot, talked to over its REST API with ``token`` (``url``/``key``: the sandbox it uses)."""
    cases = [json.loads(line) for line in cases_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    libraries = ",".join(sorted(SANDBOX_KB_LIBRARIES)) if knowledge == "full" else ""
    if app_url and token and url and key:
        from copilot.eval.over_rest import run

        return _report(run(cases, app_url, token, url, key), out, doc, cases_path, "over REST")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        if url and key:
            results = asyncio.run(run_all(cases, url, key, data_dir, reset=False, libraries=libraries))
        else:
            with sandbox_process(data_dir, knowledge) as (sandbox_url, sandbox_key):
                results = asyncio.run(run_all(cases, sandbox_url, sandbox_key, data_dir, reset=True,
                                              libraries=libraries))
    return _report(results, out, doc, cases_path)


def _report(results: list[CaseResult], out: Path | None, doc: Path | None, cases_path: Path,
            channel: str = "in-process") -> int:
    if out is not None:
        out.write_text("".join(json.dumps(r.__dict__) + "\n" for r in results), encoding="utf-8")
    table = summarize(results, channel)
    print(table)
    if doc is not None:
        write_doc(doc, cases_path, table)
    return 0
