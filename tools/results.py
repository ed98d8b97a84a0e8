"""What every copilot tool returns: structured data plus a short message an employee can read.

Citations, buttons and ticket references also go into the turn's ``TurnOutput`` so the channel
(Chainlit, REST) renders them from data, not by parsing the model's prose.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Citation(BaseModel):
    title: str
    url: str


class Action(BaseModel):
    """A button the employee can press; its id comes back as ``{"action": id}``."""

    id: str
    label: str


class ToolResult(BaseModel):
    ok: bool = True
    message: str  # what the employee should be told, in plain words
    data: dict[str, Any] = Field(default_factory=dict)


class ToolActivity(BaseModel):
    """One tool call as the UI shows it: a plain-words name, no raw JSON, no secrets."""

    tool: str
    title: str
    ok: bool
    summary: str
    latency_ms: float


class TurnOutput(BaseModel):
    """Everything tools contributed to one turn's reply besides the text."""

    citations: list[Citation] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    tickets: list[int] = Field(default_factory=list)
    handoff: bool = False
    activities: list[ToolActivity] = Field(default_factory=list)
    failed: bool = False  # the copilot could not help with this turn

    def cite(self, title: str, url: str) -> None:
        if all(c.url != url for c in self.citations):
            self.citations.append(Citation(title=title, url=url))

    def offer(self, action_id: str, label: str) -> None:
        if all(a.id != action_id for a in self.actions):
            self.actions.append(Action(id=action_id, label=label))

    def ticket(self, ticket_id: int) -> None:
        if ticket_id not in self.tickets:
            self.tickets.append(ticket_id)
