"""The dialogue rules hold when an LLM drives the tools: a recorded LLM (a scripted OpenAI-compatible server
that replays a fixed sequence of tool calls, over real HTTP through the real OpenAI client) walks through a
correction, a digression and a reference. The flows in ``tools/`` refuse what does not fit the form —
a correction offered as the justification, a question offered as a value — and the engine asks the open
field again after a digression whether or not the model does. Only the employee's own "yes" submits."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from copilot.engine import Engine, IncomingMessage
from copilot.services import Services, build_services
from copilot.settings import Settings
from tests.conftest import SandboxHandle
from tests.servers import serve
from tools.employee import Employee

Step = tuple[str, dict[str, Any]]  # ("call", {"name":…, "arguments":…}) or ("reply", {})


class Recording:
    """The script the fake LLM replays, one step per completion request, and what it was sent."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.requests: list[dict[str, Any]] = []

    def expect(self, *steps: Step) -> None:
        self.steps.extend(steps)


def call(name: str, **arguments: Any) -> Step:
    return ("call", {"name": name, "arguments": arguments})


REPLY: Step = ("reply", {})


def recorded_llm(recording: Recording) -> FastAPI:
    """Each request takes the next step: a tool call as scripted, or a reply quoting the tool results since the
    last user message (what a faithful model would say). A request with no step left fails the test."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        recording.requests.append(body)
        assert recording.steps, f"the model was asked more than the script holds: {body['messages'][-1]}"
        kind, step = recording.steps.pop(0)
        if kind == "call":
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{len(recording.requests)}", "type": "function",
                "function": {"name": step["name"], "arguments": json.dumps(step["arguments"])}}]}
            finish = "tool_calls"
        else:
            results = []
            for sent in reversed(body["messages"]):
                if sent["role"] == "user":
                    break
                if sent["role"] == "tool":
                    results.insert(0, json.loads(sent["content"]).get("message", sent["content"]))
            message, finish = {"role": "assistant", "content": "\n\n".join(results)}, "stop"
        return JSONResponse({"id": "cmpl-1", "object": "chat.completion", "created": int(time.time()),
                             "model": body["model"], "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})

    return app


@pytest.fixture
async def llm(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
              tmp_path: Path) -> AsyncIterator[tuple[Services, Recording]]:
    handle = sandbox_factory(knowledge="org")
    handle.control("POST", "/_sandbox/reset")
    recording = Recording()
    with serve(recorded_llm(recording)) as llm_url:
        settings = Settings(model="openai-compatible", model_base_url=f"{llm_url}/v1", model_name="recorded-model",
                            model_api_key="sk-test-not-real", model_stream=False, freshservice_url=handle.base_url,
                            freshservice_api_key=handle.api_key, redis_url=redis_url, data_dir=tmp_path)
        services = build_services(settings)
        await services.knowledge.sync(services.freshservice)
        yield services, recording
        await services.aclose()


async def say(engine: Engine, employee: Employee, conversation: str, text: str) -> str:
    result = await engine.handle(conversation, employee, IncomingMessage(text=text))
    return "\n".join(m.text for m in result.messages)


async def open_chat(services: Services, email: str) -> tuple[Engine, Employee, str]:
    engine = await services.engine()
    engine.deps.stream = False
    employee = await services.employee(email)
    return engine, employee, (await engine.start(employee)).id


async def test_a_correction_the_model_files_as_the_justification_is_refused_by_the_flow(
        llm: tuple[Services, Recording]) -> None:
    services, recording = llm
    engine, bob, conversation = await open_chat(services, "bob.martin@acme.example")
    recording.expect(call("start_request", item="Mobile phone", details="I need a work phone, the iPhone"), REPLY)
    reply = await say(engine, bob, conversation, "I need a work phone, the iPhone")
    assert "Business justification?" in reply
    # the model files the correction as the justification; the flow refuses it, the model then changes the field
    recording.expect(call("answer_request_field", answer="no wait, the other model"),
                     call("change_request_field", field="Model", value="Samsung Galaxy S25"), REPLY)
    reply = await say(engine, bob, conversation, "no wait, the other model")
    assert "haven't stored it" in reply and "Updated Model" in reply
    state = await engine.state(conversation, bob)
    assert state.draft is not None and state.draft.answers == {"model": "Samsung Galaxy S25"}
    recording.expect(call("answer_request_field", answer="calls with customers while travelling"), REPLY)
    review = await say(engine, bob, conversation, "calls with customers while travelling")
    assert "Model: Samsung Galaxy S25" in review and "Shall I submit it?" in review
    asked = len(recording.requests)
    done = await say(engine, bob, conversation, "sounds good, submit it")
    assert "SR-" in done and len(recording.requests) == asked  # the employee's yes, decided in code
    ticket = int(done.split("SR-")[1].split("*")[0])
    items = await services.freshservice.list_requested_items(ticket)
    assert items[0].custom_fields["model"] == "Samsung Galaxy S25"
    assert "other model" not in str(items[0].custom_fields.get("business_justification"))
    assert not recording.steps


async def test_a_digression_is_answered_and_the_flow_asks_the_field_again(llm: tuple[Services, Recording]) -> None:
    services, recording = llm
    engine, alice, conversation = await open_chat(services, "alice.nguyen@acme.example")
    recording.expect(call("start_request", item="Encrypted USB drive"), REPLY)
    assert "Business justification?" in await say(engine, alice, conversation, "I need an encrypted usb drive")
    # the model first files the question as the answer (refused), then searches the knowledge base; it does
    # not ask the field again itself — the flow does
    recording.expect(call("answer_request_field", answer="where do I pick it up?"),
                     call("search_kb", question="where do I pick up hardware?"), REPLY)
    reply = await say(engine, alice, conversation, "where do I pick it up?")
    assert "haven't stored it" in reply
    assert reply.rstrip().endswith("Back to your **Encrypted USB drive** request: Business justification?")
    state = await engine.state(conversation, alice)
    assert state.draft is not None and state.draft.answers == {}
    assert not recording.steps


async def test_a_reference_is_resolved_from_the_last_shown_context(llm: tuple[Services, Recording]) -> None:
    services, recording = llm
    engine, erin, conversation = await open_chat(services, "erin.walsh@acme.example")
    recording.expect(call("check_license", software="Visio"), REPLY)
    assert "7 of" in await say(engine, erin, conversation, "any visio licences free?")
    recording.expect(call("start_request", item="Microsoft Visio", details="great, I'll take one — windows"), REPLY)
    reply = await say(engine, erin, conversation, "great, I'll take one — windows")
    system = recording.requests[-2]["messages"][0]["content"]
    state_block = json.loads(system.split("<copilot-state>")[1].split("</copilot-state>")[0])
    assert state_block["last_shown"] == {"kind": "licence", "labels": ["Microsoft Visio"], "subject": "Microsoft Visio"}
    assert "Microsoft Visio" in reply and "Business justification?" in reply  # the OS came from the details
    state = await engine.state(conversation, erin)
    assert state.draft is not None and state.draft.answers == {"operating_system": "Windows"}
    assert not recording.steps


async def test_a_problem_report_filed_as_the_justification_is_refused_and_a_doubtful_one_is_asked_first(
        llm: tuple[Services, Recording]) -> None:
    services, recording = llm
    engine, bob, conversation = await open_chat(services, "bob.martin@acme.example")
    recording.expect(call("start_request", item="Encrypted USB drive"), REPLY)
    assert "Business justification?" in await say(engine, bob, conversation, "I need an encrypted usb drive")
    # the model files an incident report as the reason: the flow refuses it, whatever the model thought
    recording.expect(call("answer_request_field", answer="wifi keeps dropping in the office"), REPLY)
    reply = await say(engine, bob, conversation, "wifi keeps dropping in the office")
    assert "problem to report" in reply and "haven't stored it" in reply and "Business justification?" in reply
    state = await engine.state(conversation, bob)
    assert state.draft is not None and state.draft.answers == {}
    # unsure whether a message is the reason, the model asks the flow to check with the employee first
    recording.expect(call("answer_request_field", answer="the usual stuff", ask_first=True), REPLY)
    reply = await say(engine, bob, conversation, "the usual stuff")
    assert "Should I put “the usual stuff” as the business justification?" in reply
    state = await engine.state(conversation, bob)
    assert state.draft is not None and state.draft.answers == {} and state.draft.tentative == "the usual stuff"
    recording.expect(call("answer_request_field", answer="yes"), REPLY)
    review = await say(engine, bob, conversation, "yes")
    assert "Business justification: the usual stuff" in review and "Shall I submit it?" in review
    done = await say(engine, bob, conversation, "looks right")  # decided in code, no model call
    ticket = int(done.split("SR-")[1].split("*")[0])
    items = await services.freshservice.list_requested_items(ticket)
    assert items[0].custom_fields["business_justification"] == "the usual stuff"
    assert not recording.steps
