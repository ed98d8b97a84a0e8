"""The per-turn state the engine hands to the model inside the system message.

Workflow state lives in Redis and in the tools; the model only needs to know what the copilot is
waiting for (a form answer, a confirmation) to interpret a short reply like "yes" or "the 16 inch".
The same block is readable by a hosted LLM and parsed by the offline model.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

TAG = "copilot-state"
_BLOCK = re.compile(rf"<{TAG}>(.*?)</{TAG}>", re.S)


class FieldPrompt(BaseModel):
    name: str
    label: str
    field_type: str
    choices: list[str] = Field(default_factory=list)
    tentative: str | None = None  # "Should I put “…” as the reason?" was asked: a yes/no answers that


class FormSlot(BaseModel):
    """One field of the open request and its current value (None: not answered yet), for corrections."""

    name: str
    label: str
    field_type: str
    required: bool = False
    choices: list[str] = Field(default_factory=list)
    value: str | None = None


class Shown(BaseModel):
    """What the copilot showed last (``tools.state.LastShown``), for "the second one", "and Postman?"."""

    kind: str
    labels: list[str] = Field(default_factory=list)
    subject: str = ""
    costs: list[float | None] = Field(default_factory=list)  # of listed catalog items, for "the cheaper one"
    choices: dict[str, list[str]] = Field(default_factory=dict)  # the shown item's dropdowns: "the samsung then"

    @model_serializer(mode="wrap")
    def _without_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The prompt's state block stays short: no costs when none is known, no choices when there are none."""
        data: dict[str, Any] = handler(self)
        if not any(c is not None for c in self.costs):
            data.pop("costs", None)
        if not self.choices:
            data.pop("choices", None)
        return data


class DialogueState(BaseModel):
    conversation_id: str = ""
    turn: int = 0
    employee_first_name: str = ""
    awaiting: Literal["none", "field", "confirmation"] = "none"
    field: FieldPrompt | None = None
    draft_item: str | None = None
    draft_fields: list[str] = Field(default_factory=list)  # labels, for corrections
    pending_action: str | None = None  # what a "yes" would confirm, in words
    handed_over: bool = False
    stage: Literal["none", "collecting", "review"] = "none"  # of the open request draft
    form: list[FormSlot] = Field(default_factory=list)  # the open draft's fields with their values
    parked_items: list[str] = Field(default_factory=list)  # requests put aside by a topic switch, latest last
    last_shown: Shown | None = None
    language: str | None = None  # the conversation's language so far (``copilot.language``), for short replies

    def render(self) -> str:
        return f"<{TAG}>{self.model_dump_json()}</{TAG}>"

    @classmethod
    def parse(cls, text: str) -> DialogueState | None:
        match = _BLOCK.search(text)
        return cls.model_validate_json(match.group(1)) if match else None
