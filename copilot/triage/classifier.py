"""Learned ticket fields: one text classifier per field, with calibrated confidence and a shipped threshold.

Why this shape
--------------
Triage proposes several fields of a new ticket (category, sub-category, group, priority ...). Every
field gets the same recipe, so the model is generic over field names and label values (strings;
``None`` = the label is missing on that row, the row is skipped for that field):

* **features** — TF-IDF over words (1–2 grams), and over the subject's words again at half weight
  (``title_weight``), optionally characters (2–5 grams inside words), shared by all fields; MiniLM
  sentence embeddings appended (``TriageConfig.embeddings``).
* **classifier** — a linear model per field (LinearSVC or logistic regression, class-weighted when
  ``balanced``); optionally *chained*: a field with more classes also sees the out-of-fold scores of
  the fields with fewer classes (sub-category and group learn from the predicted category).
* **prior correction** — per field, the scores divided by ``prior ** β`` with β chosen out of fold (the
  best macro-F1 within 0.005 of the uncorrected accuracy): rare labels are predicted more often.
* **hierarchy** — fields that nest in another by the labels (sub-category in category, see
  :mod:`copilot.triage.hierarchy`) are decoded with it, so a predicted pair was seen in training.
* **confidence** — the probability that the chosen label is right, fitted on out-of-fold predictions
  (k-fold cross-validation on the training rows) from the classifier's own probability of the chosen label,
  its margin over the best other label and the label's prior. It is what a reviewer sees and what ``auto`` uses.
* **shipped threshold** — per field, the lowest confidence at which the out-of-fold predictions above
  it keep a one-sided 95 % Wilson lower bound of precision ≥ ``target_precision`` (a safety margin
  against the optimism of choosing a cut on the same data). A field that cannot reach it never
  goes ``auto``.

``save``/``load`` write a directory: ``model.joblib`` (the fitted scikit-learn objects) and
``model.json`` (format, version, fields, thresholds, evaluation, training size, library versions).
Only load directories this code wrote: joblib files are pickles.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse

from copilot.logs import get_logger
from copilot.triage.hierarchy import Tables, decode_hierarchy, find_hierarchy, pair_table
from copilot.triage.proposal import FieldGuess

log = get_logger(__name__)

FORMAT = 1  # bump when the saved layout changes; load refuses other formats
MODEL_FILE = "model.joblib"
META_FILE = "model.json"
WILSON_Z = 1.645  # one-sided 95 %
MIN_AUTO = 20  # out-of-fold predictions above a threshold needed before a field may go auto

Embed = Callable[[list[str]], np.ndarray]


class TriageConfig(BaseModel):
    """How the per-field models are built (the benchmark compares variants; the default is shipped)."""

    classifier: Literal["svm", "logreg"] = "svm"
    C: float = Field(default=0.5, gt=0)
    balanced: bool = True  # class weights inversely proportional to frequency (helps macro-F1)
    chain: bool = False  # fields with more classes also see the scores of fields with fewer
    char: bool = False  # character 2-5-gram TF-IDF next to the words (slower, no better in cross-validation)
    embeddings: bool = True  # append MiniLM sentence embeddings to the TF-IDF features
    embedding_weight: float = Field(default=1.0, gt=0)
    knn: int = Field(default=10, ge=0)  # neighbours (MiniLM cosine) blended with the linear model; 0 = off
    blend: tuple[float, ...] = (1.0, 0.8, 0.6, 0.5)  # linear-model weights tried per field (chosen out of fold)
    temperature: float = Field(default=3.0, gt=0)  # softmax temperature of SVM scores before blending
    folds: int = Field(default=5, ge=2, le=10)
    # exponents β tried per field for the prior correction p(label) / prior(label)^β (chosen out of fold:
    # the best macro-F1 whose accuracy stays within ``prior_tolerance`` of the uncorrected one); (0,) = off
    prior_correction: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5)
    prior_tolerance: float = Field(default=0.005, ge=0)
    # decode parent → child fields together so a child is a value seen under the predicted parent (pairs
    # found in the training labels, see :func:`find_hierarchy`)
    hierarchy: bool = True
    # the subject's words once more, in a TF-IDF of their own at this weight (0 = off): subjects are short
    # and say what the ticket is about; bodies carry greetings, signatures and quoted replies
    title_weight: float = Field(default=0.5, ge=0)
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    seed: int = 11


class FieldReport(BaseModel):
    """Out-of-fold figures of one field on the training data (what the shipped threshold rests on)."""

    rows: int
    classes: int
    accuracy: float
    macro_f1: float
    threshold: float | None  # None: the field never goes auto
    blend: float = 1.0  # weight of the linear model against the neighbours
    prior_power: float = 0.0  # β of the prior correction
    parent: str | None = None  # decoded together with this field (the labels say this one nests in it)
    auto_precision: float | None
    auto_coverage: float


@dataclass
class _FieldModel:
    name: str
    classes: list[str]
    prior: np.ndarray  # training frequency of each class
    estimator: Any  # fitted linear model, or None for a field with one class
    calibrator: Any  # LogisticRegression on confidence features, or None
    threshold: float | None
    report: FieldReport
    chain_inputs: list[str] = field(default_factory=list)  # earlier fields whose scores are features
    rows: np.ndarray | None = None  # training rows of this field (indexes into the stored embeddings)
    targets: np.ndarray | None = None  # their class indexes (for the neighbours)
    blend: float = 1.0
    prior_power: float = 0.0  # β of the prior correction (0 = none)
    parent: str | None = None  # the field this one nests in (hierarchical decoding), if any
    allowed: np.ndarray | None = None  # parent classes × these classes: pairs seen in training


@dataclass
class _Scores:
    """A field's out-of-fold probabilities and final estimator, before calibration (see ``TriageModel.fit``)."""

    name: str
    classes: list[str]
    yi: np.ndarray  # class index of each labelled row
    prior: np.ndarray
    estimator: Any
    blend: float
    probs: np.ndarray  # out-of-fold, labelled rows only
    rows: np.ndarray  # which training rows are labelled
    inputs: list[str]
    power: float = 0.0


