"""The built-in offline model: a real, deterministic AutoGen ``ChatCompletionClient``.

It understands the employee with the shipped NLU (intent classifier + extractors), reads the
dialogue state the engine puts in the system message, decides which tool to call, and phrases the
reply from the tool's result. Same input, same output; no network, no tokenizer downloads.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelCapabilities,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema

from copilot import language
from copilot.knowledge.embedder import model_words
from copilot.models.dialogue_state import DialogueState
from copilot.models.offline.nlu import shared
from copilot.models.offline.policy import NLU, Decision, decide
from tools.vocabulary import TenantVocabulary

MODEL_INFO = ModelInfo(vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN,
                       structured_output=False)


def _tool_names(tools: Sequence[Tool | ToolSchema]) -> set[str]:
    return {t.name if isinstance(t, Tool) else t["name"] for t in tools}


def _words(messages: Sequence[LLMMessage]) -> int:
    return sum(len(str(getattr(m, "content", "")).split()) for m in messages)


class OfflineChatCompletionClient(ChatCompletionClient):
    """Deterministic model: NLU → tool call, tool result → reply.

    ``vocabulary``: where the tenant's catalog and application names are read, per message, from memory
    (``CatalogDirectory.vocabulary``, refreshed by the engine before each turn; never a fetch here)."""

    def __init__(self, nlu: NLU | None = None,
                 vocabulary: Callable[[], TenantVocabulary | None] | None = None) -> None:
        self._nlu = nlu if nlu is not None else shared()
        self._vocabulary = vocabulary
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._calls = 0

    async def create(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | str = "auto", json_output: bool | type[Any] | None = None,
        extra_create_args: Mapping[str, Any] = {}, cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        state = next((DialogueState.parse(m.content) for m in messages if isinstance(m, SystemMessage)), None)
        state = state or DialogueState()
        last = messages[-1] if messages else None
        self._calls += 1
        if isinstance(last, FunctionExecutionResultMessage):
            content: str | list[FunctionCall] = phrase(last)
        else:
            text = _last_user_text(messages)
            tenant = self._vocabulary() if self._vocabulary is not None else None
            if not (state.awaiting == "field" and state.field is not None and not state.field.choices):
                # free-text answers are stored as the employee wrote them; anything else is read in English
                options = {w for slot in state.form for c in slot.choices for w in c.lower().split()}
                options |= {w for c in (state.field.choices if state.field else []) for w in c.lower().split()}
                if tenant is not None:
                    options |= tenant.words  # the tenant's own names are not a foreign language ("Zeplin")
                text = language.for_offline_model(text, known=lambda w: w in options or self._knows(w),  # "MacBook Air"
                                                  prefer=state.language)
            available = _tool_names(tools) if tool_choice != "none" else set()
            decision = decide(self._nlu, text, state, available, tenant)
            content = self._content(decision, state)
        usage = RequestUsage(prompt_tokens=_words(messages), completion_tokens=len(str(content).split()))
        self._usage = RequestUsage(prompt_tokens=self._usage.prompt_tokens + usage.prompt_tokens,
                                   completion_tokens=self._usage.completion_tokens + usage.completion_tokens)
        finish = "function_calls" if isinstance(content, list) else "stop"
        return CreateResult(finish_reason=finish, content=content, usage=usage, cached=False)

    def _knows(self, word: str) -> bool:
        """Whether the NLU has seen this word (its training phrases, software and catalog names), or it is a longer
        English word of the embedding model's vocabulary: "jetzt steht da gateway not responding" keeps the error."""
        vocabulary = getattr(self._nlu, "vocabulary", None)
        return vocabulary is None or word in vocabulary or (len(word) >= 5 and word in model_words())

    def _content(self, decision: Decision, state: DialogueState) -> str | list[FunctionCall]:
        if decision.tool is None:
            return decision.reply or ""
        call_id = f"call_{state.turn}_{self._calls}"
        return [FunctionCall(id=call_id, name=decision.tool, arguments=json.dumps(decision.arguments))]

    async def create_stream(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | str = "auto", json_output: bool | type[Any] | None = None,
        extra_create_args: Mapping[str, Any] = {}, cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        result = await self.create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                   extra_create_args=extra_create_args, cancellation_token=cancellation_token)
        if isinstance(result.content, str):
            for piece in re.findall(r"\S+\s*", result.content):
                yield piece
        yield result

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return self._usage

    def total_usage(self) -> RequestUsage:
        return self._usage

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return _words(messages)  # no tokenizer: words are a fine, offline budget unit

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return max(0, 32_000 - self.count_tokens(messages, tools=tools))

    @property
    def capabilities(self) -> ModelCapabilities:
        return ModelCapabilities(vision=False, function_calling=True, json_output=False)

    @property
    def model_info(self) -> ModelInfo:
        return MODEL_INFO


def _last_user_text(messages: Sequence[LLMMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, UserMessage) and isinstance(message.content, str):
            return message.content
        if isinstance(message, AssistantMessage):
            break
    return ""


def phrase(result: FunctionExecutionResultMessage) -> str:
    """The reply from tool results: each tool already wrote what the employee should read."""
    parts: list[str] = []
    for item in result.content:
        try:
            payload = json.loads(item.content)
        except (TypeError, ValueError):
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            parts.append(payload["message"])
        elif item.is_error:
            parts.append("Something went wrong on my side while doing that. Please try again, or ask for a person.")
        else:
            parts.append(str(item.content))
    return "\n\n".join(p for p in parts if p)
