"""The dashboard's figures on ``/metrics`` for Grafana: gauges over the last 30 days, low-cardinality labels.

Labels come from fixed sets (outcome classes, intents, tiers, handover reasons, rollout modes, triage
fields), never from ids or free text. The app refreshes them every minute from the analytics tables
(whichever process consumes the stream), so every replica serves the same numbers.
"""

from __future__ import annotations

import asyncio

from prometheus_client import Gauge

from copilot import logs
from copilot.insights.figures import Assumptions, Range, dashboard
from copilot.insights.outcomes import OUTCOMES
from copilot.insights.store import InsightsStore
from copilot.settings import Settings

log = logs.get_logger(__name__)
WINDOW_DAYS = 30
REFRESH_SECONDS = 60.0

CONVERSATIONS = Gauge("copilot_insights_conversations", "Conversations in the last 30 days by outcome class",
                      ["outcome"])
INTENTS = Gauge("copilot_insights_intent_conversations", "Conversations in the last 30 days by intent", ["intent"])
KB_ANSWERS = Gauge("copilot_insights_kb_conversations", "Conversations with a KB answer, by best tier (30 days)",
                   ["tier"])
THUMBS = Gauge("copilot_insights_thumbs", "Thumbs on answers in the last 30 days", ["value"])
HANDOVERS = Gauge("copilot_insights_escalations", "Escalated conversations by reason (30 days)", ["reason"])
REQUESTS = Gauge("copilot_insights_requests", "Catalog requests started and submitted (30 days)", ["stage"])
AFTER_HOURS = Gauge("copilot_insights_after_hours_conversations", "Conversations started after hours (30 days)")
TIME_SAVED = Gauge("copilot_insights_time_saved_hours", "Estimated IT hours saved in the last 30 days")
MTTR = Gauge("copilot_insights_mttr_hours", "Mean hours to resolve tickets created in the last 30 days",
             ["created_by"])
TRIAGE = Gauge("copilot_insights_triage_fields", "Triage field verdicts by reviewers (30 days)",
               ["mode", "field", "verdict"])


def _number(value: object) -> float:
    try:
        return float(str(value).rstrip("%"))
    except ValueError:
        return 0.0


async def refresh(store: InsightsStore, assumptions: Assumptions) -> None:
    """Set every gauge from the analytics tables."""
    board = await dashboard(store.engine, Range.last_days(WINDOW_DAYS), assumptions)
    f = board.figures
    for outcome in OUTCOMES:
        CONVERSATIONS.labels(outcome=outcome).set(board.totals.get(outcome, 0))
    for intent, count, *_ in f["top_intents"].rows:
        INTENTS.labels(intent=str(intent)).set(_number(count))
    up = down = 0.0
    for tier, count, thumbs_up, thumbs_down, _ in f["kb_tiers"].rows:
        KB_ANSWERS.labels(tier=str(tier)).set(_number(count))
        up, down = up + _number(thumbs_up), down + _number(thumbs_down)
    THUMBS.labels(value="up").set(up)
    THUMBS.labels(value="down").set(down)
    for reason, count in f["handover_reasons"].rows:
        HANDOVERS.labels(reason=str(reason)).set(_number(count))
    REQUESTS.labels(stage="started").set(sum(_number(r[1]) for r in f["requests_started_submitted"].rows))
    REQUESTS.labels(stage="submitted").set(sum(_number(r[2]) for r in f["requests_started_submitted"].rows))
    AFTER_HOURS.set(sum(_number(r[2]) for r in f["conversations_per_day"].rows))
    TIME_SAVED.set(_number(f["time_saved"].rows[-1][3]))
    for label, row in zip(("copilot", "other"), f["mttr"].rows, strict=False):
        MTTR.labels(created_by=label).set(_number(row[2]) if row[2] is not None else float("nan"))
    for mode, field, same, edited, rejected, _ in f["triage_acceptance"].rows:
        for verdict, count in (("unchanged", same), ("edited", edited), ("rejected", rejected)):
            TRIAGE.labels(mode=str(mode), field=str(field), verdict=verdict).set(_number(count))


def assumptions(settings: Settings) -> Assumptions:
    return Assumptions(resolved=settings.insights_minutes_resolved,
                       likely_resolved=settings.insights_minutes_likely_resolved,
                       escalated=settings.insights_minutes_escalated)


async def refresh_forever(settings: Settings) -> None:
    """Keep the gauges current (started by the app with its other background work)."""
    from copilot.insights import runtime

    store = None
    while True:
        try:
            store = store or await runtime.insights_store(settings)
            await refresh(store, assumptions(settings))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database is unavailable: keep the last values, try again
            log.warning("insights_metrics_failed", error=type(error).__name__)
        await asyncio.sleep(REFRESH_SECONDS)