def prior_corrected(probs: np.ndarray, prior: np.ndarray, power: float) -> np.ndarray:
    """``probs / prior ** power``, renormalised: lifts rare labels (macro-F1) at a small cost in accuracy."""
    if power == 0.0 or probs.shape[1] < 2:
        return probs
    out = probs / np.power(prior + 1e-3, power)
    return np.asarray(out / out.sum(axis=1, keepdims=True))


def _choose_prior_power(probs: np.ndarray, yi: np.ndarray, prior: np.ndarray, config: TriageConfig) -> float:
    """The β with the best out-of-fold macro-F1 among those within ``prior_tolerance`` of β = 0's accuracy."""
    if probs.shape[1] < 2 or config.prior_correction == (0.0,):
        return 0.0
    scored = []
    for power in sorted({0.0, *config.prior_correction}):
        pred = prior_corrected(probs, prior, power).argmax(axis=1)
        scored.append((power, float((pred == yi).mean()), _macro_f1(yi.tolist(), pred.tolist())))
    floor = scored[0][1] - config.prior_tolerance
    return max((s for s in scored if s[1] >= floor), key=lambda s: (s[2], -s[0]))[0]


def _full(probs: np.ndarray, rows: np.ndarray, prior: np.ndarray, n: int) -> np.ndarray:
    """A field's probabilities on every training row (unlabelled rows: the prior)."""
    out = np.tile(prior, (n, 1)).astype(np.float64)
    out[rows] = probs
    return out


def _class_index(values: Sequence[str | None], classes: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index.get(str(v), -1) if v is not None else -1 for v in values], dtype=np.int64)


