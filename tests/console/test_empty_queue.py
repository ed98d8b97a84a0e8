"""An empty queue says why: after ``make run`` every ticket is in shadow mode and nothing can ever wait
here, which read as "broken" to a newcomer following the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copilot.settings import Settings
from copilot.web import console


def settings(**overrides: object) -> Settings:
    return Settings(env="development", _env_file=None, **overrides)  # type: ignore[call-arg]


def empty_queue(modes: console.ModesView) -> str:
    session: dict[str, Any] = {"name": "Marco Bianchi", "email": "marco.bianchi@acme.example", "csrf": "x"}
    return bytes(console._page("queue.html", session=session, proposals=[], figures=[], modes=modes,
                               flash=[], titles=console.FIELD_TITLES, choices_missing=False, insights=False).body).decode()


def test_shadow_everywhere_says_how_to_get_proposals() -> None:
    modes = console.rollout_modes(settings())
    assert modes.all_shadow
    page = empty_queue(modes)
    assert "Nothing to review" in page and "shadow" in page and "default: assist" in page


def test_assist_somewhere_keeps_the_plain_empty_state(tmp_path: Path) -> None:
    file = tmp_path / "modes.yaml"
    file.write_text("default: shadow\nrules:\n  - {category: Hardware, mode: assist}\n")
    modes = console.rollout_modes(settings(triage_modes_file=file))
    assert not modes.all_shadow
    page = empty_queue(modes)
    assert "New proposals appear here as tickets arrive" in page and "default: assist" not in page
