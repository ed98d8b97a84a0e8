"""The urgent-word shortcut fires for incidents happening now, not for how-to or hypothetical questions.

Written before the rule was changed (issue "Secure by default…", item 2d) and not tuned afterwards:
``URGENT`` are first-person reports of something that is happening or just happened; ``NOT_URGENT`` are
questions, how-tos and hypotheticals that belong to the knowledge base even though they carry a
security word. The figures before/after the change are in the commit message and the issue note.
"""

from __future__ import annotations

import pytest

from copilot.policy import Policy

URGENT = [
    "I clicked a phishing link",
    "I clicked a phishing link and typed my password",
    "my laptop was stolen",
    "My laptop was stolen from my car last night",
    "I think I have a virus, files are encrypted",
    "I just opened an attachment and now all my files are encrypted",
    "I think I got a phishing email and I opened the link",
    "someone has hacked my email account, it is sending spam",
    "My account was compromised, I see logins from Brazil",
    "there's ransomware on my PC, a ransom note is on the screen",
    "I got an email asking for my password and I gave it, was that phishing?",
    "email is down for everyone on floor 2",
    "I lost my laptop on the train this morning",
    "my phone with the authenticator app was stolen",
    "Help! I downloaded something and the antivirus says malware was found",
    "I'm getting a virus warning popup that won't close",
    "we have a data leak: the customer list is on a public share",
    "I entered my credentials on a fake login page, I think it was phishing",
    "My computer is infected with a virus, it keeps opening windows",
    "I accidentally clicked a suspicious link in a Teams message, what should I do?",
    "our shared drive got hit by ransomware",
    "the VPN is down for everyone in the Berlin office",
]

NOT_URGENT = [
    "how do I report a phishing email?",
    "how do I scan for a virus?",
    "what should I do if I ever lose my laptop?",
    "How can I tell if an email is phishing?",
    "what is ransomware?",
    "Is there a phishing training I can take?",
    "where is the policy for a stolen laptop?",
    "how to spot a suspicious link",
    "If my laptop was stolen, who would I call?",
    "what happens if I click a phishing link?",
    "Which antivirus do we use to protect against malware?",
    "how do I run a virus scan on my Mac",
    "can you explain what a data breach is",
    "What is the process in case of a data leak?",
    "Do we have a guide on recognising phishing emails?",
    "how do I update the virus definitions",
    "should I report phishing emails to IT or delete them?",
    "is there a way to check whether my password was in a breach",
    "what would happen if my account got hacked?",
    "tips for keeping my laptop safe from malware",
    "how do I forward a suspicious email to security",
    "when is the next security awareness session about phishing",
]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy()


@pytest.mark.parametrize("text", URGENT)
def test_reports_of_an_incident_now_are_urgent(policy: Policy, text: str) -> None:
    assert policy.urgent_match(text) is not None, text


@pytest.mark.parametrize("text", NOT_URGENT)
def test_questions_and_hypotheticals_are_not_urgent(policy: Policy, text: str) -> None:
    assert policy.urgent_match(text) is None, text


def test_the_rule_is_deterministic_and_reports_the_word(policy: Policy) -> None:
    assert policy.urgent_match("I clicked a phishing link") == "phishing"
    assert all(policy.urgent_match(t) == policy.urgent_match(t) for t in URGENT + NOT_URGENT)
