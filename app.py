"""Chainlit entry point: signs the employee in, hands each message to the engine, renders the reply.

No business logic here: the engine, tools, policy and sign-in rules live in ``copilot/``.
"""

from __future__ import annotations

import asyncio
import json
import os

import chainlit as cl
from chainlit.config import config as cl_config
from chainlit.server import app as chainlit_app
from chainlit.server import sio
from chainlit.types import Feedback, ThreadDict
from fastapi import HTTPException
from redis.exceptions import RedisError

from copilot import failures, logs
from copilot.conversations import ConversationLocked
from copilot.engine import ConversationNotFound, IncomingMessage, NothingToRate
from copilot.identity import UnknownEmployee
from copilot.models.offline import nlu as offline_nlu
from copilot.services import close_services, get_services
from copilot.settings import get_settings
from copilot.ui import auth, branding, history, message_guard, render
from copilot.web import api, console, console_problems, insights, portal, routes, serving, webhooks
from tools.employee import Employee
from tools.freshservice import FreshserviceError
from tools.knowledge import NOT_HELPFUL

settings = get_settings()


async def _close_sockets() -> None:
    """On shutdown, close every socket.io session so that no long-poll holds the stop (copilot.web.serving)."""
    if sio.eio.sockets:
        await sio.eio.disconnect()


serving.bound_graceful_shutdown(settings.shutdown_grace_seconds, before=_close_sockets,  # before uvicorn starts
                                per_message_deflate=settings.ws_per_message_deflate)
os.environ["CHAINLIT_AUTH_SECRET"] = auth.ensure_auth_secret(settings)
os.environ.setdefault("CHAINLIT_CUSTOM_AUTH", "true")  # portal tokens (/auth/jwt) work without other callbacks
history.create_schema(settings)
history.redact_chainlit_logs()
routes.install(chainlit_app, api.router, portal.router, auth.router, console.router, console_problems.router,
               insights.router, branding.router(settings), webhooks.router, message_guard.router,
               max_in_flight=settings.max_rest_in_flight)
branding.apply(settings)  # product name, logo, colours and disclaimer from settings, not Chainlit's
sio.eio.max_http_buffer_size = render.MAX_SOCKET_BYTES  # a long paste gets words below, not a dropped socket
message_guard.apply()  # and a longer one is shortened in the browser so that the words still come
portal.install_security_headers(chainlit_app, settings)
logs.configure(settings.log_level, settings.secret_values())
log = logs.get_logger("copilot.app")
unavailable = logs.Throttled(log)  # one line per kind every few seconds when a system is down or busy

HOST_CONTEXT_SECONDS = 2.0
CHAT_START_SECONDS = 30.0  # how long a first message waits for its chat to finish starting
STARTERS = [("Reset my password", "How do I reset my password?"),
            ("Free Figma licence?", "Is there a free Figma licence?"),
            ("Request software", "I need Adobe Acrobat Pro"),
            ("My tickets", "What's the status of my tickets?")]


@cl.data_layer
def data_layer() -> history.SQLAlchemyDataLayer:
    return history.data_layer(settings)


if settings.demo_login_enabled:

    @cl.password_auth_callback
    async def demo_login(username: str, password: str) -> cl.User | None:
        if not auth.demo_password_ok(settings, password):
            return None
        return await _user_for(username)

    # Chainlit's wrapper turns any exception into "no user" (401 "check your details"); install the
    # function itself so the 503 of ``_user_for`` reaches the sign-in page with its own words.
    cl_config.code.password_auth_callback = demo_login


if settings.auth_header:

    @cl.header_auth_callback
    async def proxy_login(headers: object) -> cl.User | None:
        email = auth.trusted_proxy_email(settings, dict(headers))  # type: ignore[call-overload]
        return await _user_for(email) if email else None

    cl_config.code.header_auth_callback = proxy_login  # same reason as the password callback


async def _user_for(email: str) -> cl.User | None:
    """The Chainlit user for a known employee; None ("check your details") for an unknown email. When
    Freshservice or Redis is down the sign-in page says so (``auth.login.errors["service unavailable"]``
    in ``.chainlit/translations``) instead of blaming the employee's password."""
    try:
        employee = await (await get_services()).employee(email)
    except UnknownEmployee:
        return None
    except (FreshserviceError, RedisError):
        raise HTTPException(status_code=503, detail=auth.SIGN_IN_UNAVAILABLE,
                            headers={"Retry-After": "30"}) from None
    return cl.User(identifier=employee.email, display_name=employee.name,
                   metadata={"email": employee.email, "requester_id": employee.requester_id})


@cl.on_app_startup
async def startup() -> None:
    (await get_services()).start_background()
    if settings.model == "offline":  # fit it now, off the event loop, not in the first employee's turn
        await asyncio.to_thread(offline_nlu.shared)


@cl.on_app_shutdown
async def shutdown() -> None:
    await close_services()


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=label, message=message) for label, message in STARTERS]


LOST_TRACK = ("I lost track of our earlier conversation (anything IT already received is still with them), "
              "so I've started a new one.")
NOT_FOUND = "I couldn't find you in the IT system, so I can't help here. Please contact the IT service desk."


async def _say_failure(error: Exception) -> bool:
    """Tell the employee in words what is down or busy; False if ``error`` is not such a failure."""
    failure = failures.explain(error, settings.urgent_contact)
    if failure is None:
        return False
    unavailable.warning("chat_unavailable", key=type(error).__name__, error=type(error).__name__)  # the type only: texts may hold hosts and ports
    await cl.ErrorMessage(content=failure.message).send()
    return True


