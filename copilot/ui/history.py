"""Chat history through Chainlit's SQLAlchemy data layer: SQLite under ``var/`` or PostgreSQL.

The layer runs raw SQL and never creates its tables, so we create them (the documented schema plus
the ``autoCollapse`` column Chainlit 2.10+ writes). Errors inside the layer are only logged by
Chainlit, which is why the schema is checked here at start-up.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout, so many chat sessions
writing at once wait their turn instead of losing a step to "database is locked", and with
``synchronous=NORMAL``: Chainlit commits every step on its own (several per turn), and in WAL mode the
default FULL waits for an fsync of each commit while holding the write lock (about 6 ms here, against
0.01 ms), which serialised every chat session behind the disk. NORMAL is still safe against an app or OS
crash; a power cut may lose the last steps of the chat history shown (conversations themselves live in
Redis). Chainlit logs a
failed write with the SQL parameters (the employee's message): :class:`RedactPayloads` on the
``chainlit`` logger keeps the error and drops the payload.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from sqlalchemy import event

from copilot.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
# SQLAlchemy errors render as "(driver error) text\n[SQL: ...]\n[parameters: (...)]\n(Background ...)".
_PAYLOAD = re.compile(r"\s*\[(SQL|parameters): .*", re.DOTALL)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users ("id" TEXT PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE, "metadata" TEXT NOT NULL,
  "createdAt" TEXT);
CREATE TABLE IF NOT EXISTS threads ("id" TEXT PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" TEXT,
  "userIdentifier" TEXT, "tags" TEXT, "metadata" TEXT, FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS steps ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL,
  "threadId" TEXT NOT NULL, "parentId" TEXT, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN, "isError" BOOLEAN,
  "metadata" TEXT, "tags" TEXT, "input" TEXT, "output" TEXT, "createdAt" TEXT, "command" TEXT, "start" TEXT, "end" TEXT,
  "generation" TEXT, "showInput" TEXT, "language" TEXT, "indent" INT, "defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS elements ("id" TEXT PRIMARY KEY, "threadId" TEXT, "type" TEXT, "url" TEXT,
  "chainlitKey" TEXT, "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT, "page" INT, "language" TEXT,
  "forId" TEXT, "mime" TEXT, "props" TEXT, "autoPlay" BOOLEAN, "playerConfig" TEXT,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS feedbacks ("id" TEXT PRIMARY KEY, "forId" TEXT NOT NULL, "threadId" TEXT NOT NULL,
  "value" INT NOT NULL, "comment" TEXT, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
"""


def create_schema(settings: Settings) -> None:
    url = settings.history_url
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the database file
            connection.executescript(SCHEMA)
    else:  # PostgreSQL: same DDL, run synchronously once at start-up
        import asyncio

        import asyncpg

        async def run() -> None:
            connection = await asyncpg.connect(settings.database_url)
            try:
                await connection.execute(SCHEMA.replace('"metadata" TEXT', '"metadata" JSONB')
                                         .replace('"tags" TEXT', '"tags" TEXT[]')
                                         .replace('"generation" TEXT', '"generation" JSONB')
                                         .replace('"props" TEXT', '"props" JSONB')
                                         .replace('"playerConfig" TEXT', '"playerConfig" JSONB'))
            finally:
                await connection.close()

        with ThreadPoolExecutor(max_workers=1) as pool:  # works whether or not an event loop is running
            pool.submit(asyncio.run, run()).result()


def data_layer(settings: Settings) -> SQLAlchemyDataLayer:
    url = settings.history_url
    # aiosqlite passes ``timeout`` to sqlite3.connect: the busy timeout a writer waits for the lock.
    if not url.startswith("sqlite"):
        return SQLAlchemyDataLayer(conninfo=url)
    layer = SQLAlchemyDataLayer(conninfo=url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    event.listen(layer.engine.sync_engine, "connect", _sqlite_pragmas)
    return layer


def _sqlite_pragmas(connection: Any, _: object) -> None:
    """Per connection (``synchronous`` is not stored in the file, unlike ``journal_mode``)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class RedactPayloads(logging.Filter):
    """Keep a data-layer error's first line, drop its SQL and parameters (they hold message text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "[SQL: " in message or "[parameters: " in message:
            record.msg = _PAYLOAD.sub(" (SQL and parameters not logged)", message)
            record.args = ()
        return True


def redact_chainlit_logs() -> None:
    """Install :class:`RedactPayloads` on Chainlit's logger once."""
    logger = logging.getLogger("chainlit")
    if not any(isinstance(f, RedactPayloads) for f in logger.filters):
        logger.addFilter(RedactPayloads())
