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
    cosine``; a small KB (``SENTENCE_MAX_CHUNKS``) also embeds every sentence and list step and uses
    ``SMALL_WEIGHTS`` of the title, best chunk and best sentence cosines instead; BM25 chunk scores are max-pooled per article; the two are then fused (normalised score blend by default,
    reciprocal-rank fusion available), giving one :class:`SearchHit` per article with its best
    passages;
  * a logistic-regression confidence decides ``answerable``: the shipped one (``calibration.json``,
    fitted on the benchmark's dev split — see ``python -m copilot.eval calibrate``) where it meets the
    targets on the KB's own pseudo-queries, otherwise the one this index fitted on them at build time
    (:meth:`KnowledgeIndex.calibrate`, saved as ``self_calibration.json``); a lower
    ``plausible_threshold`` marks hits worth suggesting;
  * the query is spelling-corrected against the KB's words (words the model's vocabulary knows are left
    alone: :data:`SPELL_MIN_LEN`) and expanded with shipped synonyms for BM25.

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

from .chunking import CHUNKER_VERSION, Chunk, chunk_document, sentence_units, split_units
from .embedder import AnyEmbedder, get_embedder, model_words, text_key
from .lexicon import OUT_OF_SCOPE, STOP_WORDS, synonym_map

__all__ = [
    "KbDocument", "SearchHit", "SearchResponse", "KnowledgeIndex", "CALIBRATION_PATH", "calibration_path",
    "tokenize",
]

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


def calibration_path(model_name: str | None = None) -> Path:
    """The shipped confidence model for an embedding backend's vectors: ``calibration.json`` for the
    fp32 vectors (torch, onnx), ``calibration-int8.json`` for the int8 ones (fitted on those vectors)."""
    if model_name and model_name.endswith("+int8"):
        return CALIBRATION_PATH.with_name("calibration-int8.json")
    return CALIBRATION_PATH
INDEX_FORMAT = 1
METHODS = ("hybrid", "bm25", "dense")

# Fusion settings (tuned on the dev split only; see bench/bench_retrieval.py).
FUSION = "blend"        # "blend" (normalised score blend) or "rrf"
BLEND_ALPHA = 0.95      # weight of the dense article score in the blend; 1-alpha for max-normalised BM25
RRF_K = 60
TITLE_WEIGHT = 0.6      # dense article score = w * cos(query, title) + m * max chunk cos + (1-w-m) * mean chunk cos
MAX_WEIGHT = 0.0
# A small KB (at most SENTENCE_MAX_CHUNKS chunks; Acme's 28 articles have 73) also embeds each sentence and
# list step (:func:`sentence_units`): a few hundred short texts, well under a second. Its dense article score
# is then SMALL_WEIGHTS = (title, best chunk, best sentence) weights; tuned on acme-kb-dev only (recall@1
# 0.811 -> 0.874 with the BM25 blend below). A big KB (the 1,007-article benchmark) keeps the weights above:
# a sentence pass over its 5,931 chunks would about double the cold build.
SENTENCE_MAX_CHUNKS = 600
# Spelling correction touches only words of at least SPELL_MIN_LEN letters that are neither in the KB nor real
# words (:func:`model_words`): one edit away from a small KB's vocabulary, "weather" became "whether", "iPad"
# "paid" and "sound" "found" (acme-kb-dev), and a 4-letter word has too many neighbours ("docs" -> "docks").
SPELL_MIN_LEN = 5
SMALL_WEIGHTS = (0.2, 0.3, 0.5)
SMALL_ALPHA = 0.9
# Late interaction (small KBs): the contextual vector of every word piece of the sentence units is kept, and an
# article's late score is the mean, over the question's content word pieces, of each one's best cosine to a piece
# of the article (MaxSim, as in ColBERT, on the bundled MiniLM's token outputs). The dense article score becomes
# (dense + LATE_WEIGHT * late) / (1 + LATE_WEIGHT). A question word the article lacks ("double-sided" against the
# printing article) then pulls the score down, where one pooled vector per sentence blurs it.
LATE_WEIGHT = 1.0
LATE_SHARE = 0.75  # the best 3/4 of the question's pieces count: a long question's asides ("my payslip PDF") do not sink it
# The hybrid ranks best, but the dense confidence model separates "answerable" from "not in the KB"
# better on the dev split (answered 0.906 vs 0.900 at the same 0.951 rejection), so the shipped
# hybrid ranks with the fused score and decides whether to answer with the dense model.
DECISION_MODEL = {"hybrid": "dense"}

