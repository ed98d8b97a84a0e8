"""Triage classification benchmark: train on the dev part of the Endava tickets, report on the held-out part.

    .venv/bin/python bench/bench_triage.py [--variants all|recent|shipped] [--no-write] [--embed-cache PATH]

* Model comparison (``all``: every variant; ``recent``: the baseline, the previous shipped model and the
  last round's variants; ``shipped``: the baseline and the shipped model): every variant is trained on ``bench/data/triage-dev-train.csv``; its figures are the
  5-fold out-of-fold predictions on that dev part (``TriageModel.evaluation``), the only thing variants
  were chosen by.
* Held-out: the shipped configuration (and the baseline, for reference) predicts
  ``bench/data/triage-heldout.csv`` once: per-field accuracy / macro-F1, precision and coverage of the
  guesses marked ``auto`` at the shipped thresholds, train and predict times.

MiniLM vectors of the tickets are cached in ``--embed-cache`` (default: the user's cache), so a rerun
does not embed them again; the train times below say whether the run embedded (``embedded`` column).
Rewrites the "## Triage classification" section of ``docs/benchmarks.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from copilot.eval.report import write_section  # noqa: E402
from copilot.eval.triage import format_figures, score  # noqa: E402
from copilot.triage.classifier import CachedEmbed, TriageConfig, TriageModel, ticket_text  # noqa: E402

DEV = REPO / "bench" / "data" / "triage-dev-train.csv"
HELDOUT = REPO / "bench" / "data" / "triage-heldout.csv"
FIELDS = ("ticket_type", "category", "sub_category1", "sub_category2", "business_service", "urgency", "impact")
SHOWN = ("category", "sub_category1", "business_service", "urgency")
GOALS = {"category": (0.88, 0.55), "business_service": (0.72, None), "sub_category1": (0.72, None)}
HEADING = "## Triage classification"

PRIORS = (0.0, 0.1, 0.2, 0.3, 0.5)  # prior-correction exponents tried per field (chosen out of fold)


def plain(**changes: Any) -> TriageConfig:
    """A configuration without this round's additions (subject TF-IDF, prior correction, hierarchy)."""
    return TriageConfig(**{"title_weight": 0.0, "prior_correction": (0.0,), "hierarchy": False, **changes})


BASELINE = plain(char=True, embeddings=False, knn=0, balanced=False)
PREVIOUS = "word + MiniLM SVM, blended with MiniLM 10-NN (shipped before)"
VARIANTS: dict[str, TriageConfig] = {
    "baseline: TF-IDF word+char, LinearSVC": BASELINE,
    "+ class weights (balanced)": plain(char=True, embeddings=False, knn=0),
    "TF-IDF word, LinearSVC balanced": plain(embeddings=False, knn=0),
    "TF-IDF word, logistic regression balanced": plain(classifier="logreg", embeddings=False, knn=0),
    "TF-IDF word + MiniLM, LinearSVC balanced": plain(knn=0),
    PREVIOUS: plain(),
    "previous + chained fields (category → sub-category, service)": plain(chain=True),
    "previous + prior correction per field": plain(prior_correction=PRIORS),
    "previous + hierarchical decoding": plain(hierarchy=True),
    "previous + subject TF-IDF (weight 0.5)": plain(title_weight=0.5),
    "shipped: previous + subject TF-IDF + prior correction + hierarchical decoding": TriageConfig(),
}
SHIPPED = "shipped: previous + subject TF-IDF + prior correction + hierarchical decoding"
RECENT = (PREVIOUS, "previous + prior correction per field", "previous + hierarchical decoding",
          "previous + subject TF-IDF (weight 0.5)", SHIPPED)

