"""Pick the chat model from settings: the offline model (default) or a hosted/local LLM.

Configured by environment only (``COPILOT_MODEL`` and friends). Every choice yields an AutoGen
``ChatCompletionClient``, so the engine, tools, policy and state are identical whichever is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autogen_core.models import ChatCompletionClient, ModelFamily, ModelInfo

from copilot.settings import Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434/v1"

# For servers whose model names AutoGen does not know (vLLM, llama.cpp, LM Studio, Ollama).
COMPATIBLE_MODEL_INFO = ModelInfo(
    vision=False, function_calling=True, json_output=True, family=ModelFamily.UNKNOWN, structured_output=False
)


class ModelConfigError(ValueError):
    """The model settings are incomplete; the message names the missing variable."""


def build_model_client(settings: Settings, vocabulary: Callable[[], Any] | None = None) -> ChatCompletionClient:
    """``vocabulary``: the tenant's catalog and application names (``CatalogDirectory.vocabulary``), which the
    offline model links entities to; an LLM reads them through the tools instead."""
    provider = settings.model
    if provider == "offline":
        from copilot.models.offline import OfflineChatCompletionClient

        return OfflineChatCompletionClient(vocabulary=vocabulary)

    from autogen_ext.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient

    key = settings.model_api_key.get_secret_value() if settings.model_api_key else None
    common: dict[str, Any] = {"temperature": 0.0}
    if provider == "openai":
        if not key:
            raise ModelConfigError("COPILOT_MODEL=openai needs COPILOT_MODEL_API_KEY")
        extra: dict[str, Any] = {"base_url": settings.model_base_url} if settings.model_base_url else {}
        return OpenAIChatCompletionClient(
            model=settings.model_name or DEFAULT_OPENAI_MODEL, api_key=key, parallel_tool_calls=False, **extra, **common
        )
    if provider == "azure":
        if not (settings.model_base_url and settings.model_name and key):
            raise ModelConfigError(
                "COPILOT_MODEL=azure needs COPILOT_MODEL_BASE_URL (endpoint), COPILOT_MODEL_NAME (deployment) "
                "and COPILOT_MODEL_API_KEY"
            )
        return AzureOpenAIChatCompletionClient(
            azure_endpoint=settings.model_base_url, azure_deployment=settings.model_name, model=settings.model_name,
            api_version=settings.model_api_version, api_key=key, parallel_tool_calls=False,
            model_info=COMPATIBLE_MODEL_INFO, **common,
        )
    # ollama / openai-compatible: any server speaking the OpenAI chat API
    base_url = settings.model_base_url or (DEFAULT_OLLAMA_URL if provider == "ollama" else None)
    if not base_url or not settings.model_name:
        raise ModelConfigError(f"COPILOT_MODEL={provider} needs COPILOT_MODEL_BASE_URL and COPILOT_MODEL_NAME")
    return OpenAIChatCompletionClient(
        model=settings.model_name, base_url=base_url, api_key=key or "not-needed",
        model_info=COMPATIBLE_MODEL_INFO, parallel_tool_calls=False, **common,
    )
