"""The recurring-issues CronJob runs the job's own command with the app's config and known settings only."""

from __future__ import annotations

from pathlib import Path

import yaml

from copilot.insights import recurring
from tests.core.test_deploy_files import known_variables

ROOT = Path(__file__).resolve().parents[2]


def test_cronjob_runs_the_recurring_check_with_the_app_config() -> None:
    job = yaml.safe_load((ROOT / "deploy" / "k8s" / "recurring-issues.yaml").read_text())
    app = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "copilot.yaml").read_text())}
    assert job["kind"] == "CronJob" and job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"][:3] == ["python", "-m", "copilot.insights.recurring"]
    assert container["command"][3] in ("run", "daily") and recurring.__name__ == "copilot.insights.recurring"
    assert container["image"] == app["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
    refs = {next(iter(r.values()))["name"] for r in container["envFrom"]}
    assert refs == {app["ConfigMap"]["metadata"]["name"], app["Secret"]["metadata"]["name"]}
    assert {e["name"] for e in container.get("env", [])} <= known_variables()
    assert pod["securityContext"]["runAsNonRoot"] is True
