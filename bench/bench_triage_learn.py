"""Triage learning on the sandbox's ticket history: pull, train, and the held-out figures.

The sandbox serves Acme's history (3,000 resolved/closed tickets of 12 months plus ~300 recent ones)
over HTTP; this runs what ``python -m copilot.triage train`` runs (background client, local history
store, newest 20 % by resolution time held out, bundle written) and then a second, incremental run.
It also measures the similar-tickets index on the employee paraphrases written before the index
(``tests/triage/data/similar_paraphrases.json``; held-out part never tuned on).

    .venv/bin/python bench/bench_triage_learn.py [--no-write]

Rewrites the "## Triage learning" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["COPILOT_ENV"] = "development"

from copilot.eval.report import write_section  # noqa: E402
from copilot.settings import Settings  # noqa: E402
from copilot.triage.bundle import TriageBundle  # noqa: E402
from copilot.triage.similar import SimilarTickets  # noqa: E402
from copilot.triage.train import train  # noqa: E402
from sandbox.app import create_app  # noqa: E402
from sandbox.config import SandboxConfig  # noqa: E402
from tests.servers import serve  # noqa: E402

CASES = ROOT / "tests" / "triage" / "data" / "similar_paraphrases.json"
SECTION = "## Triage learning"
BUDGET_RESERVE = 0.3


def paraphrase_hit_rate(index: SimilarTickets, cases: list[dict[str, str]], k: int = 3) -> float:
    hits = 0
    for case in cases:
        past = [index.ticket(s.ticket_id) for s in index.find(case["text"], k)]
        hits += any(p is not None and (p.category, p.sub_category) == (case["category"], case["sub_category"])
                    for p in past)
    return hits / len(cases)


async def run(base_url: str, api_key: str, data_dir: Path) -> dict[str, Any]:
    settings = Settings(env="development", data_dir=data_dir, freshservice_url=base_url, freshservice_api_key=api_key)
    from copilot.knowledge import embedder
    from copilot.rate_budget import background_client

    embedder.configure(settings.embedder_backend, Path.home() / ".cache" / "copilot" / "models")  # export once
    embedder.get_embedder()

    async with background_client(settings) as client:
        first = await train(settings, client)
        second = await train(settings, client)
    bundle = TriageBundle.load_current(data_dir)
    assert bundle is not None
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    started = time.perf_counter()
    queries = 0
    for split in ("dev", "held_out"):
        for case in cases[split]:
            bundle.similar.find(case["text"], 3)
            queries += 1
    per_query_ms = (time.perf_counter() - started) / queries * 1000
    return {"first": first.model_dump(mode="json"), "second": second.model_dump(mode="json"),
            "paraphrases": {s: paraphrase_hit_rate(bundle.similar, cases[s]) for s in ("dev", "held_out")},
            "paraphrase_counts": {s: len(cases[s]) for s in ("dev", "held_out")},
            "find_ms": round(per_query_ms, 1), "cores": os.cpu_count()}


def markdown(figures: dict[str, Any]) -> str:
    first, second = figures["first"], figures["second"]
    ev = first["evaluation"]
    calls = first["pull"]["api_calls"]
    lines = [SECTION, "",
             "`python bench/bench_triage_learn.py`: the sandbox's history (Acme, 12 months) pulled over HTTP by the "
             "background client, the newest 20 % by resolution time held out, then a second (incremental) run. "
             f"Machine: {figures['cores']} cores shared with other jobs, so times are upper bounds.", "",
             "| step | first run | second run |", "|---|---|---|",
             f"| tickets listed / resolved pulled | {first['pull']['listed']} / {first['pull']['pulled']} | "
             f"{second['pull']['listed']} / {second['pull']['pulled']} |",
             f"| API calls (list pages + conversations) | {calls} | {second['pull']['api_calls']} |",
             f"| pull seconds | {first['seconds']['pull']} | {second['seconds']['pull']} |",
             f"| held-out model + index + evaluation seconds | {first['seconds']['evaluation_fit']} | "
             f"{second['seconds']['evaluation_fit']} |",
             f"| final fit seconds (all tickets) | {first['seconds']['fit']} | {second['seconds']['fit']} |",
             f"| similar index seconds | {first['seconds']['index']} | {second['seconds']['index']} |",
             f"| total seconds | {first['seconds']['total']} | {second['seconds']['total']} |", "",
             f"A first pull of this history costs about {calls} API credits plus 2 per list page; with 30 % of the "
             f"budget kept for employees that is about {calls / (400 * (1 - BUDGET_RESERVE)):.0f} minutes on a Pro "
             f"plan (400/min) and {calls / (500 * (1 - BUDGET_RESERVE)):.0f} on Enterprise; later runs read only "
             "what changed.", "",
             f"Held out: {ev['held_out']['rows']} newest tickets (trained on {ev['held_out']['train_rows']}).", "",
             "| field | accuracy | auto coverage | auto precision |", "|---|---|---|---|"]
    for name, f in ev["fields"].items():
        precision = "-" if f["auto_precision"] is None else f"{f['auto_precision']:.3f}"
        lines.append(f"| {name} | {f['accuracy']:.3f} | {f['auto_coverage']:.2f} | {precision} |")
    sim, assignee = ev["similar"], ev["assignee"]
    para = figures["paraphrases"]
    lines += ["",
              f"- Similar tickets, held-out tickets: a past ticket of the same category and sub-category among the top "
              f"{sim['k']}: **{sim['same_kind_hit_rate']:.3f}** ({sim['same_kind_rows']} tickets); of the same group: "
              f"{sim['same_group_hit_rate']:.3f}.",
              f"- Similar tickets, employee paraphrases written before the index (top 3 of the right kind): dev "
              f"{para['dev']:.3f} ({figures['paraphrase_counts']['dev']}), **held-out {para['held_out']:.3f}** "
              f"({figures['paraphrase_counts']['held_out']}); {figures['find_ms']} ms per search.",
              f"- Assignee, held-out tickets with a resolver: the real resolver among the two proposed "
              f"**{assignee['top2_hit_rate']:.3f}** ({assignee['rows']} tickets; skill evidence only, since past "
              f"workload and shifts are unknown) against {assignee['baseline_top2_frequent_resolvers']:.3f} for the "
              "group's two most frequent resolvers.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    config = SandboxConfig(api_key="bench-key", plan="unlimited", knowledge="org")
    with serve(create_app(config)) as base_url, tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(base_url, config.api_key, Path(tmp)))
    text = markdown(figures)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
