import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TINY_DOCS

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_retrieval_cli_output_format(tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": d.id, "title": d.title, "text": d.text}) + "\n" for d in TINY_DOCS))
    queries = tmp_path / "q.jsonl"
    qs = [{"id": "q1", "query": "reset my password", "gold": "pwd", "extra": 1},
          {"id": "q2", "query": "banana bread recipe", "gold": None}]
    queries.write_text("".join(json.dumps(q) + "\n" for q in qs))
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COPILOT_KB_CACHE": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "copilot.eval", "retrieval", "--docs", str(docs), "--queries",
                    str(queries), "--out", str(out), "--method", "hybrid"], cwd=REPO, env=env, check=True,
                   capture_output=True)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2"]
    for r in rows:
        assert set(r) == {"id", "ranked", "confidence", "answer"}
        assert isinstance(r["ranked"], list) and 1 <= len(r["ranked"]) <= 10
        assert all(isinstance(x, str) for x in r["ranked"])
        assert 0.0 <= r["confidence"] <= 1.0 and isinstance(r["answer"], bool)
    assert rows[0]["ranked"][0] == "pwd"
    assert rows[1]["answer"] is False

    res = subprocess.run([sys.executable, "-m", "copilot.eval", "metrics", "--queries", str(queries), "--out",
                          str(out)], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    assert "recall@1" in res.stdout and "no-answer rejection" in res.stdout
