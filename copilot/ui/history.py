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

Chainlit writes a chat turn as about seventeen statements, each in its own session and transaction
(every step twice, created then updated, each after a ``SELECT`` of its thread; a streamed message taken
down costs three ``DELETE``s). :class:`BatchedHistory` keeps Chainlit's SQL but queues step writes and
deletes and commits everything queued in one transaction a moment later (``FLUSH_SECONDS``), skips the
thread ``SELECT`` for threads it has seen, and flushes the queue before any other statement, so a read
(a resumed thread, the thread list) always sees every step written before it. A failed batch is retried
statement by statement, so one bad row loses only itself, as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.logger import logger as chainlit_logger
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from chainlit.step import StepDict

from copilot.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
FLUSH_SECONDS = 0.05  # how long a step write waits for others to share its transaction
KNOWN_THREADS = 10_000  # thread ids remembered as present (the SELECT that create_step would repeat)
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


class BatchedHistory(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer with step writes batched into shared transactions (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one flush at a time, in queue order
        self._threads: OrderedDict[str, None] = OrderedDict()

    # --- the queue -------------------------------------------------------------------------------

    def _enqueue(self, query: str, parameters: dict[str, Any]) -> None:
        self._pending.append((query, parameters))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Commit every queued step write and delete, in order, in one transaction."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                async with self.engine.begin() as connection:
                    for query, parameters in batch:
                        await connection.execute(text(query), parameters)
            except Exception:  # noqa: BLE001 - retried one by one below, where each failure is logged
                for query, parameters in batch:
                    await self._execute(query, parameters)

    async def _execute(self, query: str, parameters: dict[str, Any]) -> list[dict[str, Any]] | int | None:
        """One statement in its own transaction; errors logged (redacted) and answered None, like Chainlit."""
        try:
            async with self.engine.begin() as connection:
                result = await connection.execute(text(query), parameters)
                if result.returns_rows:
                    rows: list[dict[str, Any]] = self.clean_result([dict(row._mapping) for row in result.fetchall()])
                    return rows
                return result.rowcount
        except SQLAlchemyError as error:
            chainlit_logger.warning(f"An error occurred: {error}")
        except Exception as error:  # noqa: BLE001 - Chainlit's contract: a failed write is logged, not raised
            chainlit_logger.warning(f"An unexpected error occurred: {error}")
        return None

    async def execute_sql(self, query: str, parameters: dict[str, Any]) -> list[dict[str, Any]] | int | None:
        if self._pending:
            await self.flush()  # whatever comes next sees every step queued before it
        return await self._execute(query, parameters)

    async def close(self) -> None:
        await self.flush()
        await super().close()

    # --- steps -----------------------------------------------------------------------------------

    @queue_until_user_message()
    async def create_step(self, step_dict: StepDict) -> None:
        thread_id = step_dict["threadId"]
        if thread_id in self._threads:
            self._threads.move_to_end(thread_id)
        else:
            await self.update_thread(thread_id)  # inserts the thread if it is not there yet
        # Chainlit's own statement (SQLAlchemyDataLayer.create_step), queued instead of run at once.
        step_dict["showInput"] = (str(step_dict.get("showInput", "")).lower()
                                  if "showInput" in step_dict else None)
        parameters: dict[str, Any] = {key: value for key, value in step_dict.items()
                                      if value is not None and not (isinstance(value, dict) and not value)}
        parameters["metadata"] = json.dumps(step_dict.get("metadata", {}))
        parameters["generation"] = json.dumps(step_dict.get("generation", {}))
        columns = ", ".join(f'"{key}"' for key in parameters)
        values = ", ".join(f":{key}" for key in parameters)
        updates = ", ".join(f'"{key}" = :{key}' for key in parameters if key != "id")
        self._enqueue(f"INSERT INTO steps ({columns}) VALUES ({values}) ON CONFLICT (id) DO UPDATE SET {updates};",
                      parameters)

    @queue_until_user_message()
    async def update_step(self, step_dict: StepDict) -> None:
        await self.create_step(step_dict)

    @queue_until_user_message()
    async def delete_step(self, step_id: str) -> None:
        parameters = {"id": step_id}
        self._enqueue('DELETE FROM feedbacks WHERE "forId" = :id', parameters)
        self._enqueue('DELETE FROM elements WHERE "forId" = :id', parameters)
        self._enqueue('DELETE FROM steps WHERE "id" = :id', parameters)

    # --- threads known to exist ------------------------------------------------------------------

    async def update_thread(self, thread_id: str, name: str | None = None, user_id: str | None = None,
                            metadata: dict[str, Any] | None = None, tags: list[str] | None = None) -> None:
        await super().update_thread(thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags)
        self._threads[thread_id] = None
        self._threads.move_to_end(thread_id)
        while len(self._threads) > KNOWN_THREADS:
            self._threads.popitem(last=False)

    async def delete_thread(self, thread_id: str) -> None:
        self._threads.pop(thread_id, None)
        await super().delete_thread(thread_id)


def data_layer(settings: Settings) -> SQLAlchemyDataLayer:
    url = settings.history_url
    # aiosqlite passes ``timeout`` to sqlite3.connect: the busy timeout a writer waits for the lock.
    if not url.startswith("sqlite"):
        return BatchedHistory(conninfo=url)
    layer = BatchedHistory(conninfo=url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
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
