"""Shared helpers for retrieval evaluation, calibration and benchmarking."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from copilot.knowledge.index import KbDocument, KnowledgeIndex
from copilot.knowledge.text import markdown_to_text

REPO = Path(__file__).resolve().parents[2]
STACKFAQ = REPO / "bench/data/stackfaq-kb.jsonl"
OFFICEDOCS = REPO / "sandbox/data/officedocs-support.jsonl"
DEV_QUERIES = REPO / "bench/data/retrieval-dev.jsonl"


def default_cache_dir() -> Path:
    return Path(os.environ.get("COPILOT_KB_CACHE", Path.home() / ".cache" / "copilot" / "kb-index"))


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: str | Path, rows) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def build_doc_rows(stackfaq: Path = STACKFAQ, officedocs: Path = OFFICEDOCS) -> list[dict[str, str]]:
    rows = []
    for r in read_jsonl(stackfaq):
        text = "\n\n".join([r["question"], *[a.strip() for a in r.get("answers", []) if a and a.strip()]])
        rows.append({"id": r["faq_id"], "title": r["question"], "text": text})
    for r in read_jsonl(officedocs):
        rows.append({"id": r["id"], "title": r["title"], "text": markdown_to_text(r.get("body_markdown") or "")})
    return rows


def load_docs(path: str | Path) -> list[KbDocument]:
    return [KbDocument(id=str(r["id"]), title=r.get("title") or "", text=r.get("text") or "",
                       url=r.get("url"), updated_at=r.get("updated_at")) for r in read_jsonl(path)]


def build_index(docs: list[KbDocument], cache_dir: Path | None = None, **kwargs) -> KnowledgeIndex:
    """Build an index, reusing (and then refreshing) the on-disk embedding cache."""
    idx = KnowledgeIndex(**kwargs)
    if cache_dir is not None:
        idx.load_cache(cache_dir)
    idx.build(docs)
    if cache_dir is not None and idx.embeddings_computed:
        idx.save(cache_dir)
    return idx


def run_queries(idx: KnowledgeIndex, queries: list[dict], method: str = "hybrid", k: int = 10,
                qvecs: np.ndarray | None = None) -> list[dict[str, Any]]:
    out = []
    if qvecs is None and method != "bm25":
        qvecs = idx.embedder.encode([q["query"] for q in queries])
    for i, q in enumerate(queries):
        resp = idx.query(q["query"], k=k, method=method, qvec=None if qvecs is None else qvecs[i])
        out.append({"id": q["id"], "ranked": [h.doc_id for h in resp.hits], "confidence": resp.confidence,
                    "answer": bool(resp.answerable), "_features": resp.features})
    return out


def compute_metrics(queries: list[dict], results: list[dict]) -> dict[str, float]:
    by_id = {r["id"]: r for r in results}
    pos = [q for q in queries if q.get("gold") is not None]
    neg = [q for q in queries if q.get("gold") is None]
    r1 = r3 = mrr = 0.0
    answered = answered_right = 0
    for q in pos:
        r = by_id.get(q["id"], {"ranked": [], "answer": False})
        ranked = r["ranked"]
        if ranked[:1] == [q["gold"]]:
            r1 += 1
        if q["gold"] in ranked[:3]:
            r3 += 1
        if q["gold"] in ranked:
            mrr += 1.0 / (ranked.index(q["gold"]) + 1)
        if r["answer"]:
            answered += 1
            answered_right += int(ranked[:1] == [q["gold"]])
    rejected = sum(1 for q in neg if not by_id.get(q["id"], {"answer": False})["answer"])
    n = max(1, len(pos))
    return {
        "n_in_kb": len(pos), "n_no_answer": len(neg),
        "recall@1": r1 / n, "recall@3": r3 / n, "mrr": mrr / n,
        "answered_share": answered / n,
        "answer_precision": answered_right / answered if answered else 0.0,
        "no_answer_rejection": rejected / len(neg) if neg else 1.0,
    }
