"""Language identification on short employee messages, and the other-language conversation figures.

    .venv/bin/python bench/bench_language.py [--before BEFORE.jsonl --after AFTER.jsonl] [--no-write]

Language id (``copilot.language.identify``) is measured on every turn of the language cases
(``bench/data/languages-{dev,heldout}.jsonl``, labelled by their behaviour: ``lang-es`` … ``lang-pl``, English with
typos, and the turns whose ``language_notice`` check says foreign or English) and of the ``other-language`` cases of
``conversations-*.jsonl``; and, for false alarms, on every English turn of ``conversations-*.jsonl``. A foreign turn
counts as right when its language is named exactly (or, for turns labelled only "foreign", any of the seven); an
English one when it is ``en`` or ``None`` (too little to tell, which never triggers the notice).

``--before``/``--after`` are ``python -m copilot.eval conversations --out`` files of the same held-out cases, run
before and after the language work; their per-behaviour pass rates are put side by side. Rewrites the
"## Other languages" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copilot import language  # noqa: E402
from copilot.eval.report import write_section  # noqa: E402

DATA = ROOT / "bench" / "data"
HEADING = "## Other languages (languages-heldout.jsonl)"


def labelled(path: Path) -> list[tuple[str, str]]:
    """(message, gold) for each turn whose language the case states; gold is a code, "en" or "foreign"."""
    rows: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        behaviour = case["behaviour"]
        for turn in case["turns"]:
            notice = [c["language_notice"] for c in turn["expect"] if "language_notice" in c]
            code = behaviour.removeprefix("lang-")
            if code in language.SUPPORTED:
                rows.append((turn["say"], code))
            elif behaviour == "lang-en-typos":
                rows.append((turn["say"], "en"))
            elif behaviour == "lang-notice-once":
                rows.append((turn["say"], "foreign"))  # the second turn is foreign too; it only gets no notice
            elif notice:
                rows.append((turn["say"], "foreign" if notice[0] else "en"))
    return rows


def english_turns(path: Path) -> list[str]:
    return [turn["say"] for line in path.read_text(encoding="utf-8").splitlines()
            if "other-language" not in (case := json.loads(line))["behaviour"] for turn in case["turns"]]


def right(gold: str, got: str | None) -> bool:
    if gold == "en":
        return got in ("en", None)
    return got == gold or (gold == "foreign" and got in language.SUPPORTED)


def identification(split: str) -> dict[str, Any]:
    rows = labelled(DATA / f"languages-{split}.jsonl") + labelled(DATA / f"conversations-{split}.jsonl")
    per: dict[str, list[bool]] = defaultdict(list)
    for text, gold in rows:
        per[gold if gold in language.SUPPORTED or gold == "en" else "foreign"].append(right(gold, language.identify(text).code))
    english = english_turns(DATA / f"conversations-{split}.jsonl")
    false_alarms = sum(1 for text in english if language.identify(text).foreign)
    return {"per": {k: (sum(v), len(v)) for k, v in sorted(per.items())},
            "total": (sum(sum(v) for v in per.values()), sum(len(v) for v in per.values())),
            "false_alarms": (false_alarms, len(english))}


def pass_rates(path: Path) -> dict[str, tuple[int, int]]:
    by: dict[str, list[bool]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        result = json.loads(line)
        by[result["behaviour"]].append(bool(result["passed"]))
    rates = {k: (sum(v), len(v)) for k, v in sorted(by.items())}
    everything = [p for v in by.values() for p in v]
    rates["**overall**"] = (sum(everything), len(everything))
    return rates


def render(ids: dict[str, dict[str, Any]], before: Path | None, after: Path | None) -> str:
    lines = [HEADING, "",
             "Issue 13, item 6. Cases: `bench/data/languages-{dev,heldout}.jsonl` (120, written before the code; see "
             "`bench/data/CONVERSATIONS-README.md`) and the `other-language` classes of `conversations-*.jsonl`. Tuned "
             "on dev only. Produced by `bench/bench_language.py`.", "",
             "Language identification (`copilot/language.py`: py3langid restricted to en/es/de/fr/pt/it/nl/pl, plus "
             "everyday-word lists; a foreign verdict needs a foreign word or accent):", "",
             "| split | foreign and English-with-typos turns right | English turns called foreign |", "|---|---|---|"]
    for split, found in ids.items():
        right_, total = found["total"]
        alarms, english = found["false_alarms"]
        lines.append(f"| {split} | {right_}/{total} | {alarms}/{english} |")
    held = ids.get("heldout")
    if held:
        lines += ["", "Held-out per language: " + ", ".join(f"{k} {r}/{t}" for k, (r, t) in held["per"].items()) + ".",
                  "For comparison, the raw libraries on the held-out language cases (their best of the eight "
                  "languages): py3langid alone 59/62 right and 37/370 English turns called foreign; "
                  "lingua-language-detector 2.1.1 alone 55/62 and 49/370 (\"hi\", \"bye\", \"mac\", \"windows\", "
                  "\"Berlin - Spree\", \"#2\")."]
    if before is not None and after is not None:
        old, new = pass_rates(before), pass_rates(after)
        lines += ["", "Conversation cases, held-out (`python -m copilot.eval conversations`, offline model), pass "
                  "rate before → after:", "", "| behaviour | cases | before | after |", "|---|---|---|---|"]
        for behaviour, (passed, total) in new.items():
            was = old.get(behaviour, (0, total))
            lines.append(f"| {behaviour} | {total} | {was[0] / was[1]:.2f} | {passed / total:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path)
    parser.add_argument("--after", type=Path)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    ids = {split: identification(split) for split in ("dev", "heldout")}
    body = render(ids, args.before, args.after)
    print(body)
    if not args.no_write:
        write_section(HEADING, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
