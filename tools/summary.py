"""What a handover or incident ticket says about the conversation, so the IT agent needn't read all of it.

Offline and extractive: the **subject** is the employee's own words that best describe the problem (the
message and sentence with the most problem words and IT nouns, greetings, pleas and "can you help" cut,
at most :data:`MAX_SUBJECT` characters) — "VPN keeps disconnecting every few minutes", not
"auto-escalation: failed_turns" and not a whole rambling first message. The **description** lists what
the employee said, what the copilot tried (the articles it showed, from its own replies), and why it
hands over; the full transcript follows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from tools.patterns import confirmation
from tools.state import TranscriptEntry

MAX_SUBJECT = 70
MAX_SAID = 6  # employee messages listed in the summary
MAX_SAID_CHARS = 300

PROBLEM_WORDS = re.compile(
    r"\b(not|no longer|never|can'?t|cannot|won'?t|doesn'?t|isn'?t|aren'?t|didn'?t|unable|error|errors|fail\w*|broken|"
    r"broke|keeps?|kept|stopped|stuck|slow|crash\w*|freez\w*|frozen|disconnect\w*|drops?|dropping|down|locked|denied|"
    r"missing|lost|stolen|issue|problem|black|blank|jam\w*|expired|wrong|hacked|phishing|virus|blocked|"
    r"keeps asking)\b", re.I)
IT_NOUNS = re.compile(
    r"\b(vpn|wi-?fi|internet|network|outlook|e-?mail|teams|zoom|laptop|computer|pc|mac|screen|monitor|dock\w*|"
    r"printer|print\w*|password|account|login|log in|sign in|mfa|authenticator|phone|headset|keyboard|mouse|"
    r"onedrive|sharepoint|drive|folder|excel|word|office|licen[cs]e|software|app|jira|salesforce|adobe|acrobat|"
    r"globalprotect|camera|microphone|audio|battery|charger|usb|ticket)\b", re.I)
ASK_FOR_PERSON = re.compile(
    r"\b(human|person|someone|somebody|agent|real people|service desk|helpdesk|help desk|call me|talk to|speak to|"
    r"speak with|talk with)\b", re.I)
SMALL_TALK = re.compile(r"^\W*(hi|hello|hey|thanks|thank you|thx|ok|okay|bye|good (morning|afternoon|evening))\W*$", re.I)
LEADING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|morning|good (?:morning|afternoon|evening)|so|ok(?:ay)?|um+|uh+|well|please|pls|"
    r"sorry|help|urgent|quick question|(?:can|could) (?:you|someone) (?:please )?help(?: me)?(?: with)?|"
    r"i need (?:some )?help(?: with)?|i have an? (?:issue|problem)(?: with)?|(?:please )?(?:open|create|raise|log|file)"
    r" (?:a |an )?(?:ticket|incident)(?: for| about)?|it'?s|there'?s)[\s,.:!-]+)+", re.I)
TRAILING = re.compile(
    r"(?:[\s,.;:!-]+(?:please|pls|thanks|thank you|thx|any ideas|(?:can|could) (?:you|someone) (?:please )?help"
    r"(?: me)?|help|asap|urgent(?:ly)?|what (?:should|do|can) i do|what now)\W*)+$", re.I)
CLAUSE = re.compile(r",\s+|;\s+|\s+(?:and|but|because|although|though|so)\s+(?:since then\s+|now\s+)?", re.I)
ACRONYMS = {"vpn": "VPN", "mfa": "MFA", "sso": "SSO", "usb": "USB", "pc": "PC", "wifi": "Wi-Fi", "wi-fi": "Wi-Fi",
            "it": "IT", "os": "OS", "pdf": "PDF"}
ARTICLE_ANSWER = re.compile(r"^From “(?P<title>[^”]+)”:", re.M)
ARTICLE_LINK = re.compile(r"^- (?P<title>[^\n]+?): https?://", re.M)
REASONS = {
    "auto-escalation: failed_turns": "The copilot could not help with the last few messages (automatic handover).",
    "auto-escalation: frustration": "The employee seemed frustrated (automatic handover).",
    "employee asked for a person": "The employee asked for a person.",
}


def _score(text: str) -> int:
    return 2 * len(PROBLEM_WORDS.findall(text)) + len(IT_NOUNS.findall(text))


def _describes_problem(text: str) -> bool:
    """An employee message worth taking the subject from (not a button, a yes, a greeting or a plea for a person)."""
    stripped = text.strip()
    if not stripped or stripped.startswith("[pressed") or SMALL_TALK.match(stripped) or confirmation(stripped) is not None:
        return False
    if ASK_FOR_PERSON.search(stripped) and _score(ASK_FOR_PERSON.sub(" ", stripped)) == 0:
        return False
    return len(stripped.split()) >= 2 or _score(stripped) > 0


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" \t\"'“”")
    for _ in range(3):
        text = LEADING.sub("", text).strip()
        text = TRAILING.sub("", text).strip()
    text = re.sub(r"^(?:my|our|the)\s+", "", text, flags=re.I).rstrip(" .!?,;:-")
    words = [ACRONYMS.get(w.lower(), w) if w.lower() in ACRONYMS and w.lower() != "it" else w for w in text.split(" ")]
    text = " ".join(words)
    if len(text) > MAX_SUBJECT:
        cut = text[:MAX_SUBJECT].rsplit(" ", 1)[0].rstrip(" ,;:-")
        text = cut + "…"
    return text[:1].upper() + text[1:]


def problem_subject(transcript: Sequence[TranscriptEntry], extra: Sequence[str] = (),
                    fallback: str = "employee asked for help") -> str:
    """The employee's problem in a few of their own words, from what they wrote (``extra`` first, e.g. a
    summary the model proposed); ``fallback`` when nothing they wrote describes a problem."""
    said = [*extra, *(e.text for e in transcript if e.role == "employee")]
    candidates = [t for t in said if _describes_problem(t)]
    if not candidates:
        return fallback
    best = max(candidates, key=lambda t: (_score(t), -candidates.index(t)))
    sentences = [s for s in re.split(r"(?<=[.!?;])\s+|\s+[-–—]\s+|\n+", best) if s.strip()]
    if sentences:
        best = max(sentences, key=lambda s: (_score(s), -sentences.index(s)))
    if len(best.strip()) > MAX_SUBJECT + 10:  # a long sentence: its most telling clause
        clauses = [c for c in CLAUSE.split(best) if c and c.strip()]
        best = max(clauses, key=lambda c: (_score(c), -clauses.index(c)))
    subject = _tidy(best)
    return subject if len(subject) >= 3 else fallback


# A message whose subject points back at the problem just described ("it still doesn't work", "still broken",
# "same thing after a restart", "this happens at home too"): more detail on that problem, not a new one.
CONTINUES = re.compile(r"^\W*(?:(?:but|and|yeah|yes|ok(?:ay)?|well|sorry|also|now|plus|nope)\W+)*"
                       r"(?:it|it'?s|its|this|that|still|same|again|nothing|doesn'?t|does\s+not|won'?t|will\s+not|"
                       r"not\s+(?:working|fixed)|no\s+(?:change|luck|difference))\b", re.I)


def continues_problem(text: str) -> bool:
    """The message adds to the problem already described instead of naming a new one."""
    return bool(CONTINUES.match(text)) and len(text.split()) <= 25


def incident_subject(summary: str, transcript: Sequence[TranscriptEntry]) -> str:
    """An incident's subject: the model's own short summary when it is one, else :func:`problem_subject`."""
    own = _tidy(summary) if summary.strip() else ""
    if own and len(summary.strip()) <= MAX_SUBJECT and len(summary.split()) >= 3 and _score(summary) > 0 \
            and _describes_problem(summary):
        return own
    return problem_subject(transcript, extra=[summary] if summary.strip() else [],
                           fallback=own or "Problem reported through the IT copilot")


def articles_tried(transcript: Sequence[TranscriptEntry]) -> list[str]:
    """Titles of the knowledge articles the copilot answered with or suggested, in order, once each."""
    titles: list[str] = []
    for entry in transcript:
        if entry.role != "copilot":
            continue
        for match in [*ARTICLE_ANSWER.finditer(entry.text), *ARTICLE_LINK.finditer(entry.text)]:
            title = match.group("title").strip()
            if title not in titles:
                titles.append(title)
    return titles


def reason_words(reason: str) -> str:
    """Why the copilot hands over, in words an IT agent reads (automatic rules have codes)."""
    return REASONS.get(reason.strip(), reason.strip() or "The employee asked for help.")


def summary_html(transcript: Sequence[TranscriptEntry], reason: str) -> str:
    """The summary block of a handover or incident description: said, tried, why."""
    said = [e.text for e in transcript if e.role == "employee" and not e.text.startswith("[pressed")]
    said = said[-MAX_SAID:]
    items = "".join(f"<li>{escape(t if len(t) <= MAX_SAID_CHARS else t[:MAX_SAID_CHARS] + '…')}</li>" for t in said)
    tried = articles_tried(transcript)
    tried_html = ("<ul>" + "".join(f"<li>Article “{escape(t)}”</li>" for t in tried) + "</ul>" if tried
                  else "<p>No knowledge article was shown.</p>")
    return (f"<p><b>Why it is handed over:</b> {escape(reason_words(reason))}</p>"
            f"<p><b>What the employee said:</b></p><ul>{items or '<li>(nothing yet)</li>'}</ul>"
            f"<p><b>What the copilot tried:</b></p>{tried_html}")