def _pair_tables(labels: dict[str, list[str | None]], child: str, parent: str, scored: dict[str, _Scores],
                 config: TriageConfig) -> tuple[np.ndarray, Tables]:
    """The pairs seen in all the training rows (what prediction uses) and, for the out-of-fold pass, one
    table per fold of the child's rows built without that fold (rows missing either label: no constraint)."""
    ci = _class_index(labels[child], scored[child].classes)
    pi = _class_index(labels[parent], scored[parent].classes)
    n_p, n_c = len(scored[parent].classes), len(scored[child].classes)
    everything = pair_table(pi, ci, n_p, n_c)
    folds = _folds(scored[child].yi, config.folds, config.seed)
    stack = np.ones((len(folds) + 1, n_p, n_c), dtype=bool)  # the last table: no constraint
    which = np.full(len(ci), len(folds), dtype=np.int64)
    rows = scored[child].rows
    for f, (train, test) in enumerate(folds):
        keep = np.zeros(len(ci), dtype=bool)
        keep[rows[train]] = True
        stack[f] = pair_table(np.where(keep, pi, -1), ci, n_p, n_c)
        which[rows[test][pi[rows[test]] >= 0]] = f
    return everything, (stack, which)


def _text_features(config: TriageConfig) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    parts: list[tuple[str, Any]] = [
        ("word", TfidfVectorizer(analyzer="word", ngram_range=config.word_ngrams, min_df=2, sublinear_tf=True,
                                 token_pattern=r"(?u)\b\w+\b", dtype=np.float32))]
    weights = {"word": 1.0}
    if config.title_weight > 0:
        parts.append(("title", TfidfVectorizer(analyzer="word", ngram_range=config.word_ngrams, min_df=2,
                                               sublinear_tf=True, token_pattern=r"(?u)\b\w+\b", dtype=np.float32,
                                               preprocessor=ticket_subject)))
        weights["title"] = config.title_weight
    if config.char:
        weights["char"] = 1.0
        parts.append(("char", TfidfVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams, min_df=2,
                                              sublinear_tf=True, max_features=200_000, dtype=np.float32)))
    return FeatureUnion(parts, transformer_weights=weights)


def _new_estimator(config: TriageConfig) -> Any:
    weight = "balanced" if config.balanced else None
    if config.classifier == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=config.C * 20, class_weight=weight, max_iter=2000)
    from sklearn.svm import LinearSVC

    return LinearSVC(C=config.C, class_weight=weight)


def _probabilities(estimator: Any, x: Any, n_classes: int, temperature: float) -> np.ndarray:
    """Class probabilities of a linear model on the field's full class list (classes it never saw get 0)."""
    out = np.zeros((x.shape[0], n_classes), dtype=np.float64)
    columns = np.asarray(estimator.classes_)
    if hasattr(estimator, "predict_proba"):
        out[:, columns] = estimator.predict_proba(x)
        return out
    out[:, columns] = _softmax(_two_sided(estimator.decision_function(x)) * temperature)
    return out


def _two_sided(raw: np.ndarray) -> np.ndarray:
    """A binary model's one score column as two (negative class, positive class)."""
    return np.column_stack([-raw, raw]) if raw.ndim == 1 else raw


class _Linear:
    """A fitted linear model's weights, applied without scikit-learn's per-call input validation.

    Predicting one ticket used to spend more time in scikit-learn's checks (about 17 validations per
    ticket) than in the arithmetic. The weights are read once per loaded bundle; the results are the
    same numbers as ``decision_function`` / ``predict_proba`` (tests/triage/test_classifier.py)."""

    def __init__(self, estimator: Any) -> None:
        coef = estimator.coef_
        self.coef_t = (coef.T.tocsr() if sparse.issparse(coef) else np.ascontiguousarray(np.asarray(coef).T))
        self.intercept = np.asarray(estimator.intercept_, dtype=np.float64)
        self.classes = np.asarray(estimator.classes_)
        self.logistic = hasattr(estimator, "predict_proba")

    def decision(self, x: Any) -> np.ndarray:
        raw = np.asarray(x @ self.coef_t, dtype=np.float64) + self.intercept
        return raw.ravel() if raw.shape[1] == 1 else raw

    def probabilities(self, x: Any, n_classes: int, temperature: float) -> np.ndarray:
        """As :func:`_probabilities` (a binary logistic model: the logistic of its score, like sklearn)."""
        out = np.zeros((x.shape[0], n_classes), dtype=np.float64)
        raw = self.decision(x)
        if self.logistic:
            out[:, self.classes] = _logistic_proba(raw)
        else:
            out[:, self.classes] = _softmax(_two_sided(raw) * temperature)
        return out


