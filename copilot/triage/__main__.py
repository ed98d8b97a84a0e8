"""``python -m copilot.triage <command>``: the triage commands (``train`` here; the intake adds the worker ones)."""

from __future__ import annotations

import argparse
import sys

from copilot.triage import train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m copilot.triage", description="IT-side ticket triage")
    commands = parser.add_subparsers(dest="command", required=True)
    train.register(commands)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