# Self-calibration (issue 14): the index fits its own decision on pseudo-queries made from its articles
# and the shipped out-of-scope list, and keeps it next to the index (``self_calibration.json``).
# Dense features only: lexical ones separate pseudo-queries (made of the articles' own words) far better
# than real, paraphrased questions, so a model fitted on them would not transfer (acme-kb-dev).
SELF_FEATURES = ("c1", "d1", "d_margin", "d_z", "t1", "f_margin")
SELF_MAX_DOCS = 160          # articles sampled (deterministically) for pseudo-queries on a big KB
# A KB category with more than LIBRARY_MIN_ARTICLES articles is a library (imported vendor documentation, a
# product manual). When a KB has both, the company's own articles (every smaller category) and the libraries are
# scored and calibrated apart, and the own articles answer first: in the KB `make run` builds, 913 imported
# Microsoft articles otherwise outrank Acme's own 28 for 54 of the 175 answerable acme-kb-dev questions and make
# the decision fitted on the mixed pseudo-queries so strict that only 0.126 of them were answered (1.0 precise).
# Apart: 0.526 answered at 0.989, as on Acme's articles alone (docs/knowledge.md, "Fourth pass"). Splitting a
# coherent KB into its small folders costs precision instead (0.989 -> 0.94-0.97), hence only libraries apart.
LIBRARY_MIN_ARTICLES = 100
# Targets on the pseudo-queries (the same for every KB; chosen on acme-kb-dev and the benchmark's dev split):
# a near miss answered confidently is a wrong answer, so near misses are held to the same 0.97 as the rest.
CONFIDENT_TARGETS = {"rejection": 0.97, "near_rejection": 0.97, "precision": 0.97}
PLAUSIBLE_TARGETS = {"rejection": 0.95}  # out-of-scope questions get no suggestions


class KbDocument(BaseModel):
    id: str
    title: str
    text: str
    url: str | None = None
    updated_at: str | None = None
    #: the KB category the article is filed under (None: not known); see :data:`LIBRARY_MIN_ARTICLES`
    collection: str | None = None


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
    plausible_threshold: float = 1.0
    decision: str = "shipped"
    features: dict[str, float] = Field(default_factory=dict)
    #: which part of a split KB answered: "own" articles or "library" (None: the KB is one collection)
    collection: str | None = None


# --------------------------------------------------------------------------- tokenisation
_STOP = STOP_WORDS
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[+#]+|(?:['.][a-z0-9]+)*)")
_SYNONYMS = synonym_map()


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


def _apply_model(model: dict[str, Any], feats: dict[str, float]) -> float:
    z = model["intercept"]
    for name, mu, sd, c in zip(model["features"], model["mean"], model["scale"], model["coef"], strict=True):
        z += c * (feats.get(name, 0.0) - mu) / (sd or 1.0)
    return _sigmoid(z)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 30) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression by Newton steps (x already standardised)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    pos = max(1, int(y.sum()))
    neg = max(1, n - pos)
    sw = np.where(y > 0, n / (2 * pos), n / (2 * neg))
    w = np.zeros(d + 1)
    reg = np.eye(d + 1) * l2
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        g = xb.T @ (sw * (p - y)) + reg @ w
        h = (xb * (sw * p * (1 - p))[:, None]).T @ xb + reg + np.eye(d + 1) * 1e-6
        step = np.linalg.solve(h, g)
        w -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return w[:-1], float(w[-1])


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n+", text) if len(s.split()) >= 4]


