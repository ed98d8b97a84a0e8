"""Policy: per-action write modes from config and the escalation triggers."""

from __future__ import annotations

from copilot.policy import EscalationReason, Policy, PolicyConfig, TurnSignals
from tools.context import WriteMode


def test_write_modes_come_from_config() -> None:
    policy = Policy()
    assert policy.mode_for("place_request") is WriteMode.CONFIRM
    assert policy.mode_for("triage_update") is WriteMode.REVIEW
    assert policy.mode_for("something_new") is WriteMode.CONFIRM  # unknown writes need a confirmation
    custom = Policy(PolicyConfig(modes={"place_request": WriteMode.AUTO}))
    assert custom.mode_for("place_request") is WriteMode.AUTO


def test_urgent_words_are_whole_words() -> None:
    policy = Policy()
    assert policy.urgent_match("I think I got a PHISHING email") == "phishing"
    assert policy.urgent_match("email is down for everyone on floor 2") == "down for everyone"
    assert policy.urgent_match("my viruscan popup") is None
    assert policy.urgent_match("how do I set up outlook") is None


def test_escalation_triggers_in_priority_order() -> None:
    policy = Policy()
    assert policy.escalation(TurnSignals(text="hi")) is None
    assert policy.escalation(TurnSignals(asked_for_human=True, failed_turns=5)) is EscalationReason.EXPLICIT_REQUEST
    assert policy.escalation(TurnSignals(text="ransomware note on my screen")) is EscalationReason.URGENT
    assert policy.escalation(TurnSignals(failed_turns=1)) is None
    assert policy.escalation(TurnSignals(failed_turns=2)) is EscalationReason.FAILED_TURNS
    assert policy.escalation(TurnSignals(frustrated_turns=2)) is EscalationReason.FRUSTRATION
    assert policy.escalation(TurnSignals(kb_low_confidence=True)) is EscalationReason.LOW_CONFIDENCE


def test_triggers_are_configurable() -> None:
    config = PolicyConfig.model_validate(
        {"escalation": {"failed_turns": 3, "urgent_words": ["fire"], "offer_on_low_confidence": False}}
    )
    policy = Policy(config)
    assert policy.escalation(TurnSignals(failed_turns=2)) is None
    assert policy.escalation(TurnSignals(text="there is a fire")) is EscalationReason.URGENT
    assert policy.escalation(TurnSignals(text="phishing")) is None
    assert policy.escalation(TurnSignals(kb_low_confidence=True)) is None


def test_frustration_score_reads_cues_shouting_and_punctuation() -> None:
    from copilot.policy import frustration_score

    assert frustration_score("how do I connect to the vpn?") == 0
    assert frustration_score("this is useless, it's STILL NOT WORKING") >= 0.6
    assert frustration_score("WHY DOES NOTHING WORK HERE???") >= 0.6
    assert frustration_score("I'm fed up, this is a waste of my time") >= 0.6


def test_a_report_without_a_subject_or_as_a_worried_question_is_urgent() -> None:
    policy = Policy()
    assert policy.urgent_match("getting mfa prompts i didn't trigger, over and over. am i being hacked?") == "hacked"
    assert policy.urgent_match("am I being hacked? someone logged in from Brazil") == "hacked"
    assert policy.urgent_match("how do I know if I am being hacked?") is None
