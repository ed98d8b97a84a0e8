"""Triage evaluation: train the shipped :class:`~copilot.triage.classifier.TriageModel` on a labelled CSV
and predict a test CSV.

    python -m copilot.eval triage --train TRAIN.csv --test TEST.csv --out OUT.jsonl [--save-model DIR]

TRAIN has the columns of ``endava-train.csv`` (``title, body`` and label columns such as ``ticket_type,
category, sub_category1, sub_category2, business_service, urgency, impact``); every column other than
``id``, ``title`` and ``body`` is a label to learn, an empty cell is a missing label. TEST needs
``title`` and ``body``; ``id`` is optional (default: the row number from 0). OUT gets one line per test
row: ``{"id", "predictions": {field: value}, "confidence": {field: p}, "auto": {field: bool}}`` where
``auto`` is what autonomous mode would apply at the shipped thresholds. Labels that are integer codes
in TRAIN are written as integers. When TEST carries labels too, per-field figures go to stderr.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from copilot.triage.classifier import TriageModel, ticket_text

TEXT_COLUMNS = ("title", "body")
ID_COLUMN = "id"


class TicketFileError(ValueError):
    """A CSV the triage evaluation cannot read; the message says what is wrong in plain words."""


@dataclass
class TicketFile:
    ids: list[str | int]
    texts: list[str]
    labels: dict[str, list[str | None]] = field(default_factory=dict)


def read_tickets(path: Path, *, need_labels: bool = False) -> TicketFile:
    """Read a ticket CSV (``title, body`` + optional ``id`` + label columns), checking its shape."""
    try:
        handle = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise TicketFileError(f"{path}: no such file") from None
    except OSError as error:
        raise TicketFileError(f"{path}: cannot be read ({error.strerror})") from None
    with handle:
        try:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if not header:
                raise TicketFileError(f"{path}: the file is empty; expected a CSV header with title,body")
            header = [h.strip().lstrip("\ufeff") for h in header]
            missing = [c for c in TEXT_COLUMNS if c not in header]
            if missing:
                raise TicketFileError(f"{path}: missing column(s) {', '.join(missing)}; "
                                      f"the header is {','.join(header)!r}")
            duplicated = sorted({h for h in header if header.count(h) > 1})
            if duplicated:
                raise TicketFileError(f"{path}: column(s) {', '.join(duplicated)} appear more than once")
            label_columns = [h for h in header if h not in (*TEXT_COLUMNS, ID_COLUMN) and h]
            if need_labels and not label_columns:
                raise TicketFileError(f"{path}: no label columns to learn (only {','.join(header)})")
            pos = {h: i for i, h in enumerate(header)}
            out = TicketFile(ids=[], texts=[], labels={c: [] for c in label_columns})
            for number, row in enumerate(reader):
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    raise TicketFileError(f"{path}: line {reader.line_num} has {len(row)} fields, "
                                          f"the header has {len(header)}")
                raw_id = row[pos[ID_COLUMN]].strip() if ID_COLUMN in pos else ""
                out.ids.append(_as_code(raw_id) if raw_id else number)
                out.texts.append(ticket_text(row[pos["title"]], row[pos["body"]]))
                for c in label_columns:
                    value = row[pos[c]].strip()
                    out.labels[c].append(value or None)
        except csv.Error as error:
            raise TicketFileError(f"{path}: not a valid CSV file (line {reader.line_num}: {error})") from None
        except UnicodeDecodeError:
            raise TicketFileError(f"{path}: not UTF-8 text") from None
    if not out.texts:
        raise TicketFileError(f"{path}: no ticket rows after the header")
    if need_labels:
        empty = [c for c, values in out.labels.items() if all(v is None for v in values)]
        for c in empty:
            del out.labels[c]
        if not out.labels:
            raise TicketFileError(f"{path}: every label column is empty")
    return out


def _as_code(value: str) -> str | int:
    """Integer codes stay integers in the output (``"4"`` → 4); anything else stays a string."""
    try:
        return int(value)
    except ValueError:
        return value


def run(train: Path, test: Path, out: Path, save_model: Path | None = None) -> dict[str, Any]:
    """Train on ``train``, predict ``test`` into ``out``; returns timings and (if TEST is labelled) metrics."""
    train_file = read_tickets(train, need_labels=True)
    test_file = read_tickets(test)
    started = time.perf_counter()
    model = TriageModel.fit(train_file.texts, train_file.labels)
    train_seconds = time.perf_counter() - started
    if save_model is not None:
        model.save(save_model)
    started = time.perf_counter()
    guesses = model.predict(test_file.texts)
    predict_seconds = time.perf_counter() - started
    integer = {f: all(isinstance(_as_code(v), int) for v in train_file.labels[f] if v is not None)
               for f in model.fields}
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for ticket_id, guess in zip(test_file.ids, guesses, strict=True):
            fh.write(json.dumps({
                "id": ticket_id,
                "predictions": {f: _as_code(str(g.value)) if integer[f] else g.value for f, g in guess.items()},
                "confidence": {f: g.confidence for f, g in guess.items()},
                "auto": {f: g.auto for f, g in guess.items()},
            }) + "\n")
    report: dict[str, Any] = {"model_version": model.version, "train_rows": len(train_file.texts),
                              "test_rows": len(test_file.texts), "train_seconds": round(train_seconds, 1),
                              "predict_seconds": round(predict_seconds, 2), "thresholds": model.thresholds}
    truth = {f: v for f, v in test_file.labels.items() if f in model.fields}
    if truth:
        report["fields"] = score(guesses, truth)
    return report


def score(guesses: list[dict[str, Any]], truth: dict[str, list[str | None]]) -> dict[str, dict[str, Any]]:
    """Per field: accuracy, macro-F1, and precision/coverage of the predictions marked ``auto``.

    Rows without a true label are left out of that field. Macro-F1 averages over the labels that occur
    in the truth or the predictions of these rows."""
    from sklearn.metrics import f1_score

    figures: dict[str, dict[str, Any]] = {}
    for name, values in truth.items():
        rows = [i for i, v in enumerate(values) if v is not None]
        if not rows:
            continue
        gold = [str(values[i]) for i in rows]
        pred = [str(guesses[i][name].value) for i in rows]
        auto = np.array([bool(guesses[i][name].auto) for i in rows])
        hit = np.array([g == p for g, p in zip(gold, pred, strict=True)])
        figures[name] = {
            "rows": len(rows),
            "accuracy": float(hit.mean()),
            "macro_f1": float(f1_score(gold, pred, average="macro", zero_division=0)),
            "auto_precision": float(hit[auto].mean()) if auto.any() else None,
            "auto_coverage": float(auto.mean()),
            "auto_count": int(auto.sum()),
        }
    return figures


def format_figures(figures: dict[str, dict[str, Any]]) -> str:
    """A plain table of :func:`score`'s figures."""
    lines = [f"{'field':<18}{'rows':>6}{'accuracy':>10}{'macro-F1':>10}{'auto prec':>11}{'auto cov':>10}"]
    for name, f in figures.items():
        prec = f"{f['auto_precision']:.3f}" if f["auto_precision"] is not None else "-"
        lines.append(f"{name:<18}{f['rows']:>6}{f['accuracy']:>10.3f}{f['macro_f1']:>10.3f}{prec:>11}"
                     f"{f['auto_coverage']:>10.3f}")
    return "\n".join(lines)


def cmd_triage(args: Any) -> int:
    """``python -m copilot.eval triage``: exit 2 with a plain message when an input file is unusable."""
    try:
        report = run(Path(args.train), Path(args.test), Path(args.out),
                     Path(args.save_model) if args.save_model else None)
    except TicketFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"trained {report['model_version']} on {report['train_rows']} rows in {report['train_seconds']} s; "
          f"predicted {report['test_rows']} rows in {report['predict_seconds']} s -> {args.out}", file=sys.stderr)
    if "fields" in report:
        print(format_figures(report["fields"]), file=sys.stderr)
    return 0
