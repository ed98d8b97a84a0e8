"""Resolution summaries: when a ticket is resolved, a draft of problem, cause, fix and links for an agent
to approve as a private note (the next similar ticket then starts from it).

Offline the summary is *extractive*: sentences are taken verbatim from the ticket and its agent
conversations, scored by cue words (what the requester reported; "because", "root cause", "expired"
for the cause; "reset", "reinstalled", "granted" for the fix), a numbered or bulleted list of steps
is kept whole, and links are kept as plain text (never images). With an LLM configured
(``COPILOT_MODEL`` other than ``offline``) the same material is summarised *abstractively* by that
model; it is still a draft, links it mentions are kept only if they appear in the conversation, and
anything unusable falls back to the extractive summary.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from copilot import logs
from copilot.knowledge.text import html_to_text, sanitize_html
from copilot.triage.history import META_SOURCE, OWN_NOTE, STATUS_SOURCE, resolution_from
from tools.freshservice import Conversation, FreshserviceClient, Ticket

log = logs.get_logger(__name__)

MAX_PROBLEM_CHARS = 400
MAX_CAUSE_CHARS = 400
MAX_FIX_CHARS = 600
MAX_STEPS = 12
MAX_LINKS = 8
MAX_LLM_INPUT_CHARS = 6000

PROBLEM_CUES = re.compile(r"\b(error|cannot|can't|cant|unable|not working|doesn't|does not|won't|fails?|failed|"
                          r"broken|crash(?:es|ed)?|stuck|slow|denied|locked|lost|missing|expired|no longer)\b", re.I)
CAUSE_CUES = re.compile(r"\b(because|caused by|root cause|due to|turned out|the (?:issue|problem|cause) was|"
                        r"was caused|expired|misconfigured|corrupt(?:ed)?|outdated|conflict(?:ing)?|"
                        r"not (?:licensed|assigned|enrolled|synced))\b", re.I)
FIX_CUES = re.compile(r"\b(fixed|resolved|solved|reset|reinstall(?:ed)?|re-?enrolled|replaced|restarted|rebooted|"
                      r"cleared|granted|unlocked|updated|upgraded|reconfigured|re-?added|removed|renewed|assigned|"
                      r"installed|enabled|disabled|moved|restored|recreated|workaround|solution|the fix)\b", re.I)
# Pleasantries and questions agents write around the substance.
FILLER = re.compile(r"^(hi|hello|dear|thanks|thank you|regards|best|cheers|kind regards)\b|let me know|"
                    r"could you (?:try|check|confirm)|is it working|please confirm|looking into it|"
                    r"i'?ll (?:check|look)|\?$", re.I)
URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
HREF = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"'](https?://[^\"'\s>]+)[\"']", re.I)
IMAGE_URL = re.compile(r"\.(?:png|jpe?g|gif|bmp|svg|webp)(?:\?|$)", re.I)
LIST_LINE = re.compile(r"^\s*(?:-|\*|•|\d{1,2}[.)])\s+(.+)$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


class ResolutionSummary(BaseModel):
    """A draft resolution summary of one ticket, for an agent to approve as a private note."""

    ticket_id: int
    subject: str = ""
    problem: str = ""
    cause: str = ""
    fix: str = ""
    steps: list[str] = Field(default_factory=list)  # a list of steps from the conversation, kept whole
    links: list[str] = Field(default_factory=list)  # plain-text URLs found in the conversation
    method: Literal["extractive", "llm"] = "extractive"
    model: str = ""  # the LLM that wrote it (method "llm")
    draft: bool = True  # always: an agent approves it before it becomes a note

    @property
    def empty(self) -> bool:
        return not (self.cause or self.fix or self.steps)


class _Block(BaseModel):
    sentences: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)


def _blocks(text: str) -> list[_Block]:
    """Paragraphs as sentences; runs of list lines as one list block (kept whole)."""
    blocks: list[_Block] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current = _Block()
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            if match := LIST_LINE.match(line):
                if current.sentences:
                    blocks.append(current)
                    current = _Block()
                current.steps.append(match.group(1).strip())
                continue
            if current.steps:
                blocks.append(current)
                current = _Block()
            current.sentences.extend(s.strip() for s in SENTENCE_END.split(line.strip()) if s.strip())
        if current.sentences or current.steps:
            blocks.append(current)
    return blocks


def _conversation_text(conversation: Conversation) -> str:
    return html_to_text(conversation.body) if conversation.body else (conversation.body_text or "").strip()


def _agent_side(conversations: Iterable[Conversation], requester_id: int | None) -> list[Conversation]:
    kept = []
    for c in conversations:
        if c.incoming or c.source in (STATUS_SOURCE, META_SOURCE):
            continue
        if requester_id is not None and c.user_id == requester_id:
            continue
        if OWN_NOTE.search(c.body or "") or OWN_NOTE.search(c.body_text or ""):
            continue
        kept.append(c)
    return kept


def links_in(conversations: Iterable[Conversation]) -> list[str]:
    """http(s) links written in the conversations (anchors and bare URLs), never images."""
    found: list[str] = []
    for c in conversations:
        raw = c.body or ""
        candidates = HREF.findall(raw) + URL.findall(html_to_text(raw) if raw else (c.body_text or ""))
        for url in candidates:
            url = html.unescape(url).rstrip(".,;:")
            if IMAGE_URL.search(url) or url in found:
                continue
            found.append(url)
    return found[:MAX_LINKS]


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _best(sentences: list[tuple[int, float, str]], cue: re.Pattern[str], limit: int, *, exclude: set[str]) -> str:
    """The two highest-scoring sentences (cue words; the resolution message and later ones win ties),
    in their original order."""
    scored = []
    for position, bonus, sentence in sentences:
        if sentence in exclude or FILLER.search(sentence):
            continue
        hits = len(cue.findall(sentence))
        if hits:
            scored.append((hits + bonus + position * 1e-3, position, sentence))
    chosen = sorted(sorted(scored, reverse=True)[:2], key=lambda s: s[1])
    return _clip(" ".join(s for _, _, s in chosen), limit)


def extractive_summary(ticket: Ticket, conversations: list[Conversation]) -> ResolutionSummary:
    """The offline summary: sentences and lists taken verbatim from the ticket and its agents' messages."""
    description = (ticket.description_text or html_to_text(ticket.description or "")).strip()
    reported = [s for b in _blocks(description) for s in b.sentences]
    if not reported:  # e.g. an emailed ticket whose text came as the first incoming message
        first = next((c for c in conversations if c.incoming), None)
        reported = [s for b in _blocks(_conversation_text(first)) for s in b.sentences] if first else []
    cue_first = sorted(reported, key=lambda s: not PROBLEM_CUES.search(s))
    problem = _clip(" ".join(cue_first[:2]) if cue_first else (ticket.subject or ""), MAX_PROBLEM_CHARS)

    agents = _agent_side(conversations, ticket.requester_id)
    resolution = resolution_from(conversations, requester_id=ticket.requester_id,
                                 resolution_notes=getattr(ticket, "resolution_notes", None))
    sentences: list[tuple[int, float, str]] = []
    steps: list[str] = []
    anchor = re.sub(r"\s+", " ", resolution)[:60]
    for conversation in agents:
        text = _conversation_text(conversation)
        is_resolution = bool(anchor) and anchor in re.sub(r"\s+", " ", text)
        for block in _blocks(text):
            for sentence in block.sentences:
                sentences.append((len(sentences), 0.5 if is_resolution else 0.0, sentence))
            if block.steps and (not steps or is_resolution or FIX_CUES.search(" ".join(block.steps))):
                steps = block.steps[:MAX_STEPS]
    cause = _best(sentences, CAUSE_CUES, MAX_CAUSE_CHARS, exclude=set())
    fix = _best(sentences, FIX_CUES, MAX_FIX_CHARS, exclude=set(SENTENCE_END.split(cause)) if cause else set())
    if not fix and not steps and resolution:
        fix = _clip(resolution, MAX_FIX_CHARS)
    return ResolutionSummary(ticket_id=ticket.id, subject=ticket.subject or "", problem=problem, cause=cause, fix=fix,
                             steps=steps, links=links_in(agents), method="extractive")


