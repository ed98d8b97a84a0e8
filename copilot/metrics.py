"""Prometheus metrics for operators: turns, latency, tool calls, escalations, errors, API budget."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

TURNS = Counter("copilot_turns_total", "Conversation turns handled", ["channel"])
TURN_LATENCY = Histogram("copilot_turn_seconds", "Time to answer one turn",
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
TOOL_CALLS = Counter("copilot_tool_calls_total", "Tool calls by tool and outcome", ["tool", "outcome"])
ESCALATIONS = Counter("copilot_escalations_total", "Conversations handed over to a person")
ERRORS = Counter("copilot_errors_total", "Turns that failed with an unexpected error")
RATE_LIMIT_REMAINING = Gauge("copilot_freshservice_rate_limit_remaining",
                             "Freshservice API credits left in the current minute (last response)")


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