def _logistic_proba(raw: np.ndarray) -> np.ndarray:
    if raw.ndim == 1:
        positive = 1.0 / (1.0 + np.exp(-raw))
        return np.column_stack([1.0 - positive, positive])
    return _softmax(raw)


def _knn_probabilities(sims: np.ndarray, targets: np.ndarray, n_classes: int, k: int) -> np.ndarray:
    """Votes of the ``k`` most similar training tickets, weighted by 1 / cosine distance, normalised."""
    out = np.zeros((sims.shape[0], n_classes), dtype=np.float64)
    k = min(k, sims.shape[1])
    if k == 0 or sims.shape[0] == 0:
        return out + 1.0 / n_classes
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weight = 1.0 / np.maximum(1.0 - np.take_along_axis(sims, idx, axis=1), 1e-3)
    np.add.at(out, (np.repeat(np.arange(sims.shape[0]), k), targets[idx].ravel()), weight.ravel())
    return np.asarray(out / out.sum(axis=1, keepdims=True))


def _confidence_features(probs: np.ndarray, prior: np.ndarray, pred: np.ndarray | None = None) -> np.ndarray:
    """What P(correct) is fitted on: the model's probability of the chosen label, its margin over the best
    other label, and the label's log prior. The chosen label is the argmax unless ``pred`` says otherwise
    (after the prior correction or the hierarchy picked another): the probabilities stay the model's own,
    so a label chosen against them gets a low confidence."""
    rows = np.arange(len(probs))
    if pred is None:
        pred = probs.argmax(axis=1)
    top = probs[rows, pred]
    others = probs.copy()
    others[rows, pred] = -np.inf
    second = others.max(axis=1) if probs.shape[1] > 1 else np.zeros(len(probs))
    return np.column_stack([top, top - second, np.log(prior[pred] + 1e-6)])


def _wilson_lower(correct: float, n: int, z: float = WILSON_Z) -> float:
    if n == 0:
        return 0.0
    p = correct / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / denom


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> float | None:
    """Lowest confidence whose predictions at or above it keep Wilson-lower-bound precision ≥ ``target``."""
    if len(confidence) == 0:
        return None
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(np.float64)
    hits = np.cumsum(ok)
    best: float | None = None
    for i in range(len(conf)):
        if i + 1 < len(conf) and conf[i + 1] == conf[i]:
            continue  # a cut must take every tie
        n = i + 1
        if n >= MIN_AUTO and _wilson_lower(hits[i], n) >= target:
            best = float(conf[i])
    return best


def _macro_f1(truth: Sequence[str], pred: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, pred, average="macro", zero_division=0))


def _folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds that tolerate classes rarer than ``k`` (their rows spread over the folds)."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=np.int64)
    start = 0
    for label in sorted(set(y.tolist())):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        fold_of[idx] = (np.arange(len(idx)) + start) % k
        start += len(idx)
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