# -- with an LLM -------------------------------------------------------------------------------------------

SYSTEM_PROMPT = (
    "You summarise how an IT support ticket was resolved, for the IT team's knowledge. Answer with one JSON "
    "object and nothing else: {\"problem\": str, \"cause\": str, \"fix\": str, \"steps\": [str], \"links\": [str]}. "
    "problem: what the requester reported, one or two sentences. cause: the root cause if the agents said it, "
    "else \"\". fix: what resolved it, one to three sentences. steps: the concrete steps if the agents listed "
    "them, else []. links: only URLs that appear in the conversation. No names, no greetings, no invented facts."
)


def parse_llm_summary(text: str, base: ResolutionSummary, *, model_name: str) -> ResolutionSummary | None:
    """The LLM's JSON answer as a summary (links limited to those in the conversation), or None if unusable."""
    match = re.search(r"\{.*\}", text or "", re.S)
    if not match:
        return None
    try:
        data: Any = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("fix"), str) or not data["fix"].strip():
        return None
    steps = [str(s).strip() for s in data.get("steps") or [] if str(s).strip()][:MAX_STEPS]
    links = [str(u).strip() for u in data.get("links") or [] if str(u).strip() in base.links]
    return ResolutionSummary(
        ticket_id=base.ticket_id, subject=base.subject,
        problem=_clip(str(data.get("problem") or base.problem), MAX_PROBLEM_CHARS),
        cause=_clip(str(data.get("cause") or ""), MAX_CAUSE_CHARS), fix=_clip(data["fix"], MAX_FIX_CHARS),
        steps=steps, links=links or base.links, method="llm", model=model_name)