def _keep(words: list[str], key: str, share: float) -> list[str]:
    """A deterministic subset of ``words`` (about ``share`` of them, order kept)."""
    import hashlib
    out = [w for i, w in enumerate(words)
           if int(hashlib.sha256(f"{key}|{i}|{w}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share]
    return out or words[:1]


def pseudo_queries(doc: KbDocument, chunks: list[Chunk], limit: int = 6) -> list[str]:
    """Questions an employee might ask that this article answers, made from the article itself:
    its title, headings and first sentences, and paraphrase-like rewrites of them (content words
    only, some dropped, synonyms swapped in). Deterministic."""
    out: list[str] = []
    title = doc.title.strip()
    content = lambda t: [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", t) if w.lower() not in _STOP]  # noqa: E731
    if title:
        out.append(" ".join(_keep(content(title), doc.id + "t", 0.7)).lower())
        out.append("how do i " + " ".join(content(title)).lower())
    heads = []
    for c in chunks:
        if c.heading and c.heading not in heads and c.heading.lower() != title.lower():
            heads.append(c.heading)
    for h in heads[:2]:
        out.append(f"{h.lower()} {' '.join(_keep(content(title), doc.id + h, 0.4)).lower()}")
    firsts = [s for c in chunks[:3] for s in _sentences(c.body)[:2]]
    for i, sent in enumerate(firsts[:4]):
        words = [w.lower() for w in content(sent)]
        kept = _keep(words, f"{doc.id}s{i}", 0.5)[:8]
        kept = [(_SYNONYMS[w][0] if w in _SYNONYMS and j % 2 == 0 else w) for j, w in enumerate(kept)]
        out.append(" ".join(kept))
    return list(dict.fromkeys(q for q in out if q))[:limit]


def _rates(conf: np.ndarray, kind: np.ndarray, right: np.ndarray, thr: float) -> dict[str, float]:
    """Pseudo-query rates at ``thr``: answered and precision of the article's own questions, and the
    rejection of the out-of-scope list and of the near misses (a question whose article is gone)."""
    ans = conf >= thr
    pos = kind == "pos"
    answered = ans & pos
    return {"answered": round(float(answered.sum() / max(1, pos.sum())), 4),
            "precision": round(float((answered & right).sum() / max(1, answered.sum())), 4),
            "rejection": round(float((~ans & (kind == "oos")).sum() / max(1, (kind == "oos").sum())), 4),
            "near_rejection": round(float((~ans & (kind == "near")).sum() / max(1, (kind == "near").sum())), 4),
            "threshold": round(thr, 4)}


def _meets(r: dict[str, float], targets: dict[str, float]) -> bool:
    return all(r[k] >= v for k, v in targets.items())


def _pick_threshold(conf: np.ndarray, kind: np.ndarray, right: np.ndarray,
                    targets: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The lowest threshold meeting the targets on the pseudo-queries (the most answers)."""
    best = float(conf.max()) + 1e-6 if conf.size else 1.0
    for thr in sorted(set(np.round(conf, 6).tolist()), reverse=True):
        r = _rates(conf, kind, right, thr)
        if _meets(r, targets):
            best = thr
        elif r["rejection"] < targets.get("rejection", 0.0) or r["near_rejection"] < targets.get("near_rejection", 0.0):
            break
    return float(best), _rates(conf, kind, right, float(best))


# Used only when no calibration.json is present: a cosine-only heuristic.
_FALLBACK: dict[str, Any] = {"features": ["d1"], "mean": [0.0], "scale": [1.0], "coef": [15.0], "intercept": -9.0,
             "threshold": 0.5}


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-")


class KnowledgeIndex:
    """Hybrid BM25 + dense index over KB articles, one :class:`SearchHit` per article."""

    def __init__(self, embedder: AnyEmbedder | None = None, *, calibration: dict | str | Path | None = None,
                 fusion: str = FUSION, alpha: float = BLEND_ALPHA, rrf_k: int = RRF_K,
                 model_name: str | None = None, libraries: frozenset[str] = frozenset()) -> None:
        self._embedder = embedder
        self.libraries = libraries  # categories searched after the others (:data:`LIBRARY_MIN_ARTICLES`)
        self._model_name = model_name  # None -> the embedder's (each backend keys its own cache entries)
        self.fusion = fusion
        self.alpha = alpha
        self.rrf_k = rrf_k
        # None: the shipped model for this index's embedding backend, resolved at first use
        self._calibration: dict[str, Any] | None = (
            calibration if isinstance(calibration, dict)
            else load_calibration(calibration) if calibration is not None else None)
        self.docs: dict[str, KbDocument] = {}
        self.chunks: list[Chunk] = []
        self._doc_ids: list[str] = []
        self._doc_starts = np.zeros(0, dtype=np.int64)
        self._chunk_doc = np.zeros(0, dtype=np.int64)
        self.emb = np.zeros((0, 384), dtype=np.float32)
        self.title_emb = np.zeros((0, 384), dtype=np.float32)
        self._doc_counts = np.zeros(0, dtype=np.float32)
        self.unit_emb = np.zeros((0, 384), dtype=np.float32)   # sentence units (small KBs only)
        self._unit_doc = np.zeros(0, dtype=np.int64)
        self._unit_starts: np.ndarray | None = None
        self._unit_texts: list[str] = []
        self.unit_tok = np.zeros((0, 384), dtype=np.float32)  # word-piece vectors of the units (late interaction)
        self._tok_starts: np.ndarray | None = None             # first row of each article in unit_tok
        self.token_cache: dict[str, np.ndarray] = {}           # text key -> its word-piece vectors (float16)
        self._bm25: bm25s.BM25 | None = None
        self.cache: dict[str, np.ndarray] = {}
        self._vocab: dict[str, int] = {}             # stemmed token -> number of chunks containing it
        self._surface: dict[str, str] = {}           # surface word (lower case) -> its stem, KB words only
        self._deletes: dict[str, list[str]] = {}     # one-deletion variants -> KB surface words (spelling)
        self._doc_tokens: list[frozenset[str]] = []
        self._title_tokens: list[frozenset[str]] = []
        #: the decision fitted on this KB's own pseudo-queries (None: shipped model only)
        self.self_calibration: dict[str, Any] | None = None
        self._calibration_rows: list[tuple[dict[str, float], dict[str, float], int, str]] = []
        #: number of chunk embeddings computed by this index (cache misses) since creation
        self.embeddings_computed = 0
        #: [own articles, libraries] when the KB has both (:data:`LIBRARY_MIN_ARTICLES`), each a whole index
        self.parts: list[KnowledgeIndex] = []
        self.is_part = False

    # ------------------------------------------------------------------ model
    @property
    def embedder(self) -> AnyEmbedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    @property
    def calibration(self) -> dict[str, Any]:
        """The shipped confidence model (fitted on the benchmark with this backend's vectors)."""
        if self._calibration is None:
            self._calibration = load_calibration(calibration_path(self.model_name))
        return self._calibration

    @calibration.setter
    def calibration(self, value: dict[str, Any]) -> None:
        self._calibration = value

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
        self._embed_sentences(chunks)
        self._doc_counts = np.diff(np.append(self._doc_starts, len(chunks))).astype(np.float32)
        chunk_tokens = [tokenize(c.index_text) for c in chunks]
        if chunks:
            self._bm25 = bm25s.BM25()
            self._bm25.index([t or ["_empty_"] for t in chunk_tokens], show_progress=False)
        else:
            self._bm25 = None
        self._build_vocabulary(chunks, chunk_tokens)
        self.parts = [self._part(group) for group in self._collections()]
        self.self_calibration = self.calibrate() if self.docs and not self.parts else None

    def _collections(self) -> list[list[KbDocument]]:
        """[own articles, libraries] when the KB has both (:data:`LIBRARY_MIN_ARTICLES`, ``libraries``), else []."""
        if self.is_part:
            return []
        sizes: dict[str, int] = {}
        for d in self.docs.values():
            if d.collection:
                sizes[d.collection] = sizes.get(d.collection, 0) + 1
        big = {name for name, n in sizes.items() if n > LIBRARY_MIN_ARTICLES or name in self.libraries}
        own = [d for d in self.docs.values() if d.collection not in big]
        library = [d for d in self.docs.values() if d.collection in big]
        return [own, library] if own and library else []

    def _part(self, docs: list[KbDocument]) -> KnowledgeIndex:
        """A whole index over ``docs`` (its own scoring and decision) sharing this one's model and cache."""
        part = KnowledgeIndex(self.embedder, calibration=self._calibration, fusion=self.fusion, alpha=self.alpha,
                              rrf_k=self.rrf_k, model_name=self._model_name)
        part.cache = self.cache
        part.token_cache = self.token_cache
        part.is_part = True  # a part is never split again (its libraries would be its own, by size)
        part.build(docs)
        self.embeddings_computed += part.embeddings_computed
        return part

    def embedded_texts(self) -> set[str]:
        """Every text this index embeds: chunks, article titles and, in a small KB, sentence units."""
        texts = {c.index_text for c in self.chunks} | {d.title or d.id for d in self.docs.values()}
        return texts.union(self._unit_texts, *(p.embedded_texts() for p in self.parts))

    @property
    def sentence_level(self) -> bool:
        """Whether this index scores articles by their sentences too (a small KB)."""
        return self.unit_emb.shape[0] > 0

    def _embed_sentences(self, chunks: list[Chunk]) -> None:
        units: list[str] = []
        owner: list[int] = []
        if 0 < len(chunks) <= SENTENCE_MAX_CHUNKS:
            for ci, c in enumerate(chunks):
                for u in sentence_units(c):
                    units.append(u)
                    owner.append(int(self._chunk_doc[ci]))
        # every article needs one unit for the per-article maximum: its title stands in when it has none
        missing = sorted(set(range(len(self._doc_ids))) - set(owner)) if units else []
        for di in missing:
            units.append(self.docs[self._doc_ids[di]].title or self._doc_ids[di])
            owner.append(di)
        order = np.argsort(np.asarray(owner, dtype=np.int64), kind="stable")
        self._unit_texts = [units[i] for i in order]
        self.unit_emb = self._embed_chunks(self._unit_texts) if units else np.zeros((0, 384), np.float32)
        self._unit_doc = np.asarray(owner, dtype=np.int64)[order]
        self._unit_starts = np.searchsorted(self._unit_doc, np.arange(len(self._doc_ids))) if units else None
        self.unit_tok, self._tok_starts = np.zeros((0, 384), np.float32), None
        if units and hasattr(self.embedder, "encode_tokens"):
            mats = self._token_vectors(self._unit_texts, "unit")
            lengths = np.asarray([len(m) for m in mats], dtype=np.int64)
            unit_rows = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            self.unit_tok = np.concatenate(mats).astype(np.float32)
            self._tok_starts = unit_rows[self._unit_starts]

    def _token_vectors(self, texts: list[str], kind: str, *, store: bool = True) -> list[np.ndarray]:
        """Contextual word-piece vectors of ``texts`` through :attr:`token_cache`: every piece of a sentence unit
        (``kind`` "unit"), the content pieces of a question ("query": no stop words, no punctuation). ``store``:
        keep the misses cached (not a live question's)."""
        keys = [text_key(f"{self.model_name}\x00{kind}", t) for t in texts]
        found = {k: self.token_cache[k] for k in keys if k in self.token_cache}
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if missing:
            encoded = self.embedder.encode_tokens([t for _, t in missing])
            for (k, _), (pieces, vecs) in zip(missing, encoded, strict=True):
                if kind == "query" and (keep := [i for i, p in enumerate(pieces) if p.startswith("##") or (
                        p not in _STOP and any(ch.isalnum() for ch in p))]):
                    vecs = vecs[keep]
                found[k] = vecs.astype(np.float16)
            if store:
                self.token_cache.update((k, found[k]) for k, _ in missing)
        return [found[k].astype(np.float32) for k in keys]

    def _late_scores(self, query: str) -> np.ndarray | None:
        """Per article: each content piece of the question's best cosine to one of the article's pieces, averaged
        over the question's best-matched :data:`LATE_SHARE` of pieces."""
        if self._tok_starts is None or not self.unit_tok.size:
            return None
        q = self._token_vectors([query], "query", store=False)[0]
        if not q.size:
            return None
        best = np.maximum.reduceat(q @ self.unit_tok.T, self._tok_starts, axis=1)
        keep = max(1, int(np.ceil(LATE_SHARE * best.shape[0])))
        best = -np.sort(-best, axis=0)[:keep]
        return np.asarray(best.mean(axis=0), dtype=np.float32)

    # ------------------------------------------------------------------ vocabulary, spelling, synonyms
    def _build_vocabulary(self, chunks: list[Chunk], chunk_tokens: list[list[str]]) -> None:
        vocab: dict[str, int] = {}
        for toks in chunk_tokens:
            for t in set(toks):
                vocab[t] = vocab.get(t, 0) + 1
        surface: dict[str, str] = {}
        for c in chunks:
            for w in _TOKEN_RE.findall(c.index_text.lower()):
                if w.isalpha() and len(w) >= 4 and w not in _STOP:
                    surface.setdefault(w, _stem(w))
        deletes: dict[str, list[str]] = {}
        for w in surface:
            for i in range(len(w)):
                deletes.setdefault(w[:i] + w[i + 1:], []).append(w)
        self._vocab, self._surface, self._deletes = vocab, surface, deletes
        doc_tokens: list[frozenset[str]] = []
        for i in range(len(self._doc_ids)):
            s = int(self._doc_starts[i])
            e = int(self._doc_starts[i + 1]) if i + 1 < len(self._doc_starts) else len(chunks)
            doc_tokens.append(frozenset(t for toks in chunk_tokens[s:e] for t in toks))
        self._doc_tokens = doc_tokens
        self._title_tokens = [frozenset(tokenize(d.title)) for d in self.docs.values()]

    def knows_word(self, word: str) -> bool:
        """Whether ``word`` (any case, stemmed like the index's tokens) occurs in the KB's articles."""
        return _stem(word.lower()) in self._vocab

    def correct_spelling(self, query: str) -> str:
        """Replace words the KB does not know by a KB word one edit away (the most frequent one)."""
        if not self._surface:
            return query
        known = model_words()

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            w = word.lower()
            if (len(w) < SPELL_MIN_LEN or not w.isalpha() or w in _STOP or _stem(w) in self._vocab
                    or w in _SYNONYMS or w in known):
                return word
            cands = set(self._deletes.get(w, ())) | {c for i in range(len(w))
                                                      for c in self._deletes.get(w[:i] + w[i + 1:], ())}
            cands |= {w[:i] + w[i + 1:] for i in range(len(w))} & self._surface.keys()
            cands = {c for c in cands if abs(len(c) - len(w)) <= 1}
            if not cands:
                return word
            return max(sorted(cands), key=lambda c: self._vocab.get(self._surface[c], 0))

        return re.sub(r"[A-Za-z]+", fix, query)

    @staticmethod
    def expand_synonyms(query: str) -> str:
        """The query plus the synonyms of the words it contains (for BM25 only)."""
        low = query.lower()
        extra = [" ".join(others) for word, others in _SYNONYMS.items()
                 if re.search(r"(?<![a-z0-9])" + re.escape(word) + r"(?![a-z0-9])", low)]
        return query + (" " + " ".join(extra) if extra else "")

    def _embed_chunks(self, texts: list[str], *, count: bool = True) -> np.ndarray:
        """Embeddings of ``texts`` through the cache; ``count``: add the misses to ``embeddings_computed``
        (pseudo-queries for calibration are cached but not counted as chunk embeddings)."""
        keys = [text_key(self.model_name, t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items())
        if missing:
            vecs = self.embedder.encode([t for _, t in missing])
            for (k, _), v in zip(missing, vecs, strict=True):
                self.cache[k] = v
            self.embeddings_computed += len(missing) if count else 0
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.cache[k] for k in keys]).astype(np.float32)

    # ------------------------------------------------------------------ scoring
    def _raw_scores(self, query: str, qvec: np.ndarray | None = None):
        """Chunk-level dense and BM25 scores plus doc-level max-pooled ones."""
        n = len(self.chunks)
        corrected = self.correct_spelling(query)
        if qvec is None:
            qvec = self.embedder.encode([corrected])[0]
        dense_c = self.emb @ qvec if n else np.zeros(0, dtype=np.float32)
        toks = tokenize(corrected)
        expanded = tokenize(self.expand_synonyms(corrected))
        if toks and self._bm25 is not None:
            bm25_c = np.asarray(self._bm25.get_scores(expanded), dtype=np.float32)
        else:
            bm25_c = np.zeros(n, dtype=np.float32)
        if n:
            title_d = self.title_emb @ qvec
            mean_d = np.add.reduceat(dense_c, self._doc_starts) / self._doc_counts
            max_d = np.maximum.reduceat(dense_c, self._doc_starts)
            if self.sentence_level and self._unit_starts is not None:
                unit_d = np.maximum.reduceat(self.unit_emb @ qvec, self._unit_starts)
                wt, wm, wu = SMALL_WEIGHTS
                dense_d = wt * title_d + wm * max_d + wu * unit_d
                late = self._late_scores(corrected)
                if late is not None:
                    dense_d = (dense_d + LATE_WEIGHT * late) / (1.0 + LATE_WEIGHT)
            else:
                dense_d = TITLE_WEIGHT * title_d + MAX_WEIGHT * max_d + (1.0 - TITLE_WEIGHT - MAX_WEIGHT) * mean_d
            bm25_d = np.maximum.reduceat(bm25_c, self._doc_starts)
            extra = {"title": title_d, "maxchunk": max_d}
        else:
            dense_d = bm25_d = np.zeros(0, dtype=np.float32)
            extra = {"title": dense_d, "maxchunk": dense_d}
        extra["tokens"] = toks
        extra["expanded"] = expanded
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
        alpha = SMALL_ALPHA if self.sentence_level and self.alpha == BLEND_ALPHA else self.alpha
        return alpha * dense.astype(np.float64) + (1.0 - alpha) * bn

    def _features(self, dense_d, bm25_d, fused, order, ntok, extra) -> dict[str, float]:
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
            **self._lexical(extra.get("tokens") or [], extra.get("expanded") or [],
                            top + int("skip" in extra and top >= extra["skip"])),
        }

    def _lexical(self, toks: list[str], expanded: list[str], top: int) -> dict[str, float]:
        """KB-relative lexical agreement: how much of the question the KB and the top article know."""
        if not toks:
            return {"cover": 0.0, "top_cover": 0.0, "qt_overlap": 0.0}
        q = set(toks)
        syn = {t: {_stem(o) for o in _SYNONYMS.get(t, ())} for t in q}
        dt = self._doc_tokens[top] if top < len(self._doc_tokens) else frozenset()
        tt = self._title_tokens[top] if top < len(self._title_tokens) else frozenset()
        return {
            "cover": sum(t in self._vocab for t in q) / len(q),
            "top_cover": sum(t in dt or bool(syn[t] & dt) for t in q) / len(q),
            "qt_overlap": sum(t in tt or bool(syn[t] & tt) for t in q) / len(q),
        }

    def _confidence(self, feats: dict[str, float], method: str) -> tuple[float, float]:
        cal = (self.calibration.get("methods") or {}).get(method) or _FALLBACK
        z = cal["intercept"]
        for name, mu, sd, c in zip(cal["features"], cal["mean"], cal["scale"], cal["coef"], strict=True):
            z += c * (feats[name] - mu) / (sd or 1.0)
        return _sigmoid(z), float(cal["threshold"])


    # ------------------------------------------------------------------ self-calibration
    def _both_features(self, dense_d, bm25_d, ntok, extra) -> tuple[dict[str, float], dict[str, float]]:
        """Features of the hybrid ranking (self model) and of the shipped decision's ranking."""
        fused = self._fuse(dense_d, bm25_d, "hybrid")
        f_self = self._features(dense_d, bm25_d, fused, np.argsort(-fused, kind="stable")[:2], ntok, extra)
        other = self._fuse(dense_d, bm25_d, DECISION_MODEL.get("hybrid", "hybrid"))
        f_ship = self._features(dense_d, bm25_d, other, np.argsort(-other, kind="stable")[:2], ntok, extra)
        return f_self, f_ship

    def calibrate(self) -> dict[str, Any] | None:
        """Fit the answer/decline decision on this KB's own pseudo-queries (from its articles) and
        the shipped out-of-scope questions; use it only where the shipped model misses the targets on them."""
        import hashlib
        ids = sorted(self._doc_ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())[:SELF_MAX_DOCS]
        pos_q: list[tuple[str, str]] = []
        for doc_id in ids:
            di = self._doc_ids.index(doc_id)
            s = int(self._doc_starts[di])
            e = int(self._doc_starts[di + 1]) if di + 1 < len(self._doc_starts) else len(self.chunks)
            for q in pseudo_queries(self.docs[doc_id], self.chunks[s:e], 6 if len(ids) < 60 else 3):
                pos_q.append((q, doc_id))
        neg_q = list(OUT_OF_SCOPE)
        texts = [self.correct_spelling(q) for q, _ in pos_q] + [self.correct_spelling(q) for q in neg_q]
        if len(pos_q) < 10:
            return None
        vecs = self._embed_chunks(texts, count=False)
        if self._tok_starts is not None:  # cached and saved, so that a replica loading these artefacts needs no model
            self._token_vectors(texts, "query")
        rows: list[tuple[dict[str, float], dict[str, float], int, str]] = []  # self, shipped feats, label, kind
        for i, text in enumerate(texts):
            dense_c, bm25_c, dense_d, bm25_d, ntok, extra, fused, order, kk = self._rank(text, "hybrid", 2, vecs[i])
            oos = i >= len(pos_q)
            label = 0 if oos else int(self._doc_ids[int(order[0])] == pos_q[i][1])
            rows.append((*self._both_features(dense_d, bm25_d, ntok, extra), label, "oos" if oos else "pos"))
            if not oos and len(self._doc_ids) > 2:  # near miss: the same question with its article gone
                src = self._doc_ids.index(pos_q[i][1])
                rows.append((*self._both_features(np.delete(dense_d, src), np.delete(bm25_d, src), ntok, {
                    **extra, "title": np.delete(extra["title"], src), "maxchunk": np.delete(extra["maxchunk"], src),
                    "skip": src}), 0, "near"))
        self._calibration_rows = rows  # kept in memory for inspection, never saved
        x = np.array([[r[0][f] for f in SELF_FEATURES] for r in rows])
        y = np.array([r[2] for r in rows], dtype=np.float64)
        mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
        coef, icpt = _fit_logistic((x - mu) / sd, y)
        model: dict[str, Any] = {"features": list(SELF_FEATURES), "mean": mu.round(6).tolist(),
                                 "scale": sd.round(6).tolist(), "coef": coef.round(6).tolist(),
                                 "intercept": round(icpt, 6)}
        conf_self = np.array([_apply_model(model, r[0]) for r in rows])
        conf_ship = np.array([self._confidence(r[1], DECISION_MODEL.get("hybrid", "hybrid"))[0] for r in rows])
        kind = np.array([r[3] for r in rows])
        right = y > 0
        thr, stats = _pick_threshold(conf_self, kind, right, CONFIDENT_TARGETS)
        plaus, _ = _pick_threshold(conf_self, kind, right, PLAUSIBLE_TARGETS)
        model["threshold"] = thr
        model["plausible_threshold"] = min(plaus, thr)
        ship_thr = self._confidence(rows[0][1], DECISION_MODEL.get("hybrid", "hybrid"))[1]
        ship_stats = _rates(conf_ship, kind, right, ship_thr)
        ship_plaus, _ = _pick_threshold(conf_ship, kind, right, PLAUSIBLE_TARGETS)
        # automatic choice: the shipped model (fitted on real questions) stays if it meets the targets on this
        # KB's pseudo-queries; the self-fitted one replaces it where it does not transfer. Near misses are not
        # asked of the shipped model: on the benchmark's dev split it answers 0.906 at 0.984 precision while
        # declining only 0.73 of these synthetic near misses, so they are too strict. The self model is not
        # preferred merely for answering more pseudo-queries: on acme-kb-dev it then answered 0.497 of the real
        # questions but declined only 0.914 of the unanswerable ones (shipped: 0.491, 0.957), because
        # pseudo-queries made of an article's words are easier than real questions.
        ship_targets = {k: v for k, v in CONFIDENT_TARGETS.items() if k != "near_rejection"}
        use = "shipped" if _meets(ship_stats, ship_targets) else "self"
        return {"version": 1, "use": use, "model": model, "pseudo_queries": len(pos_q), "out_of_scope": len(neg_q),
                "self": stats, "shipped": ship_stats, "shipped_plausible_threshold": min(ship_plaus, ship_thr)}

    # ------------------------------------------------------------------ search
    def _rank(self, query: str, method: str, k: int, qvec: np.ndarray | None):
        dense_c, bm25_c, dense_d, bm25_d, ntok, extra = self._raw_scores(query, qvec)
        fused = self._fuse(dense_d, bm25_d, method)
        kk = min(max(k, 2), len(fused))
        part = np.argpartition(-fused, kk - 1)[:kk] if kk < len(fused) else np.arange(len(fused))
        order = part[np.argsort(-fused[part], kind="stable")]
        return dense_c, bm25_c, dense_d, bm25_d, ntok, extra, fused, order, kk

    def _decide(self, method, dense_d, bm25_d, fused, order, ntok, extra, kk) -> tuple[float, float, float, str, dict]:
        """(confidence, threshold, plausible threshold, which decision, features) for the top hit."""
        cal = self.self_calibration
        if method == "hybrid" and cal and cal.get("use") == "self":
            feats = self._features(dense_d, bm25_d, fused, order, ntok, extra)
            return (_apply_model(cal["model"], feats), float(cal["model"]["threshold"]),
                    float(cal["model"]["plausible_threshold"]), "self", feats)
        decide = DECISION_MODEL.get(method, method)
        if decide == method:
            feats = self._features(dense_d, bm25_d, fused, order, ntok, extra)
        else:  # rank with this method, but decide "answer or not" with another method's calibrated model
            other = self._fuse(dense_d, bm25_d, decide)
            part_o = np.argpartition(-other, kk - 1)[:kk] if kk < len(other) else np.arange(len(other))
            feats = self._features(dense_d, bm25_d, other, part_o[np.argsort(-other[part_o], kind="stable")], ntok, extra)
        conf, thr = self._confidence(feats, decide)
        plaus = float(cal["shipped_plausible_threshold"]) if cal and method == "hybrid" else thr
        return conf, thr, min(plaus, thr), "shipped", feats

    def query(self, query: str, k: int = 5, method: str = "hybrid", n_passages: int = 2,
              qvec: np.ndarray | None = None) -> SearchResponse:
        """Search and attach the calibrated confidence / answerable decision for the top hit."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if not self.chunks:
            return SearchResponse(query=query, method=method, hits=[], confidence=0.0, answerable=False,
                                  threshold=1.0)
        if self.parts:
            return self._query_parts(query, k, method, n_passages, qvec)
        dense_c, bm25_c, dense_d, bm25_d, ntok, extra, fused, order, kk = self._rank(query, method, k, qvec)
        conf, thr, plaus, decision, feats = self._decide(method, dense_d, bm25_d, fused, order, ntok, extra, kk)
        # chunk-level score for choosing passages inside an article
        cb = float(bm25_c.max()) if bm25_c.size else 0.0
        chunk_score = dense_c + (bm25_c / cb if cb > 0 else 0.0) * 0.5
        hits = []
        for rank, di in enumerate(order[:k]):
            di = int(di)
            s = int(self._doc_starts[di])
            e = int(self._doc_starts[di + 1]) if di + 1 < len(self._doc_starts) else len(self.chunks)
            best = np.argsort(-chunk_score[s:e], kind="stable")[:n_passages] + s
            doc = self.docs[self._doc_ids[di]]
            passages = [self.chunks[int(j)].body for j in best if self.chunks[int(j)].body]
            if rank == 0 and passages:
                every = np.argsort(-chunk_score[s:e], kind="stable")[:8] + s
                passages = self._answer_first(extra.get("expanded") or [], [self.chunks[int(j)] for j in every],
                                              n_passages)
            hits.append(SearchHit(doc_id=doc.id, title=doc.title, url=doc.url, score=float(fused[di]),
                                  passages=passages))
        return SearchResponse(query=query, method=method, hits=hits, confidence=conf, answerable=conf >= thr,
                              threshold=thr, plausible_threshold=plaus, decision=decision, features=feats)

    def _query_parts(self, query: str, k: int, method: str, n_passages: int,
                     qvec: np.ndarray | None) -> SearchResponse:
        """The own articles' answer if confident, else the libraries'; then the first with suggestions."""
        if qvec is None:
            qvec = self.embedder.encode([self.correct_spelling(query)])[0]
        answers = [p.query(query, k, method, n_passages, qvec) for p in self.parts]
        for name, r in zip(("own", "library"), answers, strict=False):
            r.collection = name
        best = next((r for r in answers if r.hits and r.answerable), None)
        best = best or next((r for r in answers if r.hits and r.confidence >= r.plausible_threshold), None)
        return best or max(answers, key=lambda r: r.confidence - r.threshold)

    def _answer_first(self, expanded: list[str], chunks: list[Chunk], n_passages: int) -> list[str]:
        """The unit (sentence, paragraph, or a list with its lead-in) of the article that best matches
        the question, first; then the rest of its chunk and the best other chunk: the answer, then its
        context. ``chunks`` are the article's chunks, best first."""
        bodies = [c.body for c in chunks if c.body]
        if not expanded or not bodies:
            return bodies[:n_passages]
        n = max(1, len(self.chunks))
        idf = {t: math.log(1 + n / (1 + self._vocab.get(t, 0))) for t in set(expanded)}
        best_unit, best_score, best_chunk = "", 0.0, 0
        for ci, body in enumerate(bodies):
            for unit in split_units(body):
                ut = set(tokenize(unit))
                score = sum(w for t, w in idf.items() if t in ut) * (1.0 - 0.05 * ci)
                score /= math.sqrt(max(4, len(ut)))  # prefer the focused sentence or steps
                if score > best_score:
                    best_unit, best_score, best_chunk = unit, score, ci
        if not best_unit:
            return bodies[:n_passages]
        rest = bodies[best_chunk].replace(best_unit, "").strip()
        others = [b for i, b in enumerate(bodies) if i != best_chunk]
        return [p for p in [best_unit, rest, *others[:max(1, n_passages + 1)]] if p]

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
        calibration = self.self_calibration if not self.parts else {  # the decisions fitted on this KB
            "collections": [{"articles": len(p.docs), **(p.self_calibration or {})} for p in self.parts]}
        if calibration is not None:  # (informative: they are fitted again whenever the index is built)
            (vdir / "self_calibration.json").write_text(json.dumps(calibration, indent=1))
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
        self._save_token_cache(root)
        return vdir

    def _token_cache_path(self, root: Path) -> Path:
        return root / f"tokcache__{_slug(self.model_name)}.npz"

    def _save_token_cache(self, root: Path) -> None:
        """Word-piece vectors (late interaction) next to the embedding cache: rows of all texts, one file."""
        cache = {**self._read_token_cache(root), **self.token_cache}  # (the parts share this one's cache)
        if not cache:
            return
        keys = sorted(cache)
        tmp = self._token_cache_path(root).with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.asarray(keys), lengths=np.asarray([len(cache[k]) for k in keys], dtype=np.int64),
                 vectors=np.concatenate([cache[k] for k in keys]).astype(np.float16))
        tmp.replace(self._token_cache_path(root))

    def _read_token_cache(self, root: Path) -> dict[str, np.ndarray]:
        p = self._token_cache_path(root)
        if not p.exists():
            return {}
        with np.load(p, allow_pickle=False) as z:
            rows = np.split(z["vectors"], np.cumsum(z["lengths"])[:-1])
            return dict(zip(z["keys"].tolist(), rows, strict=True))

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
        self.token_cache.update(self._read_token_cache(Path(directory)))
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