async def _employee() -> Employee | None:
    """The signed-in employee; None if unknown. Raises FreshserviceError/RedisError when a system is down."""
    user = cl.user_session.get("user")
    email = (getattr(user, "metadata", None) or {}).get("email") or getattr(user, "identifier", None)
    if not email:
        return None
    try:
        return await (await get_services()).employee(str(email))
    except UnknownEmployee:
        return None


def _chat_ready() -> asyncio.Event:
    """Set once the chat has started (or resumed). The widget enables its send button as soon as its
    socket is connected, before the server has even told it a start is running, so a first message can
    arrive while ``start`` still waits on the host page and the engine: it waits for this, never for a
    conversation that is not there yet."""
    ready: asyncio.Event | None = cl.user_session.get("chat_ready")
    if ready is None:
        ready = asyncio.Event()
        cl.user_session.set("chat_ready", ready)
    return ready


@cl.on_chat_start
async def start() -> None:
    try:
        employee = await _employee()
        if employee is None:
            await cl.ErrorMessage(content=NOT_FOUND).send()
            return
        engine = await (await get_services()).engine()
        state = await engine.start(employee, await _host_context())
        cl.user_session.set("conversation_id", state.id)
    except Exception as error:
        if not await _say_failure(error):
            raise
    finally:
        _chat_ready().set()


async def _host_context() -> dict[str, str]:
    """In the portal widget, ask the host page where the employee is (shown to IT on handover)."""
    if cl.context.session.client_type != "copilot":
        return {}
    try:
        raw = await asyncio.wait_for(cl.CopilotFunction(name="page_context", args={}).acall(), HOST_CONTEXT_SECONDS)
        data = json.loads(raw) if isinstance(raw, str) else raw
    except (TimeoutError, ValueError, TypeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


@cl.on_chat_resume
async def resume(thread: ThreadDict) -> None:
    """Reopen an old thread: the engine's conversation (drafts included) is still in Redis."""
    metadata = thread.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata or "{}")
    conversation_id = metadata.get("conversation_id")
    try:
        employee = await _employee()
        if employee is None or not conversation_id:
            await start()
            return
        engine = await (await get_services()).engine()
        await engine.state(conversation_id, employee)
        cl.user_session.set("conversation_id", conversation_id)
    except ConversationNotFound:
        await start()
    except Exception as error:
        if not await _say_failure(error):
            raise
    finally:
        _chat_ready().set()


async def _handle(message: IncomingMessage) -> None:
    try:
        await asyncio.wait_for(_chat_ready().wait(), CHAT_START_SECONDS)
    except TimeoutError:
        pass  # no conversation yet: answered below like any session without one
    conversation_id = cl.user_session.get("conversation_id")
    streamed = cl.Message(content="")
    try:
        employee = await _employee()
        if employee is None or not conversation_id:
            await cl.ErrorMessage(content="Please sign in again to continue.").send()
            return
        engine = await (await get_services()).engine()
        stream = render.safe_stream(streamed)
        try:
            result = await engine.handle(conversation_id, employee, message, on_token=stream, channel="web")
        except ConversationNotFound:  # the store lost it (Redis restarted empty, or it expired): go on in a new one
            conversation_id = (await engine.start(employee, {})).id
            cl.user_session.set("conversation_id", conversation_id)
            await cl.Message(content=LOST_TRACK).send()
            stream.close()
            stream = render.safe_stream(streamed)
            result = await engine.handle(conversation_id, employee, message, on_token=stream, channel="web")
        finally:
            stream.close()  # the reply below carries the whole text
    except ConversationLocked:
        await cl.Message(content="I'm still working on your last message; please send this one again "
                                 "once my reply is there.").send()
        return
    except Exception as error:
        if await _say_failure(error):
            return
        log.exception("turn_failed", conversation_id=conversation_id, channel="web")
        await cl.ErrorMessage(content="Something went wrong on my side. Nothing was lost; please try again, "
                                      "or ask for a person.").send()
        return
    sent = await render.render(result, streamed)
    if any(a.tool == "search_kb" for a in result.activities) or message.action == NOT_HELPFUL:
        cl.user_session.set("kb_answer_id", sent[-1] if sent else None)  # what a thumbs-down refers to


@cl.on_message
async def on_message(message: cl.Message) -> None:
    text = message.content or ""
    if len(text.encode()) > render.MAX_MESSAGE_BYTES:
        await cl.Message(content=render.TOO_LONG).send()
        return
    await _handle(IncomingMessage(text=text))


@cl.on_feedback
async def on_feedback(feedback: Feedback) -> None:
    """Every thumbs is audited once (``feedback``, for the insights); a thumbs-down on the last knowledge
    answer then offers the next best article, then a person."""
    await _record_feedback(helpful=feedback.value == 1)
    if feedback.value == 0 and feedback.forId and feedback.forId == cl.user_session.get("kb_answer_id"):
        await _handle(IncomingMessage(action=NOT_HELPFUL))


async def _record_feedback(*, helpful: bool) -> None:
    conversation_id = cl.user_session.get("conversation_id")
    try:
        employee = await _employee()
        if employee is None or not conversation_id:
            return
        engine = await (await get_services()).engine()
        await engine.feedback(conversation_id, employee, helpful=helpful, channel="web")
    except (ConversationNotFound, NothingToRate, FreshserviceError, RedisError) as error:  # a lost thumbs never breaks the chat
        log.warning("feedback_not_recorded", error=type(error).__name__)


@cl.action_callback(render.ACTION_NAME)
async def on_action(action: cl.Action) -> None:
    await action.remove()
    await render.clear_actions()
    await _handle(IncomingMessage(action=str(action.payload.get("id", ""))[:200]))
