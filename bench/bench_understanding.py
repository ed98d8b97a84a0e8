"""Single-message understanding of the offline model: per-class pass rates before/after, and its cost per message.

    .venv/bin/python bench/bench_understanding.py --before BEFORE.jsonl --after AFTER.jsonl \
        [--heldout HELDOUT.jsonl] [--no-write]

``--before``/``--after`` are ``python -m copilot.eval conversations --out`` files of ``conversations-dev.jsonl``
(before and after the understanding work); ``--heldout`` is the same for ``conversations-heldout.jsonl`` after it
(run once, never tuned on). The cost is the time ``OfflineNLU.understand`` takes per message (the English first
turns of the dev cases), with the TF-IDF model alone and with the MiniLM model next to it, wall clock and CPU,
with the machine's load average next to it. Rewrites the "## Single-message understanding" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copilot.eval.report import write_section  # noqa: E402
from copilot.models.offline import OfflineNLU  # noqa: E402

SECTION = "## Single-message understanding (offline model)"
CLASSES = ("it-not-hr", "urgent-howto", "kb-question", "incident-report", "request-start", "ticket-status-by-content",
           "out-of-scope", "urgent-now", "human", "licence", "my-tickets")


def rates(path: Path) -> dict[str, tuple[int, float]]:
    by: dict[str, list[bool]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            result = json.loads(line)
            by[result["behaviour"]].append(bool(result["passed"]))
            by["single turn" if not result["behaviour"].startswith("dialogue-") else "dialogues"].append(
                bool(result["passed"]))
            by["overall"].append(bool(result["passed"]))
    return {name: (len(passed), sum(passed) / len(passed)) for name, passed in by.items()}


def table_rates(path: Path) -> dict[str, tuple[int, float]]:
    """``| behaviour | cases | passed |`` rows of a table ``copilot.eval conversations --doc`` wrote."""
    found: dict[str, tuple[int, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].isdigit():
            found[cells[0]] = (int(cells[1]), float(cells[2]))
    return found


def texts() -> list[str]:
    cases = ROOT / "bench" / "data" / "conversations-dev.jsonl"
    found = []
    for line in cases.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["behaviour"] not in ("other-language", "dialogue-other-language"):
            found.append(case["turns"][0]["say"])
    return found


def timing(nlu: OfflineNLU, messages: list[str]) -> tuple[float, float, float]:
    for message in messages[:20]:
        nlu.understand(message)  # warm-up
    wall, cpu = [], []
    for message in messages:
        started, started_cpu = time.perf_counter(), time.process_time()
        nlu.understand(message)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    return statistics.median(wall), wall[int(0.95 * (len(wall) - 1))], statistics.mean(cpu)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--heldout", type=Path)
    parser.add_argument("--heldout-before-table", type=Path,
                        help="the held-out table `--doc` wrote before the work (markdown, from git history)")
    parser.add_argument("--note", default="", help="a reading of the figures, put under the tables")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    before, after = rates(args.before), rates(args.after)
    heldout = rates(args.heldout) if args.heldout else {}
    old = table_rates(args.heldout_before_table) if args.heldout_before_table else {}
    header = ("| behaviour | dev cases | dev before | dev after |" + (" held-out before |" if old else "")
              + (" held-out after |" if heldout else ""))
    lines = [header, "|---|---|---|---|" + ("---|" if old else "") + ("---|" if heldout else "")]
    for name in (*CLASSES, "single turn", "dialogues", "overall"):
        if name not in after:
            continue
        row = f"| {name} | {after[name][0]} | {before.get(name, (0, 0.0))[1]:.2f} | {after[name][1]:.2f} |"
        if old:
            row += f" {old[name][1]:.2f} |" if name in old else " — |"
        lines.append(row + (f" {heldout[name][1]:.2f} |" if name in heldout else (" — |" if heldout else "")))
    messages = texts()
    load = os.getloadavg()[0]
    lexical = timing(OfflineNLU(semantic=False), messages)
    both = timing(OfflineNLU(), messages)
    cost = ["| model | p50 | p95 | CPU per message |", "|---|---|---|---|",
            f"| TF-IDF alone | {lexical[0]:.1f} ms | {lexical[1]:.1f} ms | {lexical[2]:.1f} ms |",
            f"| TF-IDF + MiniLM (shipped) | {both[0]:.1f} ms | {both[1]:.1f} ms | {both[2]:.1f} ms |"]
    body = (f"{SECTION}\n\nGenerated by `bench/bench_understanding.py` from `python -m copilot.eval conversations --out` "
            "files: dev before and after the issue-13 understanding work (MiniLM model next to TF-IDF, rules on the "
            "message's form, new training phrasings, catalog items found by description)"
            + (", held-out after it (run once at the end, never tuned on)" if heldout else "") + ".\n\n"
            + "\n".join(lines) + f"\n\n`OfflineNLU.understand` per message ({len(messages)} English first turns of the "
            f"dev cases; 1-minute load average {load:.1f} on 2 cores when measured):\n\n" + "\n".join(cost) + "\n"
            + (f"\n{args.note}\n" if args.note else ""))
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