class TriageModel:
    """Per-field ticket classifiers with calibrated confidence and shipped ``auto`` thresholds."""

    def __init__(self, config: TriageConfig | None = None, embed: Embed | None = None) -> None:
        self.config = config or TriageConfig()
        self.version = ""
        self.fields: tuple[str, ...] = ()
        self.evaluation: dict[str, Any] = {}
        self.trained_at = ""
        self.training_rows = 0
        self.target_precision = 0.97
        self._features: Any = None
        self._fields: dict[str, _FieldModel] = {}
        self._neighbours: np.ndarray | None = None  # MiniLM vectors of the training texts (for the kNN part)
        self._embed = embed
        self._linear_cache: dict[str, tuple[_Linear, _Linear | None]] | None = None

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, texts: list[str], labels: dict[str, list[str | None]], *, target_precision: float = 0.97,
            config: TriageConfig | None = None, embed: Embed | None = None) -> TriageModel:
        """Train one classifier per field of ``labels`` on ``texts`` (``None`` = no label on that row)."""
        if not texts:
            raise ValueError("no training texts")
        for name, values in labels.items():
            if len(values) != len(texts):
                raise ValueError(f"field {name!r} has {len(values)} labels for {len(texts)} texts")
        model = cls(config, embed)
        model.target_precision = target_precision
        started = time.perf_counter()
        vectors = model._embeddings(texts)
        x = model._fit_features(texts, vectors)
        if vectors is not None and model.config.knn > 0:
            model._neighbours = vectors
        embed_seconds = time.perf_counter() - started
        oof: dict[str, np.ndarray] = {}
        scored: dict[str, _Scores] = {}
        # fields with fewer classes first, so a chained field can use their probabilities
        order = sorted(labels, key=lambda f: (len({v for v in labels[f] if v is not None}), f))
        for name in order:
            values = labels[name]
            rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
            if len(rows) == 0:
                log.info("triage_field_skipped", field=name, reason="no labels")
                continue
            y = np.array([str(values[i]) for i in rows])
            inputs = list(oof) if model.config.chain else []
            xf = model._with_chain(x, rows, inputs, oof)
            sc = scored[name] = model._score_field(name, xf, y, rows, inputs)
            oof[name] = _full(sc.probs, sc.rows, sc.prior, len(texts))
        for sc in scored.values():
            sc.power = _choose_prior_power(sc.probs, sc.yi, sc.prior, model.config)
        final = {name: prior_corrected(sc.probs, sc.prior, sc.power) for name, sc in scored.items()}
        parents = find_hierarchy({f: labels[f] for f in scored}) if model.config.hierarchy else {}
        tables: dict[str, np.ndarray] = {}
        if parents:
            pairs = {child: _pair_tables(labels, child, parent, scored, model.config)
                     for child, parent in parents.items()}
            tables = {child: both[0] for child, both in pairs.items()}
            full = {name: _full(final[name], sc.rows, sc.prior, len(texts)) for name, sc in scored.items()}
            decoded = decode_hierarchy(full, parents, {child: both[1] for child, both in pairs.items()})
            final = {name: decoded[name][sc.rows] for name, sc in scored.items()}
        for name, sc in scored.items():
            model._fields[name] = model._finish_field(sc, final[name], parents.get(name), tables.get(name))
        model.fields = tuple(f for f in labels if f in model._fields)
        model.training_rows = len(texts)
        model.trained_at = datetime.now(UTC).isoformat(timespec="seconds")
        digest = hashlib.sha256(json.dumps([texts, labels], sort_keys=True).encode()).hexdigest()[:8]
        model.version = f"triage-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest}"
        model.evaluation = {
            "method": f"{model.config.folds}-fold out-of-fold predictions on the training rows",
            "target_precision": target_precision,
            "train_seconds": round(time.perf_counter() - started, 1),
            "feature_seconds": round(embed_seconds, 1),
            "fields": {f: model._fields[f].report.model_dump() for f in model.fields},
        }
        log.info("triage_model_trained", version=model.version, rows=len(texts), fields=list(model.fields),
                 seconds=model.evaluation["train_seconds"])
        return model

    def _embeddings(self, texts: list[str]) -> np.ndarray | None:
        if not self.config.embeddings:
            return None
        if self._embed is None:
            self._embed = default_embed()
        vecs = np.asarray(self._embed(texts), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.asarray(vecs / np.maximum(norms, 1e-9), dtype=np.float32)

    def _fit_features(self, texts: list[str], vectors: np.ndarray | None) -> Any:
        self._features = _text_features(self.config)
        return self._stack(self._features.fit_transform(texts), vectors)

    def _stack(self, x: Any, vectors: np.ndarray | None) -> Any:
        if vectors is None:
            return sparse.csr_matrix(x)
        return sparse.hstack([x, sparse.csr_matrix(vectors * self.config.embedding_weight)], format="csr")

    @staticmethod
    def _with_chain(x: Any, rows: np.ndarray, inputs: list[str], probs: dict[str, np.ndarray]) -> Any:
        xr = x[rows]
        if not inputs:
            return xr
        extra = np.hstack([probs[f][rows] for f in inputs])
        return sparse.hstack([xr, sparse.csr_matrix(extra)], format="csr")

    def _score_field(self, name: str, x: Any, y: np.ndarray, rows: np.ndarray, inputs: list[str]) -> _Scores:
        """Out-of-fold probabilities of one field (linear model blended with the neighbours) and its final fit."""
        config = self.config
        classes = sorted(set(y.tolist()))
        index = {c: i for i, c in enumerate(classes)}
        yi = np.array([index[v] for v in y])
        n = len(classes)
        prior = np.bincount(yi, minlength=n) / len(yi)
        if n == 1:
            return _Scores(name, classes, yi, prior, None, 1.0, np.ones((len(y), 1)), rows, inputs)
        use_knn = self._neighbours is not None
        sims = self._neighbours[rows] @ self._neighbours[rows].T if use_knn else None  # type: ignore[index]
        linear = np.zeros((len(y), n))
        knn = np.zeros((len(y), n))
        for train, test in _folds(yi, config.folds, config.seed):
            present = np.unique(yi[train])
            if len(present) == 1:
                linear[test, present[0]] = 1.0
            else:
                est = _new_estimator(config).fit(x[train], yi[train])
                linear[test] = _probabilities(est, x[test], n, config.temperature)
            if sims is not None:
                knn[test] = _knn_probabilities(sims[np.ix_(test, train)], yi[train], n, config.knn)
        estimator = _new_estimator(config).fit(x, yi)
        # the blend weight that predicts best out of fold (ties: more weight on the linear model)
        weights = config.blend if use_knn else (1.0,)
        blend = max(weights, key=lambda w: (float(((w * linear + (1 - w) * knn).argmax(1) == yi).mean()), w))
        return _Scores(name, classes, yi, prior, estimator, blend, blend * linear + (1 - blend) * knn, rows, inputs)

    def _finish_field(self, sc: _Scores, probs: np.ndarray, parent: str | None,
                      allowed: np.ndarray | None) -> _FieldModel:
        """Calibrated confidence, shipped threshold and report of a field from its final out-of-fold probabilities."""
        from sklearn.linear_model import LogisticRegression

        config, yi, n = self.config, sc.yi, len(sc.classes)
        use_knn = self._neighbours is not None
        if n == 1:
            report = FieldReport(rows=len(yi), classes=1, accuracy=1.0, macro_f1=1.0, threshold=None,
                                 auto_precision=None, auto_coverage=0.0)
            return _FieldModel(sc.name, sc.classes, sc.prior, None, None, None, report, sc.inputs)
        pred = probs.argmax(axis=1)
        correct = (pred == yi).astype(np.int64)
        feats = _confidence_features(sc.probs, sc.prior, pred)
        calibrator: Any = None
        if 0 < correct.sum() < len(correct):
            calibrator = LogisticRegression(C=1.0, max_iter=1000)
            conf = np.zeros(len(yi))  # honest out-of-fold confidences for the threshold
            for train, test in _folds(correct, config.folds, config.seed + 1):
                if len(set(correct[train].tolist())) < 2:
                    conf[test] = correct[train].mean()
                    continue
                conf[test] = LogisticRegression(C=1.0, max_iter=1000).fit(
                    feats[train], correct[train]).predict_proba(feats[test])[:, 1]
            calibrator.fit(feats, correct)
        else:
            conf = np.full(len(yi), float(correct.mean()))
        threshold = choose_threshold(conf, correct, self.target_precision)
        chosen = conf >= threshold if threshold is not None else np.zeros(len(yi), dtype=bool)
        report = FieldReport(
            rows=len(yi), classes=n, accuracy=float(correct.mean()),
            macro_f1=_macro_f1([sc.classes[i] for i in yi], [sc.classes[i] for i in pred]),
            threshold=threshold, blend=sc.blend, prior_power=sc.power, parent=parent,
            auto_precision=float(correct[chosen].mean()) if chosen.any() else None,
            auto_coverage=float(chosen.mean()),
        )
        return _FieldModel(sc.name, sc.classes, sc.prior, sc.estimator, calibrator, threshold, report, sc.inputs,
                           rows=sc.rows if use_knn else None, targets=yi if use_knn else None, blend=sc.blend,
                           prior_power=sc.power, parent=parent, allowed=allowed)

    # ------------------------------------------------------------------ prediction
    def predict(self, texts: list[str], vectors: np.ndarray | None = None) -> list[dict[str, FieldGuess]]:
        """One dict per text: field → value, calibrated confidence, and ``auto`` (above the shipped threshold).

        ``vectors``: the texts' MiniLM embeddings when the caller already has them (the triage worker
        embeds a ticket once for the fields, the similar tickets and the KB); computed here otherwise."""
        if self._features is None:
            raise RuntimeError("the triage model is not trained")
        out: list[dict[str, FieldGuess]] = [{} for _ in texts]
        if not texts:
            return out
        if not self.config.embeddings:
            vectors = None
        elif vectors is None:
            vectors = self._embeddings(texts)
        else:
            vectors = np.asarray(vectors, dtype=np.float32)
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        linear = self._linear()
        x = self._stack(self._features.transform(texts), vectors)
        sims = vectors @ self._neighbours.T if vectors is not None and self._neighbours is not None else None
        probs: dict[str, np.ndarray] = {}  # as the chain saw them in training (before the prior correction)
        final: dict[str, np.ndarray] = {}
        everyone = np.arange(len(texts))
        for name in sorted(self._fields, key=lambda f: (len(self._fields[f].classes), f)):
            fm = self._fields[name]
            if fm.estimator is None:
                probs[name] = final[name] = np.ones((len(texts), 1))
                continue
            xf = self._with_chain(x, everyone, fm.chain_inputs, probs)
            p = linear[name][0].probabilities(xf, len(fm.classes), self.config.temperature)
            if fm.blend < 1.0 and sims is not None and fm.rows is not None and fm.targets is not None:
                p = fm.blend * p + (1 - fm.blend) * _knn_probabilities(sims[:, fm.rows], fm.targets,
                                                                       len(fm.classes), self.config.knn)
            probs[name] = p
            final[name] = prior_corrected(p, fm.prior, fm.prior_power)
        parents = {f: fm.parent for f, fm in self._fields.items() if fm.parent is not None and fm.allowed is not None}
        if parents:
            one = np.zeros(len(texts), dtype=np.int64)
            final = decode_hierarchy(final, parents, {
                child: (self._fields[child].allowed[None], one) for child in parents})  # type: ignore[index]
        for name, p in final.items():
            fm = self._fields[name]
            if fm.estimator is None:
                conf = np.full(len(texts), float(fm.report.accuracy))
            else:
                calibrator = linear[name][1]
                features = _confidence_features(probs[name], fm.prior, p.argmax(axis=1))
                conf = (_logistic_proba(calibrator.decision(features))[:, 1]
                        if calibrator is not None else np.full(len(texts), fm.report.accuracy))
            best = p.argmax(axis=1)
            for i in range(len(texts)):
                c = float(np.clip(conf[i], 0.0, 1.0))
                out[i][name] = FieldGuess(value=fm.classes[best[i]], confidence=c,
                                          auto=fm.threshold is not None and c >= fm.threshold)
        return [{f: row[f] for f in self.fields} for row in out]

    @property
    def uses_default_embedder(self) -> bool:
        """True when this model embeds with the process-wide MiniLM (``get_embedder``), so a caller's
        vectors from that embedder are the ones it would compute."""
        return self._embed is None or self._embed is _DEFAULT_EMBED

    def _linear(self) -> dict[str, tuple[_Linear, _Linear | None]]:
        """Each field's classifier and calibrator weights, read once per model (see :class:`_Linear`)."""
        if self._linear_cache is None:
            self._linear_cache = {
                name: (_Linear(fm.estimator), _Linear(fm.calibrator) if fm.calibrator is not None else None)
                for name, fm in self._fields.items() if fm.estimator is not None}
        return self._linear_cache

    @property
    def thresholds(self) -> dict[str, float | None]:
        """The shipped per-field thresholds (None: the field never goes auto)."""
        return {f: self._fields[f].threshold for f in self.fields}

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Path) -> Path:
        """Write the model into ``directory`` (created): ``model.joblib`` + ``model.json``."""
        import joblib

        if self._features is None:
            raise RuntimeError("the triage model is not trained")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump({"features": self._features, "fields": self._fields, "neighbours": self._neighbours},
                    directory / MODEL_FILE, compress=3)
        (directory / META_FILE).write_text(json.dumps(self.metadata(), indent=2), encoding="utf-8")
        return directory

    def metadata(self) -> dict[str, Any]:
        """What ``model.json`` holds: enough to audit a model without loading it."""
        import sklearn

        return {
            "format": FORMAT,
            "version": self.version,
            "trained_at": self.trained_at,
            "fields": list(self.fields),
            "classes": {f: self._fields[f].classes for f in self.fields},
            "thresholds": self.thresholds,
            "target_precision": self.target_precision,
            "training_rows": self.training_rows,
            "config": self.config.model_dump(mode="json"),
            "evaluation": self.evaluation,
            "libraries": {"python": platform.python_version(), "numpy": np.__version__,
                          "scikit-learn": sklearn.__version__},
        }

    @classmethod
    def load(cls, directory: Path, embed: Embed | None = None) -> TriageModel:
        """Read a directory written by :meth:`save`."""
        import joblib

        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.exists() or not (directory / MODEL_FILE).exists():
            raise FileNotFoundError(f"no triage model in {directory}")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"triage model format {meta.get('format')} is not {FORMAT}; retrain it")
        blob = joblib.load(directory / MODEL_FILE)
        model = cls(TriageConfig.model_validate(meta["config"]), embed)
        model._features = blob["features"]
        model._fields = blob["fields"]
        model._neighbours = blob.get("neighbours")
        model.version = meta["version"]
        model.trained_at = meta.get("trained_at", "")
        model.fields = tuple(meta["fields"])
        model.evaluation = meta.get("evaluation", {})
        model.training_rows = int(meta.get("training_rows", 0))
        model.target_precision = float(meta.get("target_precision", 0.97))
        return model


