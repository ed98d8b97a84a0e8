"""``python -m copilot.triage train``: learn triage from the account's resolved tickets.

1. Pull resolved/closed tickets incrementally into the local history store (a background client, so
   employees' turns keep the API budget; only what changed since the last run is read).
2. Hold out the newest 20 % by resolution time; train the field model and the similar-tickets index on
   the rest and measure them on the held-out tickets (field accuracy and ``auto`` precision, similar
   tickets of the same kind, the real resolver among the two proposed assignees).
3. Train again on everything and write a versioned bundle with that evaluation; point ``current`` at it.

The triage worker calls :func:`retrain_if_due` on a schedule (``COPILOT_TRIAGE_RETRAIN_HOURS``); a
Redis lock makes one worker retrain while the others keep proposing with the current bundle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from redis.exceptions import RedisError

from copilot import logs
from copilot.knowledge import embedder
from copilot.settings import Settings, get_settings
from copilot.triage.assignee import AssigneeRanker, load_skills
from copilot.triage.bundle import BundleManifest, TriageBundle, current_manifest
from copilot.triage.classifier import TriageModel
from copilot.triage.history import HistoryStore, PastTicket, PullReport, default_since, sync_history
from copilot.triage.similar import SimilarTickets
from tools.freshservice import FreshserviceClient, FreshserviceError

log = logs.get_logger(__name__)

FIELDS = ("type", "category", "sub_category", "item_category", "priority", "urgency", "impact", "group_id")
HOLDOUT_SHARE = 0.2
MIN_TICKETS = 30
MIN_FIELD_ROWS = 10
PRIME_BATCH = 256  # held-out texts embedded per batch before their searches (the query cache keeps 512)
TRAIN_LOCK_KEY = "copilot:triage:train-lock"


class TrainError(Exception):
    """Training cannot run; the message says why in plain words."""


class TrainResult(BaseModel):
    version: str
    directory: str
    tickets: int
    pull: PullReport
    evaluation: dict[str, Any]
    seconds: dict[str, float]


def split_holdout(tickets: list[PastTicket], share: float = HOLDOUT_SHARE) -> tuple[list[PastTicket], list[PastTicket]]:
    """(train, held out): the newest ``share`` of tickets by resolution time is held out."""
    ordered = sorted(tickets, key=lambda t: (t.resolved_at or t.updated_at, t.ticket_id))
    cut = len(ordered) - max(1, int(round(len(ordered) * share)))
    return ordered[:cut], ordered[cut:]


def field_labels(tickets: list[PastTicket]) -> dict[str, list[str | None]]:
    """Labels per field. A field is left out when there is nothing to learn: fewer than two distinct
    values, or fewer than two labelled tickets per value on average (or ten in all)."""
    rows = [t.labels() for t in tickets]
    labels = {f: [r[f] for r in rows] for f in FIELDS}
    kept: dict[str, list[str | None]] = {}
    for name, values in labels.items():
        present = [v for v in values if v is not None]
        classes = len(set(present))
        if classes >= 2 and len(present) >= max(MIN_FIELD_ROWS, 2 * classes):
            kept[name] = values
    return kept


def evaluate_fields(model: TriageModel, test: list[PastTicket]) -> dict[str, Any]:
    predictions = model.predict([t.text for t in test])
    report: dict[str, Any] = {}
    for name in model.fields:
        pairs = [(t.labels().get(name), p[name]) for t, p in zip(test, predictions, strict=True) if name in p]
        pairs = [(truth, guess) for truth, guess in pairs if truth is not None]
        if not pairs:
            continue
        correct = [str(guess.value) == truth for truth, guess in pairs]
        auto = [c for (_, guess), c in zip(pairs, correct, strict=True) if guess.auto]
        report[name] = {"rows": len(pairs), "accuracy": round(sum(correct) / len(pairs), 4),
                        "auto_coverage": round(len(auto) / len(pairs), 4),
                        "auto_precision": round(sum(auto) / len(auto), 4) if auto else None}
    return report


def evaluate_similar(index: SimilarTickets, test: list[PastTicket], k: int = 3) -> dict[str, Any]:
    """Share of held-out tickets whose ``k`` similar past tickets include one of the same kind
    (category and sub-category) and one handled by the same group."""
    kind = kind_rows = group = group_rows = 0
    for position, ticket in enumerate(test):
        if position % PRIME_BATCH == 0:
            index.prime([t.text for t in test[position:position + PRIME_BATCH]])
        found = [index.ticket(s.ticket_id) for s in index.find(ticket.text, k)]
        past = [p for p in found if p is not None]
        if ticket.category:
            kind_rows += 1
            kind += any((p.category, p.sub_category) == (ticket.category, ticket.sub_category) for p in past)
        if ticket.group_id is not None:
            group_rows += 1
            group += any(p.group_id == ticket.group_id for p in past)
    return {"k": k, "same_kind_rows": kind_rows, "same_kind_hit_rate": round(kind / kind_rows, 4) if kind_rows else None,
            "same_group_rows": group_rows, "same_group_hit_rate": round(group / group_rows, 4) if group_rows else None}


async def evaluate_assignee(ranker: AssigneeRanker, train: list[PastTicket], test: list[PastTicket]) -> dict[str, Any]:
    """Share of held-out tickets whose real resolver is among the two proposed, with the skill evidence
    only (past workload and shifts are unknown), against the baseline of the group's two most frequent
    resolvers."""
    frequent: dict[int, list[int]] = {}
    counts: dict[int, Counter[int]] = {}
    for t in train:
        if t.group_id is not None and t.responder_id is not None:
            counts.setdefault(t.group_id, Counter())[t.responder_id] += 1
    for group_id, counter in counts.items():
        frequent[group_id] = [a for a, _ in counter.most_common(2)]
    rows = hits = baseline = 0
    for position, ticket in enumerate(test):
        if position % PRIME_BATCH == 0 and ranker.index is not None:
            ranker.index.prime([t.text for t in test[position:position + PRIME_BATCH]])
        if ticket.group_id is None or ticket.responder_id is None:
            continue
        rows += 1
        guesses = await ranker.rank(ticket.group_id, [], now=ticket.resolved_at or ticket.updated_at, text=ticket.text,
                                    consider_workload=False, consider_shift=False)
        hits += ticket.responder_id in {g.agent_id for g in guesses}
        baseline += ticket.responder_id in frequent.get(ticket.group_id, [])
    return {"rows": rows, "top2_hit_rate": round(hits / rows, 4) if rows else None,
            "baseline_top2_frequent_resolvers": round(baseline / rows, 4) if rows else None}


async def train(settings: Settings, client: FreshserviceClient, *, since: datetime | None = None, full: bool = False,
                store: HistoryStore | None = None) -> TrainResult:
    """Pull, evaluate on the newest 20 %, train on everything, write the bundle and make it current."""
    embedder.configure(settings.embedder_backend, settings.data_dir / "models")
    store = store or HistoryStore.in_data_dir(settings.data_dir)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if since is None and (full or store.cursor is None):
        since = default_since(settings.triage_history_days)
    pull = await sync_history(store, client, since=since, full=full)
    seconds["pull"] = round(time.perf_counter() - started, 2)
    tickets = [t for t in store.tickets() if t.text]
    if len(tickets) < MIN_TICKETS:
        raise TrainError(f"only {len(tickets)} resolved tickets with a subject were found (at least {MIN_TICKETS} "
                         "are needed); pull further back with --since YYYY-MM-DD or wait for more history")
    previous = TriageBundle.load_current(settings.data_dir) if current_manifest(settings.data_dir) else None
    train_set, test_set = split_holdout(tickets)

    step = time.perf_counter()
    labels = field_labels(train_set)
    if not labels:
        raise TrainError("the resolved tickets carry no field values to learn from (category, group, priority ...)")
    held_model = await asyncio.to_thread(TriageModel.fit, [t.text for t in train_set], labels)
    held_index = await asyncio.to_thread(SimilarTickets.build, train_set, base_url=client.base_url,
                                         previous=previous.similar if previous else None)
    seconds["evaluation_fit"] = round(time.perf_counter() - step, 2)
    ranker = AssigneeRanker(client, index=held_index, skills=load_skills(settings.triage_skills_file))
    evaluation: dict[str, Any] = {
        "held_out": {"share": HOLDOUT_SHARE, "rows": len(test_set), "train_rows": len(train_set),
                     "from": (test_set[0].resolved_at or test_set[0].updated_at).isoformat()},
        "fields": await asyncio.to_thread(evaluate_fields, held_model, test_set),
        "similar": await asyncio.to_thread(evaluate_similar, held_index, test_set),
        "assignee": await evaluate_assignee(ranker, train_set, test_set),
        "fields_not_learned": [f for f in FIELDS if f not in labels],
    }

    step = time.perf_counter()
    model = await asyncio.to_thread(TriageModel.fit, [t.text for t in tickets], field_labels(tickets))
    seconds["fit"] = round(time.perf_counter() - step, 2)
    step = time.perf_counter()
    index = await asyncio.to_thread(SimilarTickets.build, tickets, base_url=client.base_url, previous=held_index)
    seconds["index"] = round(time.perf_counter() - step, 2)
    evaluation["training"] = {"rows": len(tickets), "model": model.evaluation, "seconds": seconds}
    manifest = BundleManifest(version=model.version, created_at=datetime.now(UTC), tickets=len(tickets),
                              fields=list(model.fields), base_url=client.base_url)
    bundle = TriageBundle(model, index, manifest, evaluation, settings.data_dir)
    directory = await asyncio.to_thread(bundle.write, settings.data_dir)
    seconds["total"] = round(time.perf_counter() - started, 2)
    log.info("triage_trained", version=model.version, tickets=len(tickets), **{f"seconds_{k}": v for k, v in seconds.items()})
    return TrainResult(version=model.version, directory=str(directory), tickets=len(tickets), pull=pull,
                       evaluation=evaluation, seconds=seconds)


async def retrain_if_due(settings: Settings, client: FreshserviceClient, *, redis: Any | None = None) -> bool:
    """Retrain when the current bundle is older than ``COPILOT_TRIAGE_RETRAIN_HOURS`` (or missing).

    One worker at a time (a Redis lock, renewed while it trains); the others return False at once and
    keep using the current bundle. Pass a background client (``redis``: defaults to the app's). True
    when a new bundle was written."""
    hours = settings.triage_retrain_hours
    if hours <= 0:
        return False
    manifest = current_manifest(settings.data_dir)
    if manifest is not None and (datetime.now(UTC) - manifest.created_at).total_seconds() < hours * 3600:
        return False
    from copilot import store as redis_store
    from copilot.knowledge.sync import BuildLock

    async def get_redis() -> Any:
        return redis if redis is not None else await redis_store.get_redis(settings)

    lock = BuildLock(get_redis, key=TRAIN_LOCK_KEY, ttl=120)
    try:
        if not await lock.acquire():
            return False
    except RedisError as error:
        log.warning("triage_train_lock_unavailable", error=type(error).__name__)
        return False
    keep_alive = asyncio.create_task(lock.keep_alive())
    try:
        manifest = current_manifest(settings.data_dir)  # another worker may have just finished
        if manifest is not None and (datetime.now(UTC) - manifest.created_at).total_seconds() < hours * 3600:
            return False
        await train(settings, client)
        return True
    except (TrainError, FreshserviceError) as error:
        log.warning("triage_retrain_failed", error=type(error).__name__, detail=str(error)[:200])
        return False
    finally:
        keep_alive.cancel()
        with contextlib.suppress(asyncio.CancelledError, RedisError):
            await keep_alive
        with contextlib.suppress(RedisError):
            await lock.release()


# -- command line ----------------------------------------------------------------------------------------

def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand (its handler is ``args.func(args) -> exit code``)."""
    parser = subparsers.add_parser("train", help="pull resolved tickets and train the triage models",
                                   description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--since", type=_when, default=None,
                        help="pull tickets updated since this date (default: since the last pull, or "
                             "COPILOT_TRIAGE_HISTORY_DAYS back on the first run)")
    parser.add_argument("--full", action="store_true", help="forget the local history and pull it all again")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    settings = get_settings()
    logs.configure(settings.log_level, settings.secret_values())
    try:
        result = asyncio.run(_train_once(settings, since=args.since, full=args.full))
    except TrainError as error:
        print(f"Training did not run: {error}")
        return 2
    except FreshserviceError as error:
        print(f"Could not read the ticket history from Freshservice: {error.message or type(error).__name__}")
        return 3
    except OSError as error:
        print(f"Could not write the triage bundle under {settings.data_dir}: {error.strerror or error}")
        return 4
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(summary(result))
    return 0


async def _train_once(settings: Settings, *, since: datetime | None, full: bool) -> TrainResult:
    from copilot.rate_budget import background_client

    async with background_client(settings) as client:
        return await train(settings, client, since=since, full=full)


def summary(result: TrainResult) -> str:
    """What the command prints: where the bundle is and the held-out figures."""
    ev = result.evaluation
    lines = [f"triage bundle {result.version}: {result.tickets} resolved tickets -> {result.directory}",
             f"pulled {result.pull.pulled} new or changed ({result.pull.listed} listed, {result.pull.unchanged} unchanged) "
             f"in {result.seconds.get('pull', 0)} s; trained in {result.seconds.get('fit', 0)} s, "
             f"index {result.seconds.get('index', 0)} s, total {result.seconds.get('total', 0)} s",
             f"held out: newest {ev['held_out']['rows']} tickets"]
    for name, figures in ev["fields"].items():
        lines.append(f"  {name:<14} accuracy {figures['accuracy']:.3f}  auto {figures['auto_coverage']:.2f} "
                     f"at precision {figures['auto_precision'] if figures['auto_precision'] is not None else '-'}")
    sim, assignee = ev["similar"], ev["assignee"]
    lines.append(f"  similar tickets: same kind in top {sim['k']} {sim['same_kind_hit_rate']}, "
                 f"same group {sim['same_group_hit_rate']}")
    lines.append(f"  assignee: real resolver in top 2 {assignee['top2_hit_rate']} "
                 f"(two most frequent resolvers of the group: {assignee['baseline_top2_frequent_resolvers']})")
    return "\n".join(lines)


def load_result(directory: Path) -> dict[str, Any]:
    """The evaluation of a written bundle (for the console and the docs)."""
    loaded: dict[str, Any] = json.loads((directory / "evaluation.json").read_text(encoding="utf-8"))
    return loaded


__all__ = ["TrainError", "TrainResult", "register", "retrain_if_due", "split_holdout", "train"]
