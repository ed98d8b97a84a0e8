"""MiniLM features for the offline intent classifier: what a message *means*, not which words it uses.

Bag-of-words features miss paraphrases ("my phone got snatched" never says "stolen"); the MiniLM sentence
embedding we already ship for the knowledge base puts them next to the training phrases that do. A second
logistic regression, next to the TF-IDF one in ``nlu.py``, reads:

- the message's embedding itself (384 numbers), and
- per intent, the highest cosine similarity to that intent's training phrases (nearest neighbour; for a
  training phrase its own row is left out, so the model learns how much a *new* phrasing resembles them).

The training phrases' embeddings and the fitted weights are cached on disk next to the embedder's model
files, keyed by the embedder, the phrases and their labels (fitting is deterministic), so a start after the
first costs one file read. Without an embedder (missing
package, failed export) the classifier falls back to its lexical features alone.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)
EMBEDDING_WEIGHT = 1.0  # scale of the embedding block
NEIGHBOUR_WEIGHT = 2.0  # scale of the nearest-neighbour block
FIT_VERSION = "1"  # bump when the features or the classifier's settings change (the cache key)


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def load_encoder() -> Encoder | None:
    """The process-wide MiniLM embedder, or None when it cannot be loaded here."""
    try:
        from copilot.knowledge.embedder import get_embedder

        return get_embedder()
    except Exception as error:  # noqa: BLE001 - the lexical classifier still works without it
        log.warning("nlu_embedder_unavailable: %s", type(error).__name__)
        return None


def _cache_file(encoder: Encoder, texts: list[str], labels: list[str]) -> Path:
    digest = hashlib.sha256("\x00".join([encoder.name, FIT_VERSION, *texts, *labels]).encode()).hexdigest()[:20]
    home = Path(getattr(encoder, "file", "") or Path.home() / ".cache" / "copilot" / "models" / "x").parent
    return home / f"nlu-semantic-{digest}.npz"


def _load(path: Path, rows: int) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as saved:
            cached = {key: saved[key] for key in ("examples", "coef", "intercept")}
    except (OSError, ValueError, KeyError):
        return None
    return cached if cached["examples"].shape[0] == rows else None


def _save(path: Path, **arrays: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp.npz")
        np.savez(temporary, **arrays)  # type: ignore[arg-type]
        temporary.replace(path)
    except OSError:
        pass  # a read-only cache only costs the next start the same few seconds


def _unit(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.maximum(norms, 1e-9)  # type: ignore[no-any-return]


class SemanticModel:
    """A logistic regression on [embedding, per-intent nearest-neighbour similarity] of a message."""

    def __init__(self, encoder: Encoder, texts: list[str], labels: list[str], classes: list[str]) -> None:
        self.encoder = encoder
        names = np.asarray(labels)
        self.members = [np.flatnonzero(names == intent) for intent in classes]
        path = _cache_file(encoder, texts, labels)
        cached = _load(path, len(texts))
        if cached is not None:
            self.examples, self.coef, self.intercept = cached["examples"], cached["coef"], cached["intercept"]
            return
        self.examples = _unit(encoder.encode(texts, batch_size=64))
        similarities = self.examples @ self.examples.T
        np.fill_diagonal(similarities, -1.0)  # leave each phrase out of its own neighbours
        classifier = LogisticRegression(C=4.0, max_iter=2000, random_state=0).fit(
            self._rows(self.examples, similarities), labels)
        assert [str(c) for c in classifier.classes_] == classes
        self.coef = np.asarray(classifier.coef_, dtype=np.float64)
        self.intercept = np.asarray(classifier.intercept_, dtype=np.float64)
        _save(path, examples=self.examples, coef=self.coef, intercept=self.intercept)

    def _rows(self, vectors: np.ndarray, similarities: np.ndarray) -> np.ndarray:
        neighbours = np.stack([similarities[:, rows].max(axis=1) for rows in self.members], axis=1)
        return np.hstack([EMBEDDING_WEIGHT * vectors, NEIGHBOUR_WEIGHT * neighbours]).astype(np.float64)

    def row(self, text: str) -> np.ndarray:
        vector = _unit(self.encoder.encode([text]))
        return self._rows(vector, vector @ self.examples.T)[0]  # type: ignore[no-any-return]

    def probabilities(self, text: str) -> np.ndarray:
        """The fitted model's ``predict_proba`` for one message, as plain numpy."""
        scores = self.intercept + self.coef @ self.row(text)
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()  # type: ignore[no-any-return]
