"""The shipped Grafana dashboard queries only metrics the copilot exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import copilot.insights.prometheus  # noqa: F401 - registers the insights gauges
import copilot.metrics  # noqa: F401 - registers the operations metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "copilot-insights.json"


def test_every_queried_metric_exists() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    used = {name for query in queries for name in re.findall(r"\b(copilot_[a-z_]+)", query)}
    exported = {metric.name + ("_total" if metric.type == "counter" else "") for metric in REGISTRY.collect()}
    assert used and used <= exported, used - exported
    assert "copilot_insights_conversations" in used
