"""One gate for every write, and the rules that decide when to hand over to a person.

Writes run in one of three modes, set per action in config: ``auto`` (just do it), ``confirm``
(the employee confirms the exact payload first — the default for employee-initiated writes) or
``review`` (an IT reviewer approves it; used by triage). Escalation triggers are data, not prompt
text, so an IT team can tune them without touching code.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field

from tools.context import WriteMode


class EscalationReason(StrEnum):
    LOW_CONFIDENCE = "low_confidence"
    EXPLICIT_REQUEST = "explicit_request"
    FAILED_TURNS = "failed_turns"
    URGENT = "urgent"
    FRUSTRATION = "frustration"


DEFAULT_URGENT_WORDS = (
    "phishing", "phish", "breach", "ransomware", "ransom", "malware", "virus", "hacked", "compromised",
    "outage", "down for everyone", "suspicious link", "stolen laptop", "data leak", "stolen", "encrypted",
    "infected", "lost my laptop", "lost my phone",
)

# An urgent word only counts in a *report* of something happening now or that just happened: a clause
# in the first person (or about "my/our" things) in the past or present tense, that is neither a
# question nor a hypothetical. "how do I report phishing?" and "what should I do if I ever lose my
# laptop?" go to the knowledge base; "I clicked a phishing link, what should I do?" is a report.
CLAUSE_SPLIT = re.compile(r"[.!?;:\n]+|,\s*|\s+-\s+|\b(?:and|but|so)\s+(?=(?:i|we|my|our|now)\b)", re.I)
QUESTION_START = re.compile(
    r"^\s*(?:help\W*)?(?:how|what|what's|where|when|who|which|why|can|could|should|shall|is|are|do|does|did|will|"
    r"would|may|might|any|tips|explain|tell me)\b", re.I)
HYPOTHETICAL = re.compile(
    r"\b(?:if|in case|in the event|ever|suppose|supposing|hypothetically|would|could|might|what happens|"
    r"how (?:do|can|to|should))\b",
    re.I)
REPORT = re.compile(
    r"\b(?:i|we)\s+(?:just\s+|accidentally\s+|think\s+(?:i|we)\s+|may\s+have\s+|might\s+have\s+)?"
    r"(?:clicked|opened|downloaded|installed|entered|typed|gave|got|received|lost|left|have|had|see|saw|"
    r"can'?t|cannot)\b"
    r"|\b(?:i'?m|i am|we'?re|we are)\s+(?:getting|seeing|locked|infected|being|under)\b"
    r"|^\s*(?:(?:still|now|suddenly|keep)\s+)?(?:getting|seeing|receiving)\b"  # chat style, no subject: "getting mfa prompts"
    r"|\bam\s+i\s+being\b|\b(?:i|we)\s+(?:didn'?t|did\s+not|never)\s+(?:trigger|request|approve|start|send|make)\b"
    r"|\b(?:my|our)\b[\w\s-]{0,40}?\b(?:was|were|is|are|has been|have been|got|has|keeps?)\b"
    r"|\b\w+\s+(?:is|are|went)\s+down\b"
    r"|\b(?:someone|somebody|a hacker)\s+(?:has|have|is|stole|took|hacked|logged|accessed|used)\b"
    r"|\bthere(?:'s| is| are)\s+(?:a|an|some)\b"
    r"|\b(?:on|in)\s+(?:my|our)\s+(?:screen|pc|laptop|computer|inbox|account|phone|machine|desktop)\b"
    r"|\b(?:was|were|been|got)\s+(?:stolen|hacked|compromised|encrypted|infected|found)\b",
    re.I)


def is_report(text: str) -> bool:
    """Does ``text`` report something happening now (vs. ask how to, or ask "what if")?"""
    for clause in CLAUSE_SPLIT.split(text):
        clause = (clause or "").strip()
        if clause and REPORT.search(clause) and not QUESTION_START.search(clause) and not HYPOTHETICAL.search(clause):
            return True
    return False


FRUSTRATION_CUES = (
    r"\buseless\b", r"\bnot helping\b", r"\bdoesn'?t help\b", r"\bwaste of (my )?time\b", r"\bridiculous\b",
    r"\bterrible\b", r"\bstupid\b", r"\bfed up\b", r"\bstill (not|doesn'?t|isn'?t|won'?t)\b",
    r"\bagain\?*!+", r"\bwhy (won'?t|doesn'?t|can'?t) (it|you)\b", r"\bannoy", r"\bfrustrat", r"\bsick of\b",
)


def frustration_score(text: str) -> float:
    """How frustrated a message sounds, 0..1: known phrases, shouting, repeated "!" or "?"."""
    lowered = text.lower()
    cues = sum(1 for cue in FRUSTRATION_CUES if re.search(cue, lowered))
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    punctuation = bool(re.search(r"[!?]{3,}", text))
    return min(1.0, 0.45 * cues + 0.35 * shouting + 0.25 * punctuation)


class EscalationConfig(BaseModel):
    offer_on_low_confidence: bool = True
    on_explicit_request: bool = True
    failed_turns: int = Field(2, ge=1, description="consecutive turns the copilot could not help")
    urgent_words: tuple[str, ...] = DEFAULT_URGENT_WORDS
    frustration_threshold: float = Field(0.6, ge=0, le=1)
    frustration_turns: int = Field(2, ge=1, description="frustrated turns in a row before escalating")


class PolicyConfig(BaseModel):
    default_mode: WriteMode = WriteMode.CONFIRM
    modes: dict[str, WriteMode] = Field(
        default_factory=lambda: {
            "place_request": WriteMode.CONFIRM,
            "create_incident": WriteMode.CONFIRM,
            "escalate_to_human": WriteMode.AUTO,  # the employee asked, or a trigger fired
            "urgent_escalation": WriteMode.AUTO,  # a report of an incident happening now: a person at once (audited);
            # set it to confirm to ask the employee first
            "add_handover_note": WriteMode.AUTO,  # the employee's own words onto their own ticket
            "triage_update": WriteMode.REVIEW,
            "triage_autonomous": WriteMode.AUTO,  # autonomous rollout rules may write; review turns them all into assist
        }
    )
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)


class TurnSignals(BaseModel):
    """What one turn told us, as the engine observed it."""

    text: str = ""
    asked_for_human: bool = False
    kb_low_confidence: bool = False
    failed_turns: int = 0  # consecutive, including this one
    frustrated_turns: int = 0  # consecutive, including this one


class Policy:
    """The write gate the tools ask (``tools.context.WriteGate``) and the escalation rules the engine applies."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        self.config = config or PolicyConfig()
        words = sorted(self.config.escalation.urgent_words, key=len, reverse=True)
        self._urgent = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I) if words else None

    def mode_for(self, action: str) -> WriteMode:
        return self.config.modes.get(action, self.config.default_mode)

    def urgent_word(self, text: str) -> str | None:
        """The urgent or security word in ``text``, if any (whatever the sentence around it)."""
        match = self._urgent.search(text) if self._urgent else None
        return match.group(1).lower() if match else None

    def urgent_match(self, text: str) -> str | None:
        """The urgent word of a report of an incident happening now; None for how-to or "what if" questions."""
        word = self.urgent_word(text)
        return word if word is not None and is_report(text) else None

    def escalation(self, signals: TurnSignals) -> EscalationReason | None:
        """The strongest reason to involve a person after this turn, or None."""
        rules = self.config.escalation
        if rules.on_explicit_request and signals.asked_for_human:
            return EscalationReason.EXPLICIT_REQUEST
        if self.urgent_match(signals.text):
            return EscalationReason.URGENT
        if signals.failed_turns >= rules.failed_turns:
            return EscalationReason.FAILED_TURNS
        if signals.frustrated_turns >= rules.frustration_turns:
            return EscalationReason.FRUSTRATION
        if rules.offer_on_low_confidence and signals.kb_low_confidence:
            return EscalationReason.LOW_CONFIDENCE
        return None
