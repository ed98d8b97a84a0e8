""""In the event of …" asks what to do, like "if" does: no urgent handover (issue 13, item 7)."""

from __future__ import annotations

from copilot.policy import Policy


def test_in_the_event_of_is_a_hypothetical() -> None:
    policy = Policy()
    assert policy.urgent_match("in the event of ransomware on my laptop, what are the steps?") is None
    assert policy.urgent_match("there's ransomware on my laptop, what are the steps?") == "ransomware"
