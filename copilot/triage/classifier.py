"""Learned ticket fields: one text classifier per field, with calibrated confidence and a shipped threshold.

Why this shape
--------------
Triage proposes several fields of a new ticket (category, sub-category, group, priority ...). Every
field gets the same recipe, so the model is generic over field names and label values (strings;
``None`` = the label is missing on that row, the row is skipped for that field):

* **features** — TF-IDF over words (1–2 grams) and characters (2–5 grams inside words), shared by
  all fields; optionally MiniLM sentence embeddings appended (``TriageConfig.embeddings``).
* **classifier** — a linear model per field (LinearSVC or logistic regression, class-weighted when
  ``balanced``); optionally *chained*: a field with more classes also sees the out-of-fold scores of
  the fields with fewer classes (sub-category and group learn from the predicted category).
* **confidence** — the probability that the top label is right, fitted on out-of-fold predictions
  (k-fold cross-validation on the training rows) from the classifier's score, its margin over the
  runner-up and the prior of the predicted label. It is what a reviewer sees and what ``auto`` uses.
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
    embeddings: bool = False  # append MiniLM sentence embeddings to the TF-IDF features
    embedding_weight: float = Field(default=1.0, gt=0)
    folds: int = Field(default=5, ge=2, le=10)
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


def _text_features(config: TriageConfig) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=config.word_ngrams, min_df=2, sublinear_tf=True,
                                 token_pattern=r"(?u)\b\w+\b", dtype=np.float32)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams, min_df=2, sublinear_tf=True,
                                 max_features=200_000, dtype=np.float32)),
    ])


def _new_estimator(config: TriageConfig) -> Any:
    weight = "balanced" if config.balanced else None
    if config.classifier == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=config.C * 20, class_weight=weight, max_iter=2000)
    from sklearn.svm import LinearSVC

    return LinearSVC(C=config.C, class_weight=weight)


def _scores(estimator: Any, x: Any, n_classes: int, columns: np.ndarray) -> np.ndarray:
    """Class scores of ``estimator`` laid out on the field's full class list (missing classes: -inf-ish)."""
    out = np.full((x.shape[0], n_classes), -10.0, dtype=np.float64)
    if hasattr(estimator, "predict_proba"):
        raw = np.log(np.clip(estimator.predict_proba(x), 1e-9, 1.0))
    else:
        raw = estimator.decision_function(x)
    if raw.ndim == 1:  # binary problem: one column, positive = second class
        raw = np.column_stack([-raw, raw])
    out[:, columns] = raw
    return out


