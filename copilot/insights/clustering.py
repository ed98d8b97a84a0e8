"""Group short texts by meaning: MiniLM sentence vectors + agglomerative clustering (scikit-learn).

Both insight reports use it: knowledge gaps (declined or thumbed-down questions) and recurring issues
(recent tickets and conversations). The vectors come from the process-wide embedder the knowledge
index already loaded (:func:`copilot.knowledge.embedder.get_embedder`), so no second model is read.

Average linkage with a cosine distance threshold needs no number of clusters up front: two groups
merge while the mean distance between their members stays under the threshold, so a topic asked ten
ways stays together and a one-off question stays alone. The threshold was chosen on the dev questions
in ``tests/insights/data`` (docs/insights-gaps.md has the figures on dev and held-out).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering

Embed = Callable[[list[str]], np.ndarray]

#: Mean cosine distance under which two groups of questions are one topic (average linkage).
GAP_DISTANCE = 0.6
#: Tickets carry more words (subject + description) and share boilerplate; they need a tighter bound.
TICKET_DISTANCE = 0.5
MAX_TEXT_CHARS = 400


_MEMO: dict[str, np.ndarray] = {}
MEMO_SIZE = 50_000  # texts kept (about 75 MB of vectors): a daily job re-reads mostly the same baseline


def default_embed(texts: list[str]) -> np.ndarray:
    """L2-normalised MiniLM vectors from the process-wide embedder (loaded once, shared with the KB);
    texts seen before in this process are not embedded again."""
    from copilot.knowledge.embedder import get_embedder

    missing = list(dict.fromkeys(t for t in texts if t not in _MEMO))
    if missing:
        vectors = np.asarray(get_embedder().encode(missing), dtype=np.float32)
        if len(_MEMO) + len(missing) > MEMO_SIZE:
            _MEMO.clear()
        _MEMO.update(zip(missing, vectors, strict=True))
        if any(t not in _MEMO for t in texts):  # more new texts than the memo holds
            return np.asarray(get_embedder().encode(texts), dtype=np.float32)
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([_MEMO[t] for t in texts])


def tidy(text: str) -> str:
    """One line, no markup, at most ``MAX_TEXT_CHARS``: what the embedder should see of a text."""
    text = re.sub(r"<[^>]+>", " ", text or "")
    return re.sub(r"\s+", " ", text).strip()[:MAX_TEXT_CHARS]


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def cluster_labels(vectors: np.ndarray, distance: float) -> list[int]:
    """A cluster label per row (0, 1, …), by average-linkage agglomeration on cosine distance."""
    count = len(vectors)
    if count == 0:
        return []
    if count == 1:
        return [0]
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                    distance_threshold=distance)
    return [int(label) for label in model.fit_predict(normalise(vectors))]


def groups(labels: Sequence[int]) -> list[list[int]]:
    """Row indexes per cluster, biggest first (ties: the cluster whose first row comes first)."""
    members: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        members.setdefault(label, []).append(row)
    return sorted(members.values(), key=lambda rows: (-len(rows), rows[0]))


def central_order(vectors: np.ndarray, rows: Sequence[int]) -> list[int]:
    """``rows`` from the most to the least typical of their cluster (cosine to the centroid)."""
    block = normalise(vectors[list(rows)])
    centre = block.mean(axis=0)
    scores = block @ centre
    return [rows[i] for i in np.argsort(-scores, kind="stable")]


def centroid(vectors: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    centre: np.ndarray = normalise(vectors[list(rows)]).mean(axis=0)
    return np.asarray(centre / (float(np.linalg.norm(centre)) or 1.0))


def purity(labels: Sequence[int], truth: Sequence[str]) -> float:
    """Share of items whose cluster's majority topic is their own topic (1.0: no cluster mixes topics)."""
    if not labels:
        return 1.0
    total = 0
    for rows in groups(labels):
        topics = [truth[r] for r in rows]
        total += max(topics.count(t) for t in set(topics))
    return total / len(labels)
