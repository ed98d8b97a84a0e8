"""The rollout modes file (YAML/JSON, first match wins, plain-words errors) and the note's sanitising."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.triage.modes import ModesFileError, load_modes
from copilot.triage.note import render_note
from copilot.triage.proposal import AssigneeGuess, FieldGuess, KbLink, Proposal, RolloutMode, SimilarTicket


def test_modes_from_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "modes.yaml"
    yaml_file.write_text("default: assist\nrules:\n  - {type: Incident, category: network, mode: autonomous, "
                         "send_kb_reply: true}\n  - {category: Network, mode: shadow}\n")
    modes = load_modes(yaml_file)
    assert modes.rule_for("incident", "Network").mode == RolloutMode.AUTONOMOUS  # case-insensitive, first match
    assert modes.rule_for("Service Request", "Network").mode == RolloutMode.SHADOW
    assert modes.rule_for("Incident", "Hardware").mode == RolloutMode.ASSIST  # the default
    json_file = tmp_path / "modes.json"
    json_file.write_text('{"rules": [{"category": "Hardware", "mode": "assist"}]}')
    assert load_modes(json_file).rule_for(None, "Hardware").mode == RolloutMode.ASSIST
    assert load_modes(None).rule_for("Incident", "Network").mode == RolloutMode.SHADOW


def test_an_unsure_proposed_category_never_lifts_a_ticket_into_autonomy(tmp_path: Path) -> None:
    path = tmp_path / "modes.yaml"
    path.write_text("rules:\n  - {category: Network, mode: autonomous}\n")
    modes = load_modes(path)
    unsure = {"category": FieldGuess(value="Network", confidence=0.6, auto=False)}
    sure = {"category": FieldGuess(value="Network", confidence=0.99, auto=True)}
    assert modes.choose("Incident", None, unsure).mode == RolloutMode.SHADOW
    assert modes.choose("Incident", None, sure).mode == RolloutMode.AUTONOMOUS
    assert modes.choose("Incident", "Hardware", sure).mode == RolloutMode.SHADOW  # the ticket's own wins


@pytest.mark.parametrize(("name", "content", "words"), [
    ("modes.yaml", "rules:\n  - {category: Network, mode: yolo}\n", "rules.0.mode"),
    ("modes.yaml", "rules: [\n", "not valid YAML"),
    ("modes.json", "{\"rules\": [}", "not valid JSON"),
    ("missing.yaml", None, "Cannot read"),
])
def test_a_bad_modes_file_is_refused_in_plain_words(tmp_path: Path, name: str, content: str | None, words: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(ModesFileError, match=words):
        load_modes(path)


def test_the_note_escapes_ticket_text_and_drops_unsafe_links() -> None:
    proposal = Proposal(
        id="7:ticket_created:2026-11-30T08:00:00Z", ticket_id=7, mode=RolloutMode.ASSIST,
        fields={"category": FieldGuess(value="<b>Net</b>", confidence=0.91, auto=True)},
        assignees=[AssigneeGuess(agent_id=1, name="Eve <img src=x onerror=alert(1)>", score=0.7,
                                 reasons=["resolved 4 similar tickets"])],
        similar=[SimilarTicket(ticket_id=3, subject="VPN \"drops\"", url="javascript:alert(1)", similarity=0.8,
                               resolution="Reinstalled <script>x()</script> the client")],
        articles=[KbLink(title="Connect to the VPN", url="https://acme.example/a/1")],
        reply_draft="Hi Alice,\n<script>bad()</script>")
    html = render_note(proposal, trained=True)
    assert "<script>" not in html and "<img" not in html and "<b>Net</b>" not in html
    assert "javascript:" not in html  # an unsafe link is shown as text only
    assert '<a href="https://acme.example/a/1"' in html
    assert "waiting for a reviewer" in html and "91%" in html and "Eve &lt;img" in html
    untrained = render_note(proposal.model_copy(update={"fields": {}, "similar": [], "assignees": []}), trained=False)
    assert "python -m copilot.triage train" in untrained