def _confidence_features(scores: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Top score, margin over the runner-up, log prior of the top label: what P(correct) is fitted on."""
    order = np.argsort(-scores, axis=1)
    top = scores[np.arange(len(scores)), order[:, 0]]
    second = scores[np.arange(len(scores)), order[:, 1]] if scores.shape[1] > 1 else top - 10.0
    return np.column_stack([top, top - second, np.log(prior[order[:, 0]] + 1e-6)])


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
        self._embed = embed

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
        x = model._fit_features(texts)
        oof_scores: dict[str, np.ndarray] = {}
        # fields with fewer classes first, so a chained field can use their scores
        order = sorted(labels, key=lambda f: (len({v for v in labels[f] if v is not None}), f))
        for name in order:
            values = labels[name]
            rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
            if len(rows) == 0:
                log.info("triage_field_skipped", field=name, reason="no labels")
                continue
            y = np.array([str(values[i]) for i in rows])
            inputs = list(oof_scores) if model.config.chain else []
            xf = model._with_chain(x, rows, inputs, oof_scores)
            fm, scores = model._fit_field(name, xf, y, inputs)
            model._fields[name] = fm
            full = np.zeros((len(texts), len(fm.classes)))
            full[rows] = scores
            oof_scores[name] = full
        model.fields = tuple(f for f in labels if f in model._fields)
        model.training_rows = len(texts)
        model.trained_at = datetime.now(UTC).isoformat(timespec="seconds")
        digest = hashlib.sha256(json.dumps([texts, labels], sort_keys=True).encode()).hexdigest()[:8]
        model.version = f"triage-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest}"
        model.evaluation = {
            "method": f"{model.config.folds}-fold out-of-fold predictions on the training rows",
            "target_precision": target_precision,
            "train_seconds": round(time.perf_counter() - started, 1),
            "fields": {f: model._fields[f].report.model_dump() for f in model.fields},
        }
        log.info("triage_model_trained", version=model.version, rows=len(texts), fields=list(model.fields),
                 seconds=model.evaluation["train_seconds"])
        return model

    def _fit_features(self, texts: list[str]) -> Any:
        self._features = _text_features(self.config)
        x = self._features.fit_transform(texts)
        return self._add_embeddings(x, texts)

    def _add_embeddings(self, x: Any, texts: list[str]) -> Any:
        if not self.config.embeddings:
            return sparse.csr_matrix(x)
        if self._embed is None:
            self._embed = default_embed()
        vecs = np.asarray(self._embed(texts), dtype=np.float32) * self.config.embedding_weight
        return sparse.hstack([x, sparse.csr_matrix(vecs)], format="csr")

    def _transform(self, texts: list[str]) -> Any:
        return self._add_embeddings(self._features.transform(texts), texts)

    @staticmethod
    def _with_chain(x: Any, rows: np.ndarray, inputs: list[str], scores: dict[str, np.ndarray]) -> Any:
        xr = x[rows]
        if not inputs:
            return xr
        extra = np.hstack([_softmax(scores[f][rows]) for f in inputs])
        return sparse.hstack([xr, sparse.csr_matrix(extra)], format="csr")

    def _fit_field(self, name: str, x: Any, y: np.ndarray, inputs: list[str]) -> tuple[_FieldModel, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        classes = sorted(set(y.tolist()))
        index = {c: i for i, c in enumerate(classes)}
        yi = np.array([index[v] for v in y])
        prior = np.bincount(yi, minlength=len(classes)) / len(yi)
        if len(classes) == 1:
            report = FieldReport(rows=len(y), classes=1, accuracy=1.0, macro_f1=1.0, threshold=None,
                                 auto_precision=None, auto_coverage=0.0)
            return (_FieldModel(name, classes, prior, None, None, None, report, inputs),
                    np.zeros((len(y), 1)))
        k = self.config.folds
        oof = np.zeros((len(y), len(classes)))
        for train, test in _folds(yi, k, self.config.seed):
            present = np.unique(yi[train])
            if len(present) == 1:
                oof[test] = -10.0
                oof[test, present[0]] = 1.0
                continue
            est = _new_estimator(self.config).fit(x[train], yi[train])
            oof[test] = _scores(est, x[test], len(classes), est.classes_)
        estimator = _new_estimator(self.config).fit(x, yi)
        pred = oof.argmax(axis=1)
        correct = (pred == yi).astype(np.int64)
        feats = _confidence_features(oof, prior)
        calibrator: Any = None
        if 0 < correct.sum() < len(correct):
            calibrator = LogisticRegression(C=1.0, max_iter=1000)
            conf = np.zeros(len(y))  # honest out-of-fold confidences for the threshold
            for train, test in _folds(correct, k, self.config.seed + 1):
                if len(set(correct[train].tolist())) < 2:
                    conf[test] = correct[train].mean()
                    continue
                conf[test] = LogisticRegression(C=1.0, max_iter=1000).fit(
                    feats[train], correct[train]).predict_proba(feats[test])[:, 1]
            calibrator.fit(feats, correct)
        else:
            conf = np.full(len(y), float(correct.mean()))
        threshold = choose_threshold(conf, correct, self.target_precision)
        chosen = conf >= threshold if threshold is not None else np.zeros(len(y), dtype=bool)
        report = FieldReport(
            rows=len(y), classes=len(classes), accuracy=float(correct.mean()),
            macro_f1=_macro_f1([classes[i] for i in yi], [classes[i] for i in pred]),
            threshold=threshold,
            auto_precision=float(correct[chosen].mean()) if chosen.any() else None,
            auto_coverage=float(chosen.mean()),
        )
        return _FieldModel(name, classes, prior, estimator, calibrator, threshold, report, inputs), oof

    # ------------------------------------------------------------------ prediction
    def predict(self, texts: list[str]) -> list[dict[str, FieldGuess]]:
        """One dict per text: field → value, calibrated confidence, and ``auto`` (above the shipped threshold)."""
        if self._features is None:
            raise RuntimeError("the triage model is not trained")
        out: list[dict[str, FieldGuess]] = [{} for _ in texts]
        if not texts:
            return out
        x = self._transform(texts)
        scores: dict[str, np.ndarray] = {}
        for name in sorted(self._fields, key=lambda f: (len(self._fields[f].classes), f)):
            fm = self._fields[name]
            if fm.estimator is None:
                s = np.ones((len(texts), 1))
                conf = np.full(len(texts), float(fm.report.accuracy))
            else:
                xf = self._with_chain(x, np.arange(len(texts)), fm.chain_inputs, scores)
                s = _scores(fm.estimator, xf, len(fm.classes), fm.estimator.classes_)
                feats = _confidence_features(s, fm.prior)
                conf = (fm.calibrator.predict_proba(feats)[:, 1] if fm.calibrator is not None
                        else np.full(len(texts), fm.report.accuracy))
            scores[name] = s
            best = s.argmax(axis=1)
            for i in range(len(texts)):
                c = float(np.clip(conf[i], 0.0, 1.0))
                out[i][name] = FieldGuess(value=fm.classes[best[i]], confidence=c,
                                          auto=fm.threshold is not None and c >= fm.threshold)
        return [{f: row[f] for f in self.fields} for row in out]

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
        joblib.dump({"features": self._features, "fields": self._fields}, directory / MODEL_FILE, compress=3)
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


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def default_embed() -> Embed:
    """MiniLM sentence embeddings from the process-wide embedder (bundled weights, no download)."""
    from copilot.knowledge.embedder import get_embedder

    embedder = get_embedder()
    return lambda texts: embedder.encode(texts)

