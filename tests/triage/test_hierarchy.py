"""Hierarchical decoding and the prior correction, on the real Endava dev tickets (never the held-out part)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from copilot.triage.classifier import TriageConfig, TriageModel, prior_corrected, ticket_text
from copilot.triage.hierarchy import decode_hierarchy, find_hierarchy, pair_table
from copilot.triage.proposal import FieldGuess

DEV = Path(__file__).resolve().parents[2] / "bench" / "data" / "triage-dev-train.csv"
FIELDS = ("ticket_type", "category", "sub_category1", "sub_category2", "business_service")
# TF-IDF only (these tests are about decoding, not MiniLM); the shipped prior-correction exponents
CONFIG = TriageConfig(embeddings=False, hierarchy=True, prior_correction=(0.0, 0.1, 0.2, 0.3, 0.5))


def dev_rows() -> list[dict[str, str]]:
    with open(DEV, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_endava_labels_nest_sub_category_and_service_in_category() -> None:
    rows = dev_rows()
    parents = find_hierarchy({f: [r[f] for r in rows] for f in FIELDS})
    # each sub_category1 / business_service value mostly comes with one category (94 % / 92 % of rows);
    # sub_category2 spreads over several sub-categories, and ticket_type's skew (89 % one value) is no
    # reason for anything to nest in it
    assert parents == {"sub_category1": "category", "business_service": "category"}


def test_decoding_picks_the_best_pair_seen_in_training() -> None:
    # parent classes a, b; child classes x (seen under a), y (under b)
    allowed = pair_table(np.array([0, 1]), np.array([0, 1]), 2, 2)
    parent = np.array([[0.55, 0.45], [0.9, 0.1]])
    child = np.array([[0.1, 0.9], [0.4, 0.6]])  # alone: (a, y) in both rows, which was never seen
    one = np.zeros(2, dtype=np.int64)
    out = decode_hierarchy({"p": parent, "c": child}, {"c": "p"}, {"c": (allowed[None], one)})
    # row 0: b·y = 0.45·0.9 beats a·x = 0.55·0.1 → (b, y); row 1: a·x = 0.36 beats b·y = 0.06 → (a, x)
    assert out["p"].argmax(1).tolist() == [1, 0] and out["c"].argmax(1).tolist() == [1, 0]
    assert np.allclose(out["p"].sum(1), 1) and np.allclose(out["c"].sum(1), 1)
    # a child value never seen under any parent value leaves the row as it was
    nothing = np.zeros((1, 2, 2), dtype=bool)
    kept = decode_hierarchy({"p": parent, "c": child}, {"c": "p"}, {"c": (nothing, one)})
    assert np.allclose(kept["c"], child)


def test_prior_correction_lifts_rare_labels() -> None:
    prior = np.array([0.9, 0.1])
    probs = np.array([[0.6, 0.4]])
    assert prior_corrected(probs, prior, 0.0) is probs
    lifted = prior_corrected(probs, prior, 0.5)
    assert lifted[0, 1] > 0.5 and np.isclose(lifted.sum(), 1)


@pytest.fixture(scope="module")
def trained() -> tuple[TriageModel, list[dict[str, str]], list[dict[str, str]]]:
    rows = dev_rows()
    train, unseen = rows[:1600], rows[1600:2100]
    labels: dict[str, list[str | None]] = {f: [r[f] for r in train] for f in FIELDS}
    model = TriageModel.fit([ticket_text(r["title"], r["body"]) for r in train], labels, config=CONFIG)
    return model, train, unseen


def same_guesses(left: list[dict[str, FieldGuess]], right: list[dict[str, FieldGuess]]) -> bool:
    return len(left) == len(right) and all(
        a.keys() == b.keys() and all(
            (a[f].value, a[f].auto) == (b[f].value, b[f].auto) and a[f].confidence == pytest.approx(b[f].confidence)
            for f in a) for a, b in zip(left, right, strict=True))


def test_predicted_sub_category_belongs_to_the_predicted_category(
        trained: tuple[TriageModel, list[dict[str, str]], list[dict[str, str]]], tmp_path: Path) -> None:
    model, train, unseen = trained
    reports = model.evaluation["fields"]
    assert reports["sub_category1"]["parent"] == "category" and reports["business_service"]["parent"] == "category"
    assert reports["category"]["parent"] is None
    seen = {(r["category"], r["sub_category1"]) for r in train}
    services = {(r["category"], r["business_service"]) for r in train}
    texts = [ticket_text(r["title"], r["body"]) for r in unseen]
    guesses = model.predict(texts)
    assert all((g["category"].value, g["sub_category1"].value) in seen for g in guesses)
    assert all((g["category"].value, g["business_service"].value) in services for g in guesses)
    # one ticket at a time decodes the same way as a batch, and a saved model decodes as it did
    # (values equal; confidences equal up to float rounding, which differs between BLAS batch sizes)
    assert same_guesses(model.predict(texts[:1]), guesses[:1])
    loaded = TriageModel.load(model.save(tmp_path / "m"))
    assert same_guesses(loaded.predict(texts[:50]), guesses[:50])


def test_prior_correction_trades_at_most_the_tolerance_of_accuracy_for_macro_f1(
        trained: tuple[TriageModel, list[dict[str, str]], list[dict[str, str]]]) -> None:
    model, train, _ = trained
    assert all(model.evaluation["fields"][f]["prior_power"] in CONFIG.prior_correction for f in FIELDS)
    texts = [ticket_text(r["title"], r["body"]) for r in train]
    labels: dict[str, list[str | None]] = {"category": [r["category"] for r in train]}
    alone = CONFIG.model_copy(update={"hierarchy": False})
    plain = TriageModel.fit(texts, labels, config=alone.model_copy(update={"prior_correction": (0.0,)}))
    corrected = TriageModel.fit(texts, labels, config=alone)
    before, after = plain.evaluation["fields"]["category"], corrected.evaluation["fields"]["category"]
    assert before["prior_power"] == 0.0
    assert after["accuracy"] >= before["accuracy"] - alone.prior_tolerance - 1e-9
    assert after["macro_f1"] >= before["macro_f1"]
