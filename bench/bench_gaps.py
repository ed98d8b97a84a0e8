"""Knowledge gaps and recurring issues: how well the clustering finds the topics, dev vs held-out.

Knowledge gaps: the declined questions in ``tests/insights/data/gap_questions_{dev,heldout}.json``
(three topics missing from the Acme KB, several wordings each, plus one-off noise) are clustered at
``clustering.GAP_DISTANCE``. Figures: purity (share of questions whose cluster's majority topic is
their own; a noise question merged into a topic counts against it), groups of two or more (the report
shows those), and per topic the share of its questions in its biggest group. The threshold was chosen
on dev only.

Recurring issues: each burst of ``tests/insights/data/ticket_bursts.json`` (VPN: dev; printing and
Outlook: held-out; eight unrelated tickets) is created in a fresh sandbox on top of its year of
history and the job's detection runs as it does daily. Figures: flagged or not, and how many of the
eight tickets the flagged group holds.

Writes the "Knowledge gaps and recurring issues" section of docs/benchmarks.md (``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copilot.eval.report import write_section  # noqa: E402
from copilot.insights.clustering import GAP_DISTANCE, cluster_labels, default_embed, groups, purity, tidy  # noqa: E402

HEADING = "## Knowledge gaps and recurring issues"
DATA = ROOT / "tests" / "insights" / "data"


def gap_figures(split: str) -> dict[str, Any]:
    questions = json.loads((DATA / f"gap_questions_{split}.json").read_text())["questions"]
    truth = [q["topic"] for q in questions]
    labels = cluster_labels(default_embed([tidy(q["text"]) for q in questions]), GAP_DISTANCE)
    clusters = groups(labels)
    topics = sorted({t for t in truth if not t.startswith("noise")})
    recall = {t: max(sum(truth[r] == t for r in rows) for rows in clusters) / truth.count(t) for t in topics}
    shown = [rows for rows in clusters if len(rows) >= 2]
    mixed = sum(1 for rows in shown if len({truth[r] for r in rows}) > 1)
    return {"questions": len(questions), "purity": purity(labels, truth), "groups": len(shown), "mixed": mixed,
            "recall": recall}


async def burst_figures() -> dict[str, dict[str, Any]]:
    from copilot.insights.recurring import detect_bursts, fetch_tickets
    from sandbox.app import create_app
    from sandbox.config import SandboxConfig
    from tests.servers import serve
    from tools.freshservice import FreshserviceClient, TicketCreate

    data = json.loads((DATA / "ticket_bursts.json").read_text())
    sets = {"vpn (dev)": data["vpn"], "unrelated (dev)": data["unrelated"],
            **{f"{name} (held-out)": tickets for name, tickets in data["heldout_bursts"].items()}}
    results: dict[str, dict[str, Any]] = {}
    for name, tickets in sets.items():
        with serve(create_app(SandboxConfig(api_key="bench", plan="unlimited", knowledge="org"))) as base:
            async with FreshserviceClient(base, "bench") as client:
                emails = []
                async for person in client.iter_requesters():
                    if person.primary_email and person.active:
                        emails.append(person.primary_email)
                    if len(emails) == len(tickets):
                        break
                ids = set()
                for body, email in zip(tickets, emails, strict=True):
                    created = await client.create_ticket(TicketCreate(subject=body["subject"], email=email, status=2,
                                                                      priority=2, description=body["description"]))
                    ids.add(created.id)
                now = datetime.now(UTC) + timedelta(seconds=5)
                items = await fetch_tickets(client, now - timedelta(days=29), now)
                recent = [i for i in items if i.at >= now - timedelta(hours=24)]
                baseline = [i for i in items if i.at < now - timedelta(hours=24)]
                bursts = detect_bursts(recent, baseline, baseline_days=28, window_hours=24)
        held = [len({t.id for t in b.tickets} & ids) for b in bursts]
        results[name] = {"flagged": len(bursts), "held": max(held, default=0), "of": len(tickets),
                         "subjects": [b.subject for b in bursts],
                         "expected": [b.evidence.expected for b in bursts]}
    return results


def render(gaps: dict[str, dict[str, Any]], bursts: dict[str, dict[str, Any]]) -> str:
    load = os.getloadavg()[0]
    lines = [HEADING, "", f"`python bench/bench_gaps.py` — {datetime.now(UTC):%Y-%m-%d}, 1-minute load average {load:.1f} "
             "(figures below are counts, not timings).", "",
             f"Knowledge gaps (declined questions, MiniLM + average-linkage agglomerative, cosine distance "
             f"{GAP_DISTANCE}; chosen on dev):", "",
             "| split | questions | purity | groups of ≥2 (3 topics) | mixed groups | share of each topic in its biggest group |",
             "|---|---|---|---|---|---|"]
    for split, f in gaps.items():
        recall = ", ".join(f"{t} {v:.0%}" for t, v in f["recall"].items())
        lines.append(f"| {split} | {f['questions']} | {f['purity']:.3f} | {f['groups']} | {f['mixed']} | {recall} |")
    lines += ["", "Recurring issues (8 tickets injected within an hour into the sandbox, on top of its history):", "",
              "| burst | flagged groups | tickets in the flagged group | subject |", "|---|---|---|---|"]
    for name, r in bursts.items():
        subject = "; ".join(r["subjects"]) or "–"
        lines.append(f"| {name} | {r['flagged']} | {r['held']} of {r['of']} | {subject} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    gaps = {split: gap_figures(split) for split in ("dev", "heldout")}
    bursts = asyncio.run(burst_figures())
    body = render(gaps, bursts)
    print(body)
    if not args.no_write:
        write_section(HEADING, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
