"""``python -m copilot.eval triage`` as an operator runs it: real CSV slices, a subprocess, exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.eval.triage import TicketFileError, read_tickets

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "bench" / "data" / "triage-dev-train.csv"


def dev_rows() -> list[dict[str, str]]:
    with open(DEV, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "copilot.eval", "triage", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def train_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = dev_rows()[:500]
    columns = list(rows[0])
    return write_csv(tmp_path_factory.mktemp("triage") / "train.csv", rows, columns)


def test_cli_with_ids_and_labels_written(train_csv: Path, tmp_path: Path) -> None:
    rows = dev_rows()[500:540]
    test = write_csv(tmp_path / "test.csv", [{"id": f"T-{i}", **r} for i, r in enumerate(rows)], ["id", "title", "body"])
    out = tmp_path / "out.jsonl"
    model_dir = tmp_path / "model"
    result = run_cli("--train", str(train_csv), "--test", str(test), "--out", str(out), "--save-model", str(model_dir))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [f"T-{i}" for i in range(40)]
    labels = ["ticket_type", "category", "sub_category1", "sub_category2", "business_service", "urgency", "impact"]
    for line in lines:
        assert set(line) == {"id", "predictions", "confidence", "auto"}
        assert set(line["predictions"]) == set(labels) == set(line["confidence"]) == set(line["auto"])
        assert all(isinstance(v, int) for v in line["predictions"].values())  # integer codes stay integers
        assert all(0.0 <= p <= 1.0 for p in line["confidence"].values())
        assert all(isinstance(a, bool) for a in line["auto"].values())
    meta = json.loads((model_dir / "model.json").read_text())
    for line in lines:  # auto is exactly "confidence at or above the shipped threshold"
        for f, a in line["auto"].items():
            t = meta["thresholds"][f]
            assert a == (t is not None and line["confidence"][f] >= t)
    # the model learned something: most categories of these 40 unseen rows are right
    right = sum(line["predictions"]["category"] == int(r["category"]) for line, r in zip(lines, rows, strict=True))
    assert right >= 0.6 * len(rows)


def test_cli_without_id_numbers_rows_from_zero_and_scores_labelled_test(train_csv: Path, tmp_path: Path) -> None:
    rows = dev_rows()[500:530]
    # only some label columns in TRAIN: only those are predicted
    train = write_csv(tmp_path / "train.csv", dev_rows()[:500], ["title", "body", "category", "urgency"])
    test = write_csv(tmp_path / "test.csv", rows, ["title", "body", "category"])
    out = tmp_path / "out.jsonl"
    result = run_cli("--train", str(train), "--test", str(test), "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == list(range(30))
    assert all(set(line["predictions"]) == {"category", "urgency"} for line in lines)
    assert "accuracy" in result.stderr and "category" in result.stderr  # labelled TEST: figures printed


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty"),
    ("id,subject\n1,printer\n", "missing column(s) title, body"),
    ("title,body\nprinter,broken,extra\n", "line 2 has 3 fields"),
    ('title,body\n"printer,broken\n', "not a valid CSV"),
    ("title,body\n", "no ticket rows"),
])
def test_malformed_test_csv_exits_2_with_a_message(train_csv: Path, tmp_path: Path, content: str,
                                                   message: str) -> None:
    test = tmp_path / "test.csv"
    test.write_text(content)
    result = run_cli("--train", str(train_csv), "--test", str(test), "--out", str(tmp_path / "out.jsonl"))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_train_without_labels_exits_2(tmp_path: Path) -> None:
    rows = dev_rows()[:20]
    train = write_csv(tmp_path / "train.csv", rows, ["title", "body"])
    test = write_csv(tmp_path / "test.csv", rows, ["title", "body"])
    result = run_cli("--train", str(train), "--test", str(test), "--out", str(tmp_path / "out.jsonl"))
    assert result.returncode == 2 and "no label columns" in result.stderr
    result = run_cli("--train", str(tmp_path / "nope.csv"), "--test", str(test), "--out", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_read_tickets_missing_label_cells_are_none(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("title,body,category,urgency\nvpn down,cannot connect,4,\nnew laptop,please,,\n,,,\n")
    tickets = read_tickets(path, need_labels=True)
    assert tickets.ids == [0, 1, 2]
    assert tickets.labels == {"category": ["4", None, None]}  # urgency: every cell empty, dropped
    assert tickets.texts[0] == "vpn down. cannot connect"
    path.write_text("title,body,category\na,b,\n")
    with pytest.raises(TicketFileError, match="every label column is empty"):
        read_tickets(path, need_labels=True)
    path.write_bytes(b"title,body\n\xff\xfe,x\n")
    with pytest.raises(TicketFileError, match="not UTF-8"):
        read_tickets(path)
