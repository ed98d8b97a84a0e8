"""``python -m copilot.triage train``: a loadable, versioned bundle with its held-out evaluation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from copilot.knowledge.embedder import get_embedder
from copilot.settings import Settings
from copilot.triage.bundle import TriageBundle, current_manifest
from copilot.triage.history import PastTicket
from copilot.triage.train import TRAIN_LOCK_KEY, retrain_if_due, split_holdout, train
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient

ROOT = Path(__file__).resolve().parents[2]


def cli(args: list[str], sandbox: SandboxHandle, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_DATA_DIR": str(data_dir),
           "COPILOT_FRESHSERVICE_URL": sandbox.base_url, "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key,
           "COPILOT_EMBEDDER_BACKEND": "torch", "COPILOT_LOG_LEVEL": "WARNING",
           "COPILOT_TRIAGE_HISTORY_DAYS": "10"}
    return subprocess.run([sys.executable, "-m", "copilot.triage", "train", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_train_command_writes_a_loadable_bundle(learn_sandbox: SandboxHandle, tmp_path: Path) -> None:
    done = cli(["--json"], learn_sandbox, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    bundle = TriageBundle.load_current(tmp_path)
    assert bundle is not None and bundle.version == result["version"] == bundle.model.version
    assert (tmp_path / "triage" / "current").resolve() == (tmp_path / "triage" / "models" / bundle.version).resolve()
    assert {"category", "sub_category", "group_id", "priority"} <= set(bundle.model.fields)
    guess = bundle.model.predict(["Outlook keeps asking for my password"])[0]
    assert guess["category"].value == "Email"
    nearest = bundle.similar.ticket(bundle.similar.find("outlook keeps asking for my password", 1)[0].ticket_id)
    assert nearest is not None and nearest.category == "Email"
    evaluation = json.loads((Path(result["directory"]) / "evaluation.json").read_text())
    rows = result["tickets"]
    assert evaluation["held_out"]["rows"] == round(rows * 0.2)
    assert evaluation["fields"]["category"]["rows"] > 0 and 0 <= evaluation["fields"]["category"]["accuracy"] <= 1
    assert evaluation["similar"]["same_kind_hit_rate"] is not None
    assert evaluation["assignee"]["top2_hit_rate"] is not None
    assert result["pull"]["pulled"] == rows


def test_train_command_explains_what_is_wrong(learn_sandbox: SandboxHandle, tmp_path: Path) -> None:
    bad_date = cli(["--since", "last tuesday"], learn_sandbox, tmp_path)
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    nothing = cli(["--since", tomorrow], learn_sandbox, tmp_path)
    assert nothing.returncode == 2
    assert "Training did not run: only 0 resolved tickets" in nothing.stdout
    assert "Traceback" not in nothing.stdout + nothing.stderr
    wrong_key = subprocess.run([sys.executable, "-m", "copilot.triage", "train"], cwd=ROOT, capture_output=True,
                               text=True, timeout=300,
                               env={**os.environ, "COPILOT_ENV": "development", "COPILOT_DATA_DIR": str(tmp_path),
                                    "COPILOT_FRESHSERVICE_URL": learn_sandbox.base_url,
                                    "COPILOT_FRESHSERVICE_API_KEY": "not-the-key"})
    assert wrong_key.returncode == 3 and "Could not read the ticket history from Freshservice" in wrong_key.stdout


def test_the_newest_fifth_is_held_out() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tickets = [PastTicket(ticket_id=i, subject=f"t{i}", updated_at=start, resolved_at=start + timedelta(days=(i * 7) % 10))
               for i in range(10)]
    train_set, test_set = split_holdout(tickets)
    assert len(test_set) == 2 and len(train_set) == 8
    assert min(t.resolved_at for t in test_set if t.resolved_at) >= max(t.resolved_at for t in train_set if t.resolved_at)


async def test_retrain_when_due_once_across_workers(learn_sandbox: SandboxHandle, tmp_path: Path, redis_url: str) -> None:
    get_embedder()  # the process-wide embedder (as in a worker that already serves proposals)
    redis = aioredis.Redis.from_url(redis_url)
    await redis.delete(TRAIN_LOCK_KEY)
    base = {"env": "development", "data_dir": tmp_path, "freshservice_url": learn_sandbox.base_url,
            "freshservice_api_key": learn_sandbox.api_key, "triage_history_days": 10}
    try:
        async with FreshserviceClient(learn_sandbox.base_url, learn_sandbox.api_key) as client:
            assert await retrain_if_due(Settings(**base, triage_retrain_hours=0), client, redis=redis) is False
            await redis.set(TRAIN_LOCK_KEY, "another-worker", ex=60)  # someone else is training
            assert await retrain_if_due(Settings(**base), client, redis=redis) is False
            assert current_manifest(tmp_path) is None
            await redis.delete(TRAIN_LOCK_KEY)
            assert await retrain_if_due(Settings(**base), client, redis=redis) is True  # no bundle yet: due
            first = current_manifest(tmp_path)
            assert first is not None
            assert await retrain_if_due(Settings(**base), client, redis=redis) is False  # fresh: not due
            settings = Settings(**base, triage_retrain_hours=1e-6)
            assert await retrain_if_due(settings, client, redis=redis) is True
            second = current_manifest(tmp_path)
            assert second is not None and second.created_at > first.created_at and second.version != first.version
            assert second.tickets == first.tickets  # the second run pulled nothing new
            assert (tmp_path / "triage" / "models" / first.version).exists()  # the previous bundle is kept
            assert await redis.get(TRAIN_LOCK_KEY) is None  # released
    finally:
        await redis.delete(TRAIN_LOCK_KEY)
        await redis.aclose()


async def test_train_refuses_too_little_history(learn_sandbox: SandboxHandle, tmp_path: Path) -> None:
    from copilot.triage.train import TrainError

    settings = Settings(env="development", data_dir=tmp_path, freshservice_url=learn_sandbox.base_url,
                        freshservice_api_key=learn_sandbox.api_key)
    async with FreshserviceClient(learn_sandbox.base_url, learn_sandbox.api_key) as client:
        with pytest.raises(TrainError, match="only 0 resolved tickets"):
            await train(settings, client, since=datetime.now(UTC) + timedelta(days=1))
