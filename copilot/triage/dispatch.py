"""Write a decided proposal to Freshservice, once, and audit who approved what.

Both the reviewer queue (assist mode, after a person approves or edits) and autonomous mode (fields
above threshold) call :func:`apply`. The update is a PUT of absolute values, so sending it again
after a lost answer cannot double anything; a validation error from Freshservice marks the
proposal ``failed`` with the reason, for the reviewer to fix and retry.
"""

from __future__ import annotations

from typing import Any

from copilot.triage.proposal import Decision, Proposal, ProposalStatus, ProposalStore, proposed_values
from tools.context import AuditEvent, AuditSink, Outcome
from tools.freshservice import FreshserviceClient, FreshserviceError
from tools.freshservice.schemas import TicketUpdate

INT_FIELDS = {"priority", "urgency", "impact", "group_id", "responder_id"}


def ticket_update(fields: dict[str, str | int]) -> TicketUpdate:
    """The ``PUT /tickets/{id}`` body for ``fields`` (unknown field names raise ``ValueError``)."""
    known = set(TicketUpdate.model_fields)
    unknown = set(fields) - known
    if unknown:
        raise ValueError(f"not a ticket field triage may set: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {k: int(v) if k in INT_FIELDS else str(v) for k, v in fields.items()}
    return TicketUpdate(**values)


async def apply(proposal: Proposal, decision: Decision, *, client: FreshserviceClient, store: ProposalStore,
                audit: AuditSink) -> Proposal:
    """Record ``decision`` on ``proposal``, write its fields to the ticket (nothing for a rejection),
    audit the outcome (reviewer, fields, model version) and save the proposal."""
    proposal.decisions.append(decision)
    outcome: Outcome = "ok"
    if decision.action == "reject" or not decision.fields:
        proposal.status = ProposalStatus.REJECTED if decision.action == "reject" else ProposalStatus.APPLIED
    else:
        try:
            await client.update_ticket(proposal.ticket_id, ticket_update(decision.fields))
        except (FreshserviceError, ValueError) as error:
            proposal.status = ProposalStatus.FAILED
            proposal.error = getattr(error, "message", None) or str(error)
            outcome = "error"
        else:
            proposal.status = ProposalStatus.APPLIED
            proposal.error = None
    await audit.record(AuditEvent(
        conversation_id=f"triage:{proposal.id}", employee=decision.by, tool="triage_update",
        arguments={"ticket_id": proposal.ticket_id, "action": decision.action, "fields": decision.fields,
                   "mode": proposal.mode.value, "model_version": proposal.model_version,
                   "proposed": proposed_values(proposal)},
        outcome=outcome, result={"status": proposal.status.value, "error": proposal.error}))
    await store.save(proposal)
    return proposal
