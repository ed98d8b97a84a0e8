"""Chainlit entry point: binds the employee, hands each message to the engine, renders the reply.

No business logic here (see docs/ARCHITECTURE in ../shared): the conversation engine, tools and
policy live in ``copilot/``.
"""

from __future__ import annotations

import logging

import chainlit as cl
from chainlit.server import app as chainlit_app

from copilot.services import close_services, get_services
from copilot.web import routes

routes.install(chainlit_app)
for noisy in ("autogen_core", "autogen_core.events", "httpx"):
    logging.getLogger(noisy).setLevel(logging.WARNING)


@cl.on_app_startup
async def startup() -> None:
    await get_services()


@cl.on_app_shutdown
async def shutdown() -> None:
    await close_services()


@cl.on_chat_start
async def start() -> None:
    await cl.Message(
        content="Hi! I'm the IT copilot. The conversation engine is being built; for now I can tell you "
        "whether the IT systems behind me are reachable — type **status**."
    ).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    services = await get_services()
    from copilot import health

    report = await health.collect(services.health_checks())
    lines = [f"- **{name}**: {c.status} — {c.detail}" for name, c in report.components.items()]
    await cl.Message(content="System status:\n" + "\n".join(lines)).send()
