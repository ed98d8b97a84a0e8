"""A reviewer's decision on a proposal, made exactly once, and the acceptance figures decisions feed.

The reviewer queue (``copilot/web/console.py``) calls :func:`decide` for each proposal a reviewer
approves, edits or rejects. Two clicks, two tabs or two reviewers on the same proposal write at most
once: a short Redis lock per proposal serialises them, and inside it a proposal that is no longer
pending (or failed, which may be retried) is left alone. The write itself is
:func:`copilot.triage.dispatch.apply` (one PUT, audited with the reviewer's email).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from copilot.triage.dispatch import INT_FIELDS, apply
from copilot.triage.proposal import (
    TRIAGE_FIELDS,
    Decision,
    Proposal,
    ProposalStatus,
    ProposalStore,
    proposed_values,
)
from tools.context import AuditSink
from tools.freshservice import FreshserviceClient

LOCK_KEY = "copilot:triage:lock:"
LOCK_SECONDS = 60  # longer than one PUT with its retries; a crashed replica frees the proposal after this
DECIDABLE = (ProposalStatus.PENDING, ProposalStatus.FAILED)
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

Action = Literal["approve", "edit", "reject"]
Result = Literal["applied", "rejected", "failed", "skipped", "not_found", "invalid"]


class Outcome(BaseModel):
    """What happened to one proposal, in words a reviewer can act on."""

    id: str
    result: Result
    message: str
    status: ProposalStatus | None = None
    fields: dict[str, str | int] = Field(default_factory=dict)


__all__ = ["Outcome", "acceptance", "decide", "normalise_edits", "proposed_values"]


class InvalidEdit(ValueError):
    """An edited value that is not one of the field's choices (the message names it)."""


def normalise_edits(edits: Mapping[str, str | int], allowed: Mapping[str, set[str]] | None = None) -> dict[str, str | int]:
    """The reviewer's edited values as the ticket takes them: blanks dropped ("leave as it is"), ids as
    integers, and (with ``allowed``: field → permitted values as text) only values the form offers."""
    values: dict[str, str | int] = {}
    for name, raw in edits.items():
        text = str(raw).strip()
        if not text:
            continue
        if name not in TRIAGE_FIELDS:
            raise InvalidEdit(f"'{name}' is not a field the queue can change.")
        if allowed is not None and name in allowed and text not in allowed[name]:
            raise InvalidEdit(f"'{text}' is not one of the choices for {name.replace('_id', '').replace('_', ' ')}.")
        if name in INT_FIELDS:
            try:
                values[name] = int(text)
            except ValueError:
                raise InvalidEdit(f"{name.replace('_', ' ')} must be a number, not '{text}'.") from None
        else:
            values[name] = text
    return values


async def decide(proposal_id: str, action: Action, *, reviewer: str, redis: aioredis.Redis, store: ProposalStore,
                 client: FreshserviceClient, audit: AuditSink, edits: Mapping[str, str | int] | None = None,
                 allowed: Mapping[str, set[str]] | None = None, comment: str = "") -> Outcome:
    """Approve, edit or reject one proposal for ``reviewer``, at most once however often it is sent."""
    token = secrets.token_hex(8)
    if not await redis.set(LOCK_KEY + proposal_id, token, nx=True, ex=LOCK_SECONDS):
        return Outcome(id=proposal_id, result="skipped",
                       message="Another reviewer (or another click) is deciding this proposal right now.")
    try:
        proposal = await store.get(proposal_id)
        if proposal is None:
            return Outcome(id=proposal_id, result="not_found", message="This proposal no longer exists.")
        if proposal.status not in DECIDABLE:
            last = proposal.decisions[-1] if proposal.decisions else None
            who = f" by {last.by}" if last is not None else ""
            return Outcome(id=proposal_id, result="skipped", status=proposal.status,
                           message=f"Already decided ({proposal.status.value}{who}); nothing was written again.")
        fields: dict[str, str | int] = {}
        kind: Literal["approve", "edit", "reject"] = action
        if action == "approve":
            fields = proposed_values(proposal)
        elif action == "edit":
            try:
                fields = normalise_edits(edits or {}, allowed)
            except InvalidEdit as invalid:
                return Outcome(id=proposal_id, result="invalid", status=proposal.status, message=str(invalid))
            if not fields:
                return Outcome(id=proposal_id, result="invalid", status=proposal.status,
                               message="Choose at least one value to write, or reject the proposal.")
            kind = "approve" if fields == proposed_values(proposal) else "edit"
        decision = Decision(by=reviewer, action=kind, fields=fields, comment=comment[:1000])
        proposal = await apply(proposal, decision, client=client, store=store, audit=audit)
        if proposal.status == ProposalStatus.FAILED:
            return Outcome(id=proposal_id, result="failed", status=proposal.status, fields=fields,
                           message=f"Freshservice did not accept the update: {proposal.error}. "
                                   "The proposal stays in the queue; edit it and try again.")
        if proposal.status == ProposalStatus.REJECTED:
            return Outcome(id=proposal_id, result="rejected", status=proposal.status,
                           message=f"Rejected; ticket #{proposal.ticket_id} was not changed.")
        return Outcome(id=proposal_id, result="applied", status=proposal.status, fields=fields,
                       message=f"Ticket #{proposal.ticket_id} updated ({', '.join(sorted(fields))}).")
    finally:
        await redis.eval(_RELEASE, 1, LOCK_KEY + proposal_id, token)


# -- acceptance figures -------------------------------------------------------------------------------

class FieldFigures(BaseModel):
    unchanged: int = 0  # approved as proposed
    edited: int = 0  # the reviewer wrote another value
    rejected: int = 0  # the proposal was rejected, or the reviewer chose not to write this field

    @property
    def total(self) -> int:
        return self.unchanged + self.edited + self.rejected

    @property
    def acceptance(self) -> float | None:
        return self.unchanged / self.total if self.total else None


class ModeFigures(BaseModel):
    mode: str
    proposals: int = 0
    decisions: dict[str, int] = Field(default_factory=dict)  # approve / edit / reject
    fields: dict[str, FieldFigures] = Field(default_factory=dict)


def acceptance(proposals: Iterable[Proposal]) -> list[ModeFigures]:
    """Per rollout mode and per proposed field: approved unchanged, edited, rejected. Counted from
    each proposal's last reviewer decision that took effect (applied or rejected; failed writes and
    autonomous writes are not a reviewer's verdict)."""
    by_mode: dict[str, ModeFigures] = {}
    for proposal in proposals:
        if proposal.status not in (ProposalStatus.APPLIED, ProposalStatus.REJECTED):
            continue
        decision = next((d for d in reversed(proposal.decisions) if d.action != "auto"), None)
        if decision is None:
            continue
        figures = by_mode.setdefault(proposal.mode.value, ModeFigures(mode=proposal.mode.value))
        figures.proposals += 1
        figures.decisions[decision.action] = figures.decisions.get(decision.action, 0) + 1
        for name, value in proposed_values(proposal).items():
            field = figures.fields.setdefault(name, FieldFigures())
            if decision.action == "reject" or name not in decision.fields:
                field.rejected += 1
            elif str(decision.fields[name]) == str(value):
                field.unchanged += 1
            else:
                field.edited += 1
    order = {name: i for i, name in enumerate(TRIAGE_FIELDS)}
    for figures in by_mode.values():
        figures.fields = dict(sorted(figures.fields.items(), key=lambda item: order.get(item[0], len(order))))
    return sorted(by_mode.values(), key=lambda f: f.mode)
