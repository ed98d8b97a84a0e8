"""Handover and incident tickets say what the problem is (tools/summary.py), not why the copilot gave up."""

from __future__ import annotations

from tools.state import TranscriptEntry
from tools.summary import articles_tried, continues_problem, incident_subject, problem_subject, summary_html


def transcript(*turns: tuple[str, str]) -> list[TranscriptEntry]:
    return [TranscriptEntry(role=role, text=text) for role, text in turns]  # type: ignore[arg-type]


VPN = transcript(
    ("employee", "hi, my vpn keeps disconnecting every few minutes since this morning, can you help?"),
    ("copilot", "From “Connect to the VPN (GlobalProtect)”:\n\n1. Open GlobalProtect…\n\nFull article: https://kb/1"),
    ("employee", "tried that, still the same"),
    ("copilot", "I'm not sure any of them answers it exactly. These articles may help:\n\n"
                "- Working from home: what you need: https://kb/2\n- Office Wi-Fi: ACME-Corp and ACME-Guest: https://kb/3"),
    ("employee", "can I talk to a human please"),
)


def test_subject_is_the_problem_in_the_employees_words() -> None:
    assert problem_subject(VPN) == "VPN keeps disconnecting every few minutes since this morning"


def test_a_rambling_message_gives_its_most_telling_clause_within_the_limit() -> None:
    said = transcript(("employee", "So I came back from holiday yesterday and since then whenever I open Outlook it "
                                   "keeps asking for my password again and again, even after I type it correctly, and "
                                   "my colleague said it might be MFA but I am not sure. Any ideas?"))
    subject = problem_subject(said)
    assert "Outlook" in subject and "password" in subject and len(subject) <= 71


def test_nothing_describing_a_problem_falls_back_instead_of_inventing_one() -> None:
    assert problem_subject(transcript(("employee", "talk to a human"), ("employee", "yes"))) == "employee asked for help"
    assert problem_subject(transcript(("employee", "[pressed escalate]"))) == "employee asked for help"


def test_a_foreign_message_is_kept_as_written() -> None:
    assert problem_subject(transcript(("employee", "Drucker druckt nicht"))) == "Drucker druckt nicht"


def test_articles_tried_come_from_answers_and_suggestions_once_each() -> None:
    assert articles_tried(VPN) == ["Connect to the VPN (GlobalProtect)", "Working from home: what you need",
                                   "Office Wi-Fi: ACME-Corp and ACME-Guest"]


def test_summary_lists_what_was_said_tried_and_why() -> None:
    html = summary_html(VPN, "auto-escalation: failed_turns")
    assert "could not help with the last few messages" in html and "auto-escalation" not in html
    assert "keeps disconnecting" in html and "Article “Connect to the VPN (GlobalProtect)”" in html


def test_incident_subject_prefers_a_short_model_summary_and_repairs_a_useless_one() -> None:
    said = transcript(("employee", "hello, my laptop won't turn on at all since I dropped it"))
    assert incident_subject("Second monitor not detected via the dock", said) == "Second monitor not detected via the dock"
    assert incident_subject("Problem", said) == "Laptop won't turn on at all since I dropped it"


def test_a_message_whose_subject_points_back_continues_the_problem_just_described() -> None:
    for more in ("still the same after a reboot", "but it happens on the office network too", "nope, no change",
                 "this also fails on my phone", "doesn't work at all now"):
        assert continues_problem(more), more
    for new in ("the printer on floor 3 is jammed", "and now outlook crashes", "my laptop screen cracked",
                "no, it is actually the wifi"):
        assert not continues_problem(new), new
