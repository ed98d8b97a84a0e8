"""Hybrid knowledge-base retrieval: BM25 (``bm25s``) + dense MiniLM embeddings, fused per article.

Usage::

    idx = KnowledgeIndex()
    idx.build([KbDocument(id="kb1", title="Reset your password", text="...")])
    resp = idx.query("forgot my password")          # hits + calibrated confidence
    resp.answerable, resp.confidence, resp.hits[0].doc_id
    idx.search("forgot my password", k=5)           # just the hits

Scoring
  * every document is chunked (:mod:`copilot.knowledge.chunking`); each chunk's index text
    carries the article title and section heading;
  * BM25 over chunk tokens and cosine similarity over normalised chunk embeddings;
  * the dense article score is ``TITLE_WEIGHT * cos(query, title) + (1 - TITLE_WEIGHT) * mean chunk
    cosine``; BM25 chunk scores are max-pooled per article; the two are then fused (normalised score blend by default,
    reciprocal-rank fusion available), giving one :class:`SearchHit` per article with its best
    passages;
  * a logistic-regression confidence (coefficients in ``calibration.json``, fitted on the dev
    split only — see ``python -m copilot.eval calibrate``) decides ``answerable``.

Persistence
  ``save(dir)`` writes ``dir/<model>__<chunker-version>/`` (documents, chunks, embedding matrix)
  and an embedding cache ``dir/embcache__<model>.npz`` keyed by sha256(model name, chunk text).
  ``KnowledgeIndex.load(dir)`` restores both; a later ``build``/``upsert`` only embeds chunks whose
  text is not in the cache (:attr:`KnowledgeIndex.embeddings_computed` counts the new ones).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from pydantic import BaseModel, Field

from .chunking import CHUNKER_VERSION, Chunk, chunk_document
from .embedder import AnyEmbedder, get_embedder, text_key

__all__ = [
    "KbDocument", "SearchHit", "SearchResponse", "KnowledgeIndex", "CALIBRATION_PATH", "tokenize",
]

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
INDEX_FORMAT = 1
METHODS = ("hybrid", "bm25", "dense")

# Fusion settings (tuned on the dev split only; see bench/bench_retrieval.py).
FUSION = "blend"        # "blend" (normalised score blend) or "rrf"
BLEND_ALPHA = 0.95      # weight of the dense article score in the blend; 1-alpha for max-normalised BM25
RRF_K = 60
TITLE_WEIGHT = 0.6      # dense article score = w * cos(query, title) + (1-w) * mean cos(query, chunks)
# The hybrid ranks best, but the dense confidence model separates "answerable" from "not in the KB"
# better on the dev split (answered 0.906 vs 0.900 at the same 0.951 rejection), so the shipped
# hybrid ranks with the fused score and decides whether to answer with the dense model.
DECISION_MODEL = {"hybrid": "dense"}


class KbDocument(BaseModel):
    id: str
    title: str
    text: str
    url: str | None = None
    updated_at: str | None = None


class SearchHit(BaseModel):
    doc_id: str
    title: str
    url: str | None = None
    score: float
    passages: list[str] = Field(default_factory=list)


class SearchResponse(BaseModel):
    query: str
    method: str
    hits: list[SearchHit]
    confidence: float
    answerable: bool
    threshold: float
    features: dict[str, float] = Field(default_factory=dict)


# --------------------------------------------------------------------------- tokenisation
_STOP = frozenset("""a about above after again against all am an and any are aren't as at be because been
before being below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself just let
me more most my myself no nor not of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those through
to too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves i'm i've i'd it's don't doesn't can't want need like way possible please get""".split())
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[+#]+|(?:['.][a-z0-9]+)*)")


def _stem(w: str) -> str:
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    return w


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, English stop words removed, light suffix stemming."""
    out = []
    for t in _TOKEN_RE.findall(text.lower()):
        t = t.strip(".'")
        if not t or t in _STOP or (len(t) < 2 and not t.isdigit()):
            continue
        out.append(_stem(t))
    return out


# --------------------------------------------------------------------------- calibration
def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    p = Path(path) if path else CALIBRATION_PATH
    if p.exists():
        loaded: dict[str, Any] = json.loads(p.read_text())
        return loaded
    return {}


# Used only when no calibration.json is present: a cosine-only heuristic.
_FALLBACK: dict[str, Any] = {"features": ["d1"], "mean": [0.0], "scale": [1.0], "coef": [15.0], "intercept": -9.0,
             "threshold": 0.5}


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-")


class KnowledgeIndex:
    """Hybrid BM25 + dense index over KB articles, one :class:`SearchHit` per article."""

    def __init__(self, embedder: AnyEmbedder | None = None, *, calibration: dict | str | Path | None = None,
                 fusion: str = FUSION, alpha: float = BLEND_ALPHA, rrf_k: int = RRF_K,
                 model_name: str | None = None) -> None:
        self._embedder = embedder
        self._model_name = model_name  # None -> the embedder's (each backend keys its own cache entries)
        self.fusion = fusion
        self.alpha = alpha
        self.rrf_k = rrf_k
        if isinstance(calibration, dict):
            self.calibration = calibration
        else:
            self.calibration = load_calibration(calibration)
        self.docs: dict[str, KbDocument] = {}
        self.chunks: list[Chunk] = []
        self._doc_ids: list[str] = []
        self._doc_starts = np.zeros(0, dtype=np.int64)
        self._chunk_doc = np.zeros(0, dtype=np.int64)
        self.emb = np.zeros((0, 384), dtype=np.float32)
        self.title_emb = np.zeros((0, 384), dtype=np.float32)
        self._doc_counts = np.zeros(0, dtype=np.float32)
        self._bm25: bm25s.BM25 | None = None
        self.cache: dict[str, np.ndarray] = {}
        #: number of chunk embeddings computed by this index (cache misses) since creation
        self.embeddings_computed = 0

    # ------------------------------------------------------------------ model
    @property
    def embedder(self) -> AnyEmbedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    @property
    def model_name(self) -> str:
        return self._model_name or self.embedder.name

    @property
    def version(self) -> str:
        return f"{_slug(self.model_name)}__{CHUNKER_VERSION}"

    # ------------------------------------------------------------------ building
    def build(self, docs: Iterable[KbDocument]) -> KnowledgeIndex:
        """Replace the whole collection with ``docs`` (cached embeddings are reused)."""
        self.docs = {}
        for d in docs:
            self.docs[d.id] = d
        self._rebuild()
        return self

    def upsert(self, docs: Iterable[KbDocument]) -> KnowledgeIndex:
        """Insert or replace ``docs``; only changed chunks are embedded."""
        for d in docs:
            self.docs[d.id] = d
        self._rebuild()
        return self

    def remove(self, ids: Iterable[str]) -> KnowledgeIndex:
        for i in ids:
            self.docs.pop(i, None)
        self._rebuild()
        return self

    def __len__(self) -> int:
        return len(self.docs)

    def _rebuild(self) -> None:
        chunks: list[Chunk] = []
        starts: list[int] = []
        for d in self.docs.values():
            starts.append(len(chunks))
            chunks.extend(chunk_document(d.id, d.title, d.text))
        self.chunks = chunks
        self._doc_ids = list(self.docs)
        self._doc_starts = np.asarray(starts, dtype=np.int64)
        self._chunk_doc = np.zeros(len(chunks), dtype=np.int64)
        for i, s in enumerate(starts):
            self._chunk_doc[s:] = i
        self.emb = self._embed_chunks([c.index_text for c in chunks])
        self.title_emb = self._embed_chunks([d.title or d.id for d in self.docs.values()])
        self._doc_counts = np.diff(np.append(self._doc_starts, len(chunks))).astype(np.float32)
        if chunks:
            self._bm25 = bm25s.BM25()
            self._bm25.index([tokenize(c.index_text) or ["_empty_"] for c in chunks], show_progress=False)
        else:
            self._bm25 = None

    def _embed_chunks(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(self.model_name, t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items())
        if missing:
            vecs = self.embedder.encode([t for _, t in missing])
            for (k, _), v in zip(missing, vecs, strict=True):
                self.cache[k] = v
            self.embeddings_computed += len(missing)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.cache[k] for k in keys]).astype(np.float32)

    # ------------------------------------------------------------------ scoring
    def _raw_scores(self, query: str, qvec: np.ndarray | None = None):
        """Chunk-level dense and BM25 scores plus doc-level max-pooled ones."""
        n = len(self.chunks)
        if qvec is None:
            qvec = self.embedder.encode([query])[0]
        dense_c = self.emb @ qvec if n else np.zeros(0, dtype=np.float32)
        toks = tokenize(query)
        if toks and self._bm25 is not None:
            bm25_c = np.asarray(self._bm25.get_scores(toks), dtype=np.float32)
        else:
            bm25_c = np.zeros(n, dtype=np.float32)
        if n:
            title_d = self.title_emb @ qvec
            mean_d = np.add.reduceat(dense_c, self._doc_starts) / self._doc_counts
            dense_d = TITLE_WEIGHT * title_d + (1.0 - TITLE_WEIGHT) * mean_d
            bm25_d = np.maximum.reduceat(bm25_c, self._doc_starts)
            extra = {"title": title_d, "maxchunk": np.maximum.reduceat(dense_c, self._doc_starts)}
        else:
            dense_d = bm25_d = np.zeros(0, dtype=np.float32)
            extra = {"title": dense_d, "maxchunk": dense_d}
        return dense_c, bm25_c, dense_d, bm25_d, len(toks), extra

    def _fuse(self, dense: np.ndarray, bm25: np.ndarray, method: str) -> np.ndarray:
        if method == "dense":
            return dense.astype(np.float64)
        bmax = float(bm25.max()) if bm25.size else 0.0
        bn = bm25 / bmax if bmax > 0 else np.zeros_like(bm25)
        if method == "bm25":
            return bm25.astype(np.float64)
        if self.fusion == "rrf":
            rd = np.empty(len(dense))
            rd[np.argsort(-dense, kind="stable")] = np.arange(1, len(dense) + 1)
            rb = np.empty(len(bm25))
            rb[np.argsort(-bm25, kind="stable")] = np.arange(1, len(bm25) + 1)
            return 1.0 / (self.rrf_k + rd) + 1.0 / (self.rrf_k + rb)
        return self.alpha * dense.astype(np.float64) + (1.0 - self.alpha) * bn

    @staticmethod
    def _features(dense_d, bm25_d, fused, order, ntok, extra) -> dict[str, float]:
        top = int(order[0])
        t_all = extra["title"]
        t_other = np.delete(t_all, top)
        d1 = float(dense_d[top])
        others = np.delete(dense_d, top)
        d_other = float(others.max()) if others.size else 0.0
        b1 = float(bm25_d[top])
        bmax = float(bm25_d.max()) if bm25_d.size else 0.0
        bo = np.delete(bm25_d, top)
        b_other = float(bo.max()) if bo.size else 0.0
        top5 = np.sort(bm25_d)[-5:]
        f1 = float(fused[top])
        f2 = float(fused[order[1]]) if len(order) > 1 else 0.0
        k = min(20, dense_d.size)
        topk = np.partition(dense_d, dense_d.size - k)[dense_d.size - k:] if k else dense_d
        tk = min(20, t_all.size)
        ttop = np.partition(t_all, t_all.size - tk)[t_all.size - tk:] if tk else t_all
        return {
            "d1": d1,
            "d_z": (d1 - float(topk.mean())) / (float(topk.std()) + 1e-6) if k else 0.0,
            "t_z": (float(t_all[top]) - float(ttop.mean())) / (float(ttop.std()) + 1e-6) if tk else 0.0,
            "d_margin": d1 - d_other,
            "b_norm": b1 / max(1, ntok),
            "b_ratio": b1 / bmax if bmax > 0 else 0.0,
            "b_margin": (b1 - b_other) / b1 if b1 > 0 else -1.0,
            "b_share": b1 / float(top5.sum()) if top5.sum() > 0 else 0.0,
            "agree": float(bm25_d.size > 0 and int(np.argmax(bm25_d)) == top and int(np.argmax(dense_d)) == top),
            "f_margin": (f1 - f2),
            "t1": float(t_all[top]),
            "t_margin": float(t_all[top]) - (float(t_other.max()) if t_other.size else 0.0),
            "c1": float(extra["maxchunk"][top]),
        }

    def _confidence(self, feats: dict[str, float], method: str) -> tuple[float, float]:
        cal = (self.calibration.get("methods") or {}).get(method) or _FALLBACK
        z = cal["intercept"]
        for name, mu, sd, c in zip(cal["features"], cal["mean"], cal["scale"], cal["coef"], strict=True):
            z += c * (feats[name] - mu) / (sd or 1.0)
        return _sigmoid(z), float(cal["threshold"])

    # ------------------------------------------------------------------ search
    def query(self, query: str, k: int = 5, method: str = "hybrid", n_passages: int = 2,
              qvec: np.ndarray | None = None) -> SearchResponse:
        """Search and attach the calibrated confidence / answerable decision for the top hit."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if not self.chunks:
            return SearchResponse(query=query, method=method, hits=[], confidence=0.0, answerable=False,
                                  threshold=1.0)
        dense_c, bm25_c, dense_d, bm25_d, ntok, extra = self._raw_scores(query, qvec)
        fused = self._fuse(dense_d, bm25_d, method)
        kk = min(max(k, 2), len(fused))
        part = np.argpartition(-fused, kk - 1)[:kk] if kk < len(fused) else np.arange(len(fused))
        order = part[np.argsort(-fused[part], kind="stable")]
        decide = DECISION_MODEL.get(method, method)
        if decide == method:
            feats = self._features(dense_d, bm25_d, fused, order, ntok, extra)
        else:  # rank with this method, but decide "answer or not" with another method's calibrated model
            other = self._fuse(dense_d, bm25_d, decide)
            part_o = np.argpartition(-other, kk - 1)[:kk] if kk < len(other) else np.arange(len(other))
            feats = self._features(dense_d, bm25_d, other, part_o[np.argsort(-other[part_o], kind="stable")], ntok, extra)
        conf, thr = self._confidence(feats, decide)
        # chunk-level score for choosing passages inside an article
        cb = float(bm25_c.max()) if bm25_c.size else 0.0
        chunk_score = dense_c + (bm25_c / cb if cb > 0 else 0.0) * 0.5
        hits = []
        for di in order[:k]:
            di = int(di)
            s = int(self._doc_starts[di])
            e = int(self._doc_starts[di + 1]) if di + 1 < len(self._doc_starts) else len(self.chunks)
            best = np.argsort(-chunk_score[s:e], kind="stable")[:n_passages] + s
            doc = self.docs[self._doc_ids[di]]
            hits.append(SearchHit(doc_id=doc.id, title=doc.title, url=doc.url, score=float(fused[di]),
                                  passages=[self.chunks[int(j)].body for j in best if self.chunks[int(j)].body]))
        return SearchResponse(query=query, method=method, hits=hits, confidence=conf,
                              answerable=conf >= thr, threshold=thr, features=feats)

    def search(self, query: str, k: int = 5, method: str = "hybrid") -> list[SearchHit]:
        return self.query(query, k=k, method=method).hits

    def confidence(self, query: str, method: str = "hybrid") -> float:
        return self.query(query, k=2, method=method).confidence

    def answerable(self, query: str, method: str = "hybrid") -> bool:
        return self.query(query, k=2, method=method).answerable

    # ------------------------------------------------------------------ persistence
    def _cache_path(self, root: Path) -> Path:
        return root / f"embcache__{_slug(self.model_name)}.npz"

    def save(self, directory: str | Path) -> Path:
        """Write the index to ``directory/<model>__<chunker>/`` plus the shared embedding cache."""
        root = Path(directory)
        vdir = root / self.version
        vdir.mkdir(parents=True, exist_ok=True)
        with (vdir / "docs.jsonl").open("w") as f:
            for d in self.docs.values():
                f.write(d.model_dump_json() + "\n")
        np.save(vdir / "embeddings.npy", self.emb)
        (vdir / "meta.json").write_text(json.dumps({
            "format": INDEX_FORMAT, "model": self.model_name, "chunker": CHUNKER_VERSION,
            "docs": len(self.docs), "chunks": len(self.chunks), "fusion": self.fusion, "alpha": self.alpha,
        }, indent=2))
        # cache: keep the entries of the current chunks (plus whatever was already on disk)
        cache = dict(self._read_cache(root))
        cache.update(self.cache)
        keys = sorted(cache)
        mat = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)
        tmp = self._cache_path(root).with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.asarray(keys), vectors=mat.astype(np.float32))
        tmp.replace(self._cache_path(root))
        return vdir

    def _read_cache(self, root: Path) -> dict[str, np.ndarray]:
        p = self._cache_path(root)
        if not p.exists():
            return {}
        with np.load(p, allow_pickle=False) as z:
            return dict(zip(z["keys"].tolist(), z["vectors"], strict=True))

    def load_cache(self, directory: str | Path) -> int:
        """Merge a saved embedding cache into this index; returns the number of entries loaded."""
        c = self._read_cache(Path(directory))
        self.cache.update(c)
        return len(c)

    @classmethod
    def load(cls, directory: str | Path, embedder: AnyEmbedder | None = None, **kwargs) -> KnowledgeIndex:
        """Restore a saved index. If the saved version (model/chunker) differs, documents are
        re-chunked and only chunks missing from the embedding cache are re-embedded."""
        idx = cls(embedder, **kwargs)
        root = Path(directory)
        idx.load_cache(root)
        vdir = root / idx.version
        if not (vdir / "docs.jsonl").exists():
            candidates = sorted(root.glob("*/docs.jsonl"))
            if not candidates:
                return idx
            vdir = candidates[-1].parent
        docs = [KbDocument.model_validate_json(line) for line in (vdir / "docs.jsonl").read_text().splitlines()
                if line.strip()]
        idx.build(docs)  # chunking + BM25 are cheap; embeddings come from the cache
        return idx
