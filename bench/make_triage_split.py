"""Split ``../shared/data/tickets/endava-train.csv`` into the triage dev and held-out parts (once).

    .venv/bin/python bench/make_triage_split.py [--source PATH] [--seed 11]

Stratified by ``category``: within each category the rows are shuffled with a fixed seed and
``round(20 %)`` of them go to ``bench/data/triage-heldout.csv`` (a category with one row stays in
dev). Rows keep their original order and columns. Deterministic: running it again rewrites the same
two files. See ``bench/data/TRIAGE-README.md``.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "tickets" / "endava-train.csv"
DEV = REPO / "bench" / "data" / "triage-dev-train.csv"
HELDOUT = REPO / "bench" / "data" / "triage-heldout.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(SOURCE))
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--heldout-share", type=float, default=0.2)
    args = ap.parse_args()
    with open(args.source, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_category[row["category"]].append(i)
    rng = random.Random(args.seed)
    heldout: set[int] = set()
    for category in sorted(by_category, key=int):
        idx = by_category[category]
        rng.shuffle(idx)
        heldout.update(idx[: round(len(idx) * args.heldout_share)])
    for path, keep in ((DEV, lambda i: i not in heldout), (HELDOUT, lambda i: i in heldout)):
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(row for i, row in enumerate(rows) if keep(i))
        print(path.relative_to(REPO), sum(1 for i in range(len(rows)) if keep(i)), "rows")


if __name__ == "__main__":
    main()