def ticket_text(subject: str | None, description: str | None) -> str:
    """The one text a ticket is classified by (training and prediction must compose it the same way)."""
    return f"{(subject or '').strip()}. {(description or '').strip()}".strip(". ")


def ticket_subject(text: str) -> str:
    """The subject part of a :func:`ticket_text` (up to the first ". "; the whole text when there is none)."""
    return text.split(". ", 1)[0].lower()


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


class CachedEmbed:
    """Memoises an embedding function by text (sha256), optionally in an ``.npz`` file across runs.

    Training embeds every ticket once, but a benchmark trains several models on the same tickets:
    they share one ``CachedEmbed`` so MiniLM runs once per text per run."""

    def __init__(self, embed: Embed, path: Path | None = None, limit: int = 50_000) -> None:
        self._embed = embed
        self._limit = limit  # a long-running worker predicts new texts forever: start over past this
        self._path = path
        self._cache: dict[str, np.ndarray] = {}
        self.computed = 0
        if path is not None and path.exists():
            with np.load(path) as stored:
                self._cache = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._cache}.items())
        if todo:
            if len(self._cache) + len(todo) > self._limit:
                self._cache.clear()
            vectors = np.asarray(self._embed([t for _, t in todo]), dtype=np.float32)
            self._cache.update({k: v for (k, _), v in zip(todo, vectors, strict=True)})
            self.computed += len(todo)
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._path.with_name(self._path.name + ".tmp.npz")
                np.savez(tmp, keys=np.array(list(self._cache)), vectors=np.stack(list(self._cache.values())))
                tmp.replace(self._path)
        return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)


_DEFAULT_EMBED: CachedEmbed | None = None


def default_embed() -> Embed:
    """MiniLM sentence embeddings from the process-wide embedder (bundled weights, no download), memoised
    for the process so training and predicting the same tickets embeds them once."""
    global _DEFAULT_EMBED
    if _DEFAULT_EMBED is None:
        from copilot.knowledge.embedder import get_embedder

        embedder = get_embedder()
        _DEFAULT_EMBED = CachedEmbed(lambda texts: embedder.encode(texts))
    return _DEFAULT_EMBED