async def _abstractive(ticket: Ticket, conversations: list[Conversation], base: ResolutionSummary,
                       model: Any) -> ResolutionSummary | None:
    from autogen_core.models import SystemMessage, UserMessage

    parts = [f"Subject: {ticket.subject or ''}",
             f"Reported: {(ticket.description_text or html_to_text(ticket.description or ''))[:1500]}"]
    for c in conversations:
        if c.source in (STATUS_SOURCE, META_SOURCE) or OWN_NOTE.search(c.body or ""):
            continue
        who = "Requester" if c.incoming or c.user_id == ticket.requester_id else (
            "Agent (private note)" if c.private else "Agent")
        parts.append(f"{who}: {_conversation_text(c)}")
    material = "\n\n".join(parts)[:MAX_LLM_INPUT_CHARS]
    result = await model.create([SystemMessage(content=SYSTEM_PROMPT), UserMessage(content=material, source="ticket")])
    content = result.content if isinstance(result.content, str) else ""
    name = str(getattr(model, "model_info", {}).get("family", "") or type(model).__name__)
    return parse_llm_summary(content, base, model_name=name)


async def summarise(ticket_id: int, client: FreshserviceClient, model: Any | None = None) -> ResolutionSummary:
    """Draft the resolution summary of ``ticket_id`` from its conversations (``model``: an AutoGen chat
    client for an abstractive summary; None or a failure: extractive)."""
    ticket = await client.get_ticket(ticket_id)
    conversations = [c async for c in client.iter_conversations(ticket_id)]
    base = extractive_summary(ticket, conversations)
    if model is None:
        return base
    try:
        written = await _abstractive(ticket, conversations, base, model)
    except Exception as error:  # noqa: BLE001 - any model failure leaves the extractive draft
        log.warning("triage_summary_llm_failed", ticket_id=ticket_id, error=type(error).__name__)
        return base
    return written or base


def summary_model(settings: Any) -> Any | None:
    """The configured LLM for abstractive summaries, or None offline (the offline model only chats)."""
    if getattr(settings, "model", "offline") == "offline":
        return None
    from copilot.models.factory import build_model_client

    return build_model_client(settings)


def to_note_html(summary: ResolutionSummary) -> str:
    """The summary as a private note body: sanitised HTML, every value escaped, links as text."""
    e = html.escape
    label = "LLM draft" if summary.method == "llm" else "extractive draft"
    parts = [f"<p><strong>Resolution summary</strong> ({label} for review)</p>"]
    if summary.problem:
        parts.append(f"<p><strong>Problem:</strong> {e(summary.problem)}</p>")
    if summary.cause:
        parts.append(f"<p><strong>Cause:</strong> {e(summary.cause)}</p>")
    if summary.fix:
        parts.append(f"<p><strong>Fix:</strong> {e(summary.fix)}</p>")
    if summary.steps:
        parts.append("<ol>" + "".join(f"<li>{e(s)}</li>" for s in summary.steps) + "</ol>")
    if summary.links:
        parts.append("<p><strong>Links:</strong></p><ul>" + "".join(f"<li>{e(u)}</li>" for u in summary.links) + "</ul>")
    return sanitize_html("".join(parts))


__all__ = ["ResolutionSummary", "extractive_summary", "parse_llm_summary", "summarise", "summary_model",
           "to_note_html"]