def read(path: Path) -> tuple[list[str], dict[str, list[str | None]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [ticket_text(r["title"], r["body"]) for r in rows], {f: [r[f] or None for r in rows] for f in FIELDS}


def encoder() -> Any:
    state: dict[str, Any] = {}

    def encode(texts: list[str]) -> np.ndarray:
        if "e" not in state:
            from copilot.knowledge.embedder import load_embedder

            state["e"] = load_embedder("onnx")
        return np.asarray(state["e"].encode(texts))

    return encode


def heldout_run(model: TriageModel, texts: list[str], truth: dict[str, list[str | None]]) -> dict[str, Any]:
    started = time.perf_counter()
    guesses = model.predict(texts)
    batch = time.perf_counter() - started
    single = []
    for text in texts[:40]:
        t = time.perf_counter()
        model.predict([text])
        single.append(time.perf_counter() - t)
    figures = score(guesses, truth)
    hits = sum(f["auto_precision"] * f["auto_count"] for f in figures.values() if f["auto_count"])
    autos = sum(f["auto_count"] for f in figures.values())
    return {"figures": figures, "batch_ms_per_ticket": 1000 * batch / len(texts),
            "single_ms_p50": 1000 * statistics.median(single), "pooled_auto_precision": hits / autos if autos else None,
            "auto_count": autos}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", choices=("all", "recent", "shipped"), default="all")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--embed-cache", default=str(Path.home() / ".cache" / "copilot" / "triage-embeddings.npz"))
    args = ap.parse_args()
    embed = CachedEmbed(encoder(), Path(args.embed_cache))
    dev_texts, dev_labels = read(DEV)
    held_texts, held_labels = read(HELDOUT)
    names = {"all": list(VARIANTS), "recent": [list(VARIANTS)[0], *RECENT],
             "shipped": [list(VARIANTS)[0], SHIPPED]}[args.variants]
    comparison: dict[str, dict[str, Any]] = {}
    models: dict[str, TriageModel] = {}
    for name in names:
        before = embed.computed
        started = time.perf_counter()
        model = TriageModel.fit(dev_texts, dev_labels, config=VARIANTS[name], embed=embed)
        seconds = time.perf_counter() - started
        comparison[name] = {"fields": model.evaluation["fields"], "seconds": seconds,
                            "embedded": embed.computed - before}
        models[name] = model
        f = model.evaluation["fields"]
        print(f"{name:<62} " + " ".join(f"{k[:8]}={f[k]['accuracy']:.3f}/{f[k]['macro_f1']:.2f}" for k in SHOWN)
              + f" cat-auto={f['category']['auto_coverage']:.2f} {seconds:.0f}s", file=sys.stderr, flush=True)
    held = {name: heldout_run(models[name], held_texts, held_labels)
            for name in dict.fromkeys((names[0], SHIPPED, PREVIOUS)) if name in models}  # shipped embeds first
    for name, run in held.items():
        print(f"\nheld-out, {name}\n{format_figures(run['figures'])}", file=sys.stderr)
    body = render(comparison, held, models[SHIPPED], len(dev_texts), len(held_texts))
    print(body)
    if not args.no_write:
        write_section(HEADING, body)


def render(comparison: dict[str, dict[str, Any]], held: dict[str, dict[str, Any]], shipped: TriageModel,
           n_dev: int, n_held: int) -> str:
    lines = [HEADING, "",
             f"`bench/bench_triage.py`: Endava helpdesk tickets (`bench/data/TRIAGE-README.md`), trained on the "
             f"dev part ({n_dev} tickets), reported once on the held-out part ({n_held} tickets, never tuned on). "
             "Text = title + body. `auto` = confidence at or above the field's shipped threshold, chosen on "
             "5-fold out-of-fold predictions of the training rows so that the one-sided 95 % Wilson lower "
             "bound of precision is ≥ 0.97 (and ≥ 20 predictions). 2 shared cores.", "",
             "### Held-out figures (shipped model)", "",
             "| field | accuracy | macro-F1 | auto precision | auto coverage | goal | baseline acc / F1 "
             "| previous acc / F1 / auto coverage |",
             "|---|---|---|---|---|---|---|---|"]
    ship, base, before = held[SHIPPED], held[next(iter(held))], held.get(PREVIOUS)
    for field, f in ship["figures"].items():
        goal = GOALS.get(field)
        goal_text = "" if goal is None else f"≥ {goal[0]:.2f}" + (f" / F1 ≥ {goal[1]:.2f}" if goal[1] else "")
        b = base["figures"][field]
        prec = f"{f['auto_precision']:.3f}" if f["auto_precision"] is not None else "–"
        p = before["figures"][field] if before else None
        previous = f"{p['accuracy']:.3f} / {p['macro_f1']:.3f} / {p['auto_coverage']:.3f}" if p else "–"
        lines.append(f"| {field} | {f['accuracy']:.3f} | {f['macro_f1']:.3f} | {prec} | {f['auto_coverage']:.3f} "
                     f"| {goal_text} | {b['accuracy']:.3f} / {b['macro_f1']:.3f} | {previous} |")
    pooled = ship["pooled_auto_precision"]
    lines += ["", f"All fields pooled: {ship['auto_count']} guesses marked `auto`, precision "
              f"{pooled:.3f}." if pooled is not None else "No guess marked `auto`.",
              f"Predict: {ship['batch_ms_per_ticket']:.1f} ms per ticket in a batch of {n_held}, "
              f"{ship['single_ms_p50']:.0f} ms p50 for one ticket (MiniLM embedding included). "
              f"Shipped thresholds: " + ", ".join(
                  f"{k} {v:.3f}" if v is not None else f"{k} never" for k, v in shipped.thresholds.items()) + ".",
              "", "### Model comparison (5-fold out-of-fold on the dev part; the choice was made on these)", "",
              "| variant | category acc / F1 | sub_category1 acc / F1 | business_service acc / F1 | urgency acc "
              "| category auto coverage | train s | embedded |",
              "|---|---|---|---|---|---|---|---|"]
    for name, c in comparison.items():
        f = c["fields"]
        lines.append(f"| {name} | {f['category']['accuracy']:.3f} / {f['category']['macro_f1']:.2f} "
                     f"| {f['sub_category1']['accuracy']:.3f} / {f['sub_category1']['macro_f1']:.2f} "
                     f"| {f['business_service']['accuracy']:.3f} / {f['business_service']['macro_f1']:.2f} "
                     f"| {f['urgency']['accuracy']:.3f} | {f['category']['auto_coverage']:.2f} "
                     f"| {c['seconds']:.0f} | {c['embedded']} |")
    lines += ["", "Train time includes the 5-fold out-of-fold pass (calibration and thresholds) and the final "
              "fit of every field on a machine shared with other jobs; `embedded` = tickets MiniLM embedded "
              "in that run (0 = the run's cache had them). `--variants all` adds balanced weights, word-only, "
              "logistic regression, word + MiniLM without neighbours and chained fields; `--variants recent` "
              "runs the rows above.", "",
              "What the shipped additions do: the subject's words get a TF-IDF of their own at weight 0.5; each "
              "field's scores are divided by prior^β, β ∈ {0, 0.1, 0.2, 0.3, 0.5} chosen out of fold as the best "
              "macro-F1 within 0.005 of the uncorrected accuracy (category, urgency, impact and ticket_type take "
              "one; sub-categories and service none, as every β cost them more accuracy than that); fields that "
              "nest in another by the labels (sub_category1 and business_service in category: ≥ 90 % of a "
              "value's rows under one category) are decoded with it over the pairs seen in training, so a "
              "proposed sub-category always belongs to the proposed category (2 % of the previous model's "
              "pairs did not). Confidence is fitted on the model's own probability of the chosen label (when "
              "it came from the corrected scores, category auto coverage fell to 0.45; from the corrected and decoded ones, to 0.34).",
              "",
              "Exploration of this round (5-fold out-of-fold on dev, on the previous model's scores; accuracy / "
              "macro-F1 of category, sub_category1, business_service): joint labels predicted and marginalised "
              "— (category, sub_category1) alone 0.858/0.40, 0.640/0.26, mixed 30/70 with the per-field model "
              "0.864/0.40, 0.656/0.26; (sub_category1, sub_category2) sub_category1 0.627; (sub_category1, "
              "business_service) 0.613, 0.579; no mix beat the per-field models (sub_category1 ≤ 0.659, service "
              "≤ 0.619); decoding sub_category2 under sub_category1 (not nested by the data) lowered "
              "sub_category1 to 0.654. Text (word TF-IDF SVM alone, 0.859/0.41, 0.636/0.25, 0.577/0.30): "
              "1-grams 0.851, 0.624, 0.572; 1–3-grams 0.856, 0.637, 0.570; min_df 1 0.850, 0.649, 0.583; max_df "
              "0.2 0.857, 0.635, 0.578; greetings, sign-offs, dates and `re`/`ext` removed 0.856, 0.629, 0.571 "
              "(worse; sign-offs carry the requester's role); subject at weight 1 0.859, 0.629, 0.572, at 0.5 "
              "0.863, 0.646, 0.587; subject char 3–5-grams 0.858, 0.638, 0.582 (the anonymised text has no "
              "digits or ids left to normalise). Neighbours: k 3–30 with blend weights 0.2–0.7, best category "
              "0.865 (k 20) against 0.863. Calibration: adding the linear and neighbour top scores, their "
              "agreement and the entropy to the calibrator lowered category auto coverage (0.467 vs 0.489), "
              "gradient boosting on them 0.498, the raw top probability 0.495; the most confident 60 % of "
              "category guesses are right 96.5 % of the time, so no calibration can reach 0.60 coverage at a "
              "Wilson bound of 0.97 — the ranking, not the calibration, is the limit. Prior correction alone: "
              "category 0.859/0.42; sub_category1 and service lost ≥ 0.004 / 0.007 accuracy at β 0.1.", "",
              "Exploration before the previous choice (same data, 5-fold CV on dev, one linear model per field, "
              "accuracy / macro-F1 of category, sub_category1, business_service): word+char SVM 0.853/0.35, "
              "0.640/0.23, 0.618/0.28; + balanced weights 0.855/0.41, 0.630/0.26, 0.597/0.29; word only "
              "balanced 0.857/0.40, 0.634/0.26, 0.571/0.28; char only 0.850/0.40, 0.617/0.25, 0.567/0.28; "
              "MiniLM only (SVM) 0.829/0.39, 0.568/0.23, 0.548/0.28; MiniLM only (logistic) 0.791/0.39, "
              "0.570/0.26, 0.546/0.26; word + MiniLM SVM 0.856/0.40, 0.643/0.25, 0.610/0.30; MiniLM 10-NN "
              "alone 0.852, 0.616, 0.556; equal average of word+MiniLM SVM and 10-NN 0.867, 0.640, 0.580 "
              "(hence the per-field blend weight); a stacked logistic regression over both was no better "
              "(category 0.857)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
