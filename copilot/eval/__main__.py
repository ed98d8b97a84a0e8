"""Retrieval evaluation CLI.

    python -m copilot.eval build-docs --out DOCS.jsonl
    python -m copilot.eval retrieval --docs DOCS.jsonl --queries QUERIES.jsonl --out OUT.jsonl [--method hybrid]
    python -m copilot.eval metrics --queries bench/data/retrieval-dev.jsonl --out OUT.jsonl
    python -m copilot.eval calibrate --docs DOCS.jsonl --queries bench/data/retrieval-dev.jsonl
    python -m copilot.eval conversations --cases bench/data/conversations-dev.jsonl [--out RESULTS.jsonl]
        [--app-url URL --token T --freshservice-url SANDBOX --api-key K]   (a running app, over REST)
    python -m copilot.eval triage --train TRAIN.csv --test TEST.csv --out OUT.jsonl (see copilot/eval/triage.py)

``retrieval`` uses exactly the shipped :class:`~copilot.knowledge.index.KnowledgeIndex` and the
shipped ``copilot/knowledge/calibration.json`` (confidence model + threshold). OUT lines are
``{"id", "ranked": [≤10 doc ids], "confidence", "answer"}``.

Recalibrating on your own data (operators)
------------------------------------------
1. Export your KB as DOCS.jsonl (``{"id","title","text"}`` per line; use
   :func:`copilot.knowledge.text.html_to_text` / ``markdown_to_text`` for the bodies).
2. Write a labelled query file, one line per real employee question:
   ``{"id": "...", "query": "...", "gold": "<doc id that answers it>" | null}``. Include questions
   your KB does *not* answer (``gold: null``), ideally ≥ 200 of each kind, taken from real tickets/chats.
3. Run ``python -m copilot.eval calibrate --docs DOCS.jsonl --queries LABELLED.jsonl`` (add
   ``--out path.json`` to write somewhere else than the shipped ``calibration.json``; adjust
   ``--min-precision/--min-rejection/--min-answered`` to your risk appetite). It fits one logistic
   regression per method on ranking features (top dense score and its margin, title similarity,
   BM25 share/margin, agreement of the two rankers) and picks the threshold that keeps the largest
   safety margin (in binomial standard errors) above the three targets.
4. Check the result with ``retrieval`` + ``metrics`` on a *held-out* labelled file, then ship the JSON.
Never fit on the split you report numbers on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from copilot.eval.retrieval import (  # noqa: E402
    DEV_QUERIES,
    build_doc_rows,
    build_index,
    compute_metrics,
    default_cache_dir,
    load_docs,
    read_jsonl,
    run_queries,
    write_jsonl,
)
from copilot.knowledge import embedder as embedder_module  # noqa: E402
from copilot.knowledge.chunking import CHUNKER_VERSION  # noqa: E402
from copilot.knowledge.index import METHODS, calibration_path  # noqa: E402

FEATURES = {
    "hybrid": ["d1", "d_margin", "d_z", "t1", "t_margin", "t_z", "c1", "b_norm", "b_ratio", "b_margin", "agree"],
    "dense": ["d1", "d_margin", "d_z", "t1", "t_margin", "t_z", "c1"],
    "bm25": ["b_norm", "b_margin", "b_share", "f_margin"],
}


def _rel(path) -> str:
    from copilot.eval.retrieval import REPO

    p = Path(path).resolve()
    return str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(path)


def _cache_dir(args) -> Path | None:
    if getattr(args, "no_cache", False):
        return None
    return Path(args.cache_dir) if args.cache_dir else default_cache_dir()


def cmd_build_docs(args) -> int:
    rows = build_doc_rows()
    write_jsonl(args.out, rows)
    print(f"wrote {len(rows)} documents to {args.out}", file=sys.stderr)
    return 0


def cmd_retrieval(args) -> int:
    docs = load_docs(args.docs)
    queries = read_jsonl(args.queries)
    idx = build_index(docs, _cache_dir(args))
    res = run_queries(idx, queries, method=args.method, k=10)
    write_jsonl(args.out, ({k: v for k, v in r.items() if not k.startswith("_")} for r in res))
    print(f"wrote {len(res)} results to {args.out}", file=sys.stderr)
    return 0


def format_metrics(m: dict) -> str:
    return "\n".join([
        f"in-KB queries:        {m['n_in_kb']}",
        f"no-answer queries:    {m['n_no_answer']}",
        f"recall@1:             {m['recall@1']:.4f}",
        f"recall@3:             {m['recall@3']:.4f}",
        f"MRR:                  {m['mrr']:.4f}",
        f"answered (in-KB):     {m['answered_share']:.4f}",
        f"answer precision:     {m['answer_precision']:.4f}",
        f"no-answer rejection:  {m['no_answer_rejection']:.4f}",
    ])


def cmd_metrics(args) -> int:
    m = compute_metrics(read_jsonl(args.queries), read_jsonl(args.out))
    print(format_metrics(m))
    if args.json:
        print(json.dumps(m))
    return 0


def choose_threshold(conf: np.ndarray, top_ok: np.ndarray, has_gold: np.ndarray, *, min_precision: float,
                     min_rejection: float, min_answered: float) -> tuple[float, dict]:
    """Pick the threshold maximising the smallest safety margin (in binomial standard errors)
    above the three targets: answered share of in-KB, precision of answered in-KB, rejection of
    no-answer queries."""
    n_pos = max(1, int(has_gold.sum()))
    n_neg = max(1, int((~has_gold).sum()))
    se_a = math.sqrt(min_answered * (1 - min_answered) / n_pos)
    se_r = math.sqrt(min_rejection * (1 - min_rejection) / n_neg)
    cands = np.unique(np.round(conf, 4))
    best: tuple[float, float, dict[str, float]] = (-1e9, 0.5, {})
    for t in cands:
        ans = conf >= t
        a = (ans & has_gold).sum() / n_pos
        n_ans = max(1, int((ans & has_gold).sum()))
        p = (ans & has_gold & top_ok).sum() / n_ans
        r = (~ans & ~has_gold).sum() / n_neg
        se_p = math.sqrt(min_precision * (1 - min_precision) / n_ans)
        z = min((a - min_answered) / se_a, (p - min_precision) / se_p, (r - min_rejection) / se_r)
        if z > best[0]:
            best = (z, float(t), {"answered": a, "precision": p, "rejection": r, "min_z": z})
    return best[1], best[2]


def cmd_calibrate(args) -> int:
    from sklearn.linear_model import LogisticRegression

    docs = load_docs(args.docs) if args.docs else None
    if docs is None:
        from copilot.knowledge.index import KbDocument
        docs = [KbDocument(**r) for r in build_doc_rows()]
    queries = read_jsonl(args.queries)
    embedder_module.configure(args.backend)
    idx = build_index(docs, _cache_dir(args), calibration={})
    out_path = Path(args.out) if args.out else calibration_path(idx.model_name)
    qvecs = idx.embedder.encode([q["query"] for q in queries])
    has_gold = np.array([q.get("gold") is not None for q in queries])
    out: dict[str, Any] = {
        "version": 1, "model": idx.model_name, "chunker": CHUNKER_VERSION,
        "fitted_on": _rel(args.queries), "fitted_at": date.today().isoformat(),
        "n_queries": len(queries), "targets": {"min_precision": args.min_precision,
                                               "min_rejection": args.min_rejection,
                                               "min_answered": args.min_answered},
        "methods": {},
    }
    for method in METHODS:
        res = run_queries(idx, queries, method=method, k=10, qvecs=qvecs)
        names = FEATURES[method]
        X = np.array([[r["_features"][n] for n in names] for r in res], dtype=np.float64)
        top_ok = np.array([bool(r["ranked"]) and r["ranked"][0] == q.get("gold") for r, q in zip(res, queries, strict=True)])
        y = (top_ok & has_gold).astype(int)
        mu, sd = X.mean(0), X.std(0)
        sd[sd == 0] = 1.0
        lr = LogisticRegression(C=args.C, max_iter=2000).fit((X - mu) / sd, y)
        conf = lr.predict_proba((X - mu) / sd)[:, 1]
        thr, stats = choose_threshold(conf, top_ok, has_gold, min_precision=args.min_precision,
                                      min_rejection=args.min_rejection, min_answered=args.min_answered)
        out["methods"][method] = {
            "features": names, "mean": mu.round(6).tolist(), "scale": sd.round(6).tolist(),
            "coef": lr.coef_[0].round(6).tolist(), "intercept": round(float(lr.intercept_[0]), 6),
            "threshold": round(thr, 4), "dev": {k: round(float(v), 4) for k, v in stats.items()},
        }
        print(f"{method:7s} threshold={thr:.4f} " + " ".join(f"{k}={v:.4f}" for k, v in stats.items()),
              file=sys.stderr)
    out_path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {out_path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m copilot.eval", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("build-docs", help="StackFAQ + officedocs → DOCS.jsonl")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_build_docs)

    p = sub.add_parser("retrieval", help="rank docs for every query")
    p.add_argument("--docs", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--method", default="hybrid", choices=METHODS)
    p.add_argument("--cache-dir", default=None, help="embedding cache dir (default $COPILOT_KB_CACHE "
                                                     "or ~/.cache/copilot/kb-index)")
    p.add_argument("--no-cache", action="store_true", help="do not read/write the embedding cache")
    p.set_defaults(func=cmd_retrieval)

    p = sub.add_parser("metrics", help="score an OUT.jsonl against labelled queries")
    p.add_argument("--queries", default=str(DEV_QUERIES))
    p.add_argument("--out", required=True)
    p.add_argument("--json", action="store_true", help="also print the metrics as one JSON line")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("calibrate", help="fit confidence model + threshold (dev split only!)")
    p.add_argument("--docs", default=None, help="DOCS.jsonl (default: the bundled collection)")
    p.add_argument("--queries", default=str(DEV_QUERIES))
    p.add_argument("--out", default=None, help="default: the shipped file for the backend's vectors "
                                               "(copilot/knowledge/calibration.json, calibration-int8.json)")
    p.add_argument("--backend", default="auto", choices=["auto", *embedder_module.BACKENDS],
                   help="embedding backend whose vectors the model is fitted on")
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 regularisation strength")
    p.add_argument("--min-precision", type=float, default=0.97)
    p.add_argument("--min-rejection", type=float, default=0.95)
    p.add_argument("--min-answered", type=float, default=0.90)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--no-cache", action="store_true")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("conversations", help="run conversation cases through the engine and score them")
    p.add_argument("--cases", required=True, help="e.g. bench/data/conversations-dev.jsonl")
    p.add_argument("--out", default=None, help="write one result line per case here")
    p.add_argument("--freshservice-url", default=None, help="default: start a sandbox with Acme's articles")
    p.add_argument("--api-key", default=None)
    p.add_argument("--doc", default=None, help="also write the table into this markdown file (docs/benchmarks.md)")
    p.add_argument("--knowledge", choices=("org", "full"), default="org",
                   help="the started sandbox's KB: Acme's articles (org) or the default KB of `make run` (full)")
    p.add_argument("--app-url", default=None,
                   help="run against this running copilot over its REST API (needs --token, --freshservice-url and "
                        "--api-key of the sandbox it uses) instead of the engine in-process")
    p.add_argument("--token", default=None, help="the REST API token (COPILOT_API_TOKENS) for --app-url")
    p.set_defaults(func=cmd_conversations)

    p = sub.add_parser("triage", help="train the triage model on TRAIN.csv, predict TEST.csv → OUT.jsonl")
    p.add_argument("--train", required=True, help="labelled tickets (title, body, label columns)")
    p.add_argument("--test", required=True, help="tickets to predict (id optional, title, body)")
    p.add_argument("--out", required=True, help="one JSON line per test row")
    p.add_argument("--save-model", default=None, help="also write the trained model into this directory")
    p.set_defaults(func=cmd_triage)

    args = ap.parse_args(argv)
    return int(args.func(args) or 0)


def cmd_triage(args: Any) -> int:
    from copilot.eval.triage import cmd_triage as run_triage

    return run_triage(args)


def cmd_conversations(args: Any) -> int:
    from copilot.eval.conversations import main as run_conversations

    if args.app_url and not (args.token and args.freshservice_url and args.api_key):
        print("--app-url needs --token (the REST API token) and --freshservice-url/--api-key (the sandbox the app "
              "uses: it is reset before each case and read afterwards)", file=sys.stderr)
        return 2
    return run_conversations(Path(args.cases), Path(args.out) if args.out else None, args.freshservice_url,
                             args.api_key, Path(args.doc) if args.doc else None, args.knowledge,
                             app_url=args.app_url, token=args.token)


if __name__ == "__main__":
    raise SystemExit(main())
