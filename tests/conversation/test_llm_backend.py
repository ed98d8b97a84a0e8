"""With an LLM configured, the engine uses the same tools, policy and state: proven against a
scripted OpenAI-compatible server over real HTTP (tool calls and streaming), with no network."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from copilot.engine import IncomingMessage
from copilot.services import Services, build_services
from copilot.settings import Settings
from tests.conftest import SandboxHandle
from tests.servers import serve


def scripted_llm(requests: list[dict[str, Any]]) -> FastAPI:
    """Tool call for check_license on a user turn; after a tool result, a reply quoting it."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        requests.append(body)
        last = body["messages"][-1]
        names = [t["function"]["name"] for t in body.get("tools") or []]
        if last["role"] == "tool":
            content = last["content"]
            try:
                content = json.loads(content).get("message", content)
            except (ValueError, AttributeError):
                pass
            message: dict[str, Any] = {"role": "assistant", "content": f"LLM says: {content}"}
            finish = "stop"
        elif "check_license" in names:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "check_license", "arguments": json.dumps({"software": "Figma"})}}]}
            finish = "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": "LLM says: hello"}, "stop"
        created = int(time.time())
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if not body.get("stream"):
            return JSONResponse({"id": "cmpl-1", "object": "chat.completion", "created": created, "model": body["model"],
                                 "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage})

        def chunk(delta: dict[str, Any], reason: str | None = None) -> str:
            return "data: " + json.dumps({"id": "cmpl-1", "object": "chat.completion.chunk", "created": created,
                                          "model": body["model"],
                                          "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}) + "\n\n"

        def events() -> Any:
            if message.get("tool_calls"):
                call = message["tool_calls"][0]
                yield chunk({"role": "assistant", "tool_calls": [{"index": 0, **call}]})
            else:
                yield chunk({"role": "assistant", "content": ""})
                for word in message["content"].split(" "):
                    yield chunk({"content": word + " "})
            yield chunk({}, finish)
            yield "data: " + json.dumps({"id": "cmpl-1", "object": "chat.completion.chunk", "created": created,
                                         "model": body["model"], "choices": [], "usage": usage}) + "\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture
async def llm_services(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
                       tmp_path: Path) -> AsyncIterator[tuple[Services, list[dict[str, Any]], SandboxHandle]]:
    handle = sandbox_factory(knowledge="org")
    recorded: list[dict[str, Any]] = []
    with serve(scripted_llm(recorded)) as llm_url:
        settings = Settings(model="openai-compatible", model_base_url=f"{llm_url}/v1", model_name="scripted-model",
                            model_api_key="sk-test-not-real", freshservice_url=handle.base_url,
                            freshservice_api_key=handle.api_key, redis_url=redis_url, data_dir=tmp_path)
        services = build_services(settings)
        yield services, recorded, handle
        await services.freshservice.aclose()


@pytest.mark.parametrize("stream", [False, True])
async def test_llm_calls_the_same_tools_with_server_bound_identity(
        llm_services: tuple[Services, list[dict[str, Any]], SandboxHandle], stream: bool) -> None:
    services, recorded, handle = llm_services
    services.settings.model_stream = stream
    engine = await services.engine()
    engine.deps.stream = stream
    alice = await services.employee("alice.nguyen@acme.example")
    conversation = (await engine.start(alice)).id
    tokens: list[str] = []

    async def on_token(token: str) -> None:
        tokens.append(token)

    result = await engine.handle(conversation, alice, IncomingMessage(text="is there a free figma licence?"),
                                 on_token=on_token)
    reply = " ".join(m.text for m in result.messages)
    assert "LLM says:" in reply and "All 20 Figma seats are in use" in reply  # the real tool result, from the sandbox
    assert [a.tool for a in result.activities] == ["check_license"]
    first, second = recorded[0], recorded[-1]
    schema = next(t for t in first["tools"] if t["function"]["name"] == "check_license")["function"]["parameters"]
    assert set(schema["properties"]) == {"software"}  # identity is never a tool argument
    assert any(m["role"] == "tool" for m in second["messages"])
    prompt = json.dumps(first["messages"])
    assert handle.api_key not in prompt and "sk-test-not-real" not in prompt
    if stream:
        assert len(tokens) > 1 and "LLM says:" in "".join(tokens)


async def test_with_an_llm_a_foreign_message_gets_no_english_notice_and_the_prompt_asks_for_their_language(
        llm_services: tuple[Services, list[dict[str, Any]], SandboxHandle]) -> None:
    services, recorded, _ = llm_services
    engine = await services.engine()
    alice = await services.employee("alice.nguyen@acme.example")
    conversation = (await engine.start(alice)).id
    result = await engine.handle(conversation, alice, IncomingMessage(text="¿hay una licencia libre de Figma?"))
    reply = " ".join(m.text for m in result.messages)
    assert "LLM says:" in reply and "inglés" not in reply  # the LLM answers in Spanish itself: no notice line
    system = recorded[0]["messages"][0]["content"]
    assert "Reply in the language the employee writes in" in system
    state = await engine.state(conversation, alice)
    assert state.language == "es" and state.language_notices == []
