"""The ONE private note triage writes on a ticket: the proposal as sanitised HTML for the agents.

Every piece of ticket or KB text is escaped (a subject may hold ``<script>``); links are kept only
when they are http(s), and long texts are cut. The note says what the rollout mode did: nothing
(shadow), waiting for a reviewer (assist), or which fields were applied (autonomous).
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlparse

from copilot.triage.proposal import Proposal, ProposalStatus, RolloutMode

FIELD_NAMES = {"type": "Type", "category": "Category", "sub_category": "Sub-category", "item_category": "Item",
               "priority": "Priority", "urgency": "Urgency", "impact": "Impact", "group_id": "Group",
               "responder_id": "Agent"}
TRAIN_HINT = ("Field suggestions, assignees and similar tickets are not available yet: the triage models are not "
              "trained. An administrator trains them from the account's resolved tickets with "
              "<code>python -m copilot.triage train</code>.")
MAX_RESOLUTION = 300
MAX_REPLY = 1500


def _text(value: object, limit: int | None = None) -> str:
    text = " ".join(str(value).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text, quote=True)


def _link(url: str, label: str) -> str:
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return _text(label)
    return f'<a href="{escape(url, quote=True)}" rel="noopener noreferrer">{_text(label)}</a>'


def _mode_line(proposal: Proposal, applied: dict[str, str | int], replied: bool) -> str:
    if proposal.mode == RolloutMode.SHADOW:
        return "Shadow mode: nothing on this ticket was changed."
    if proposal.mode == RolloutMode.ASSIST:
        return "Assist mode: waiting for a reviewer in the triage queue; nothing changes until then."
    parts = ["Autonomous mode:"]
    if proposal.status == ProposalStatus.FAILED:
        parts.append(f"applying the confident fields failed ({_text(proposal.error or 'unknown error', 200)}); "
                     "a reviewer will retry.")
    elif applied:
        names = ", ".join(FIELD_NAMES.get(k, k) for k in applied)
        parts.append(f"applied {_text(names)}.")
        if proposal.status == ProposalStatus.PENDING:
            parts.append("The other suggestions wait for a reviewer.")
    else:
        parts.append("no field was confident enough to apply; a reviewer decides.")
    if replied:
        parts.append("The suggested reply below was sent to the requester.")
    return " ".join(parts)


def render_note(proposal: Proposal, *, trained: bool, applied: dict[str, str | int] | None = None,
                replied: bool = False, kb_available: bool = True) -> str:
    """The note's HTML body (the client appends the idempotency marker)."""
    applied = applied or {}
    out = ["<h3>Copilot triage suggestion</h3>", f"<p><em>{_mode_line(proposal, applied, replied)}</em></p>"]
    if not trained:
        out.append(f"<p>{TRAIN_HINT}</p>")
    if proposal.fields:
        out.append("<table><tr><th>Field</th><th>Suggestion</th><th>Confidence</th></tr>")
        for name, guess in proposal.fields.items():
            label = guess.label or str(guess.value)
            mark = " (applied)" if name in applied else " (sure)" if guess.auto else ""
            out.append(f"<tr><td>{_text(FIELD_NAMES.get(name, name))}</td><td>{_text(label, 120)}</td>"
                       f"<td>{guess.confidence:.0%}{mark}</td></tr>")
        out.append("</table>")
    if proposal.assignees:
        out.append("<p><strong>Suggested assignees</strong></p><ol>")
        for person in proposal.assignees[:2]:
            reasons = "; ".join(_text(r, 120) for r in person.reasons)
            out.append(f"<li>{_text(person.name, 80)}" + (f" — {reasons}" if reasons else "") + "</li>")
        out.append("</ol>")
    if proposal.similar:
        out.append("<p><strong>Similar past tickets</strong></p><ul>")
        for past in proposal.similar[:3]:
            line = _link(past.url, f"#{past.ticket_id} {past.subject}")
            line += f" ({past.similarity:.0%} similar)"
            if past.resolution:
                line += f": {_text(past.resolution, MAX_RESOLUTION)}"
            out.append(f"<li>{line}</li>")
        out.append("</ul>")
    elif trained:
        out.append("<p>No similar past ticket found.</p>")
    if proposal.articles:
        out.append("<p><strong>Knowledge base</strong></p><ul>")
        for article in proposal.articles[:3]:
            out.append(f"<li>{_link(article.url, article.title)}</li>")
        out.append("</ul>")
    elif not kb_available:
        out.append("<p>The knowledge base index is still being built; no articles were searched.</p>")
    if proposal.reply_draft:
        out.append("<p><strong>Suggested first reply</strong></p>")
        paragraphs = [p for p in proposal.reply_draft[:MAX_REPLY].split("\n") if p.strip()]
        out.append("<blockquote>" + "".join(f"<p>{_text(p)}</p>" for p in paragraphs) + "</blockquote>")
    version = proposal.model_version or "none (not trained)"
    out.append(f"<p><small>Model version: {_text(version, 80)} · proposal {_text(proposal.id, 120)}</small></p>")
    return "".join(out)
