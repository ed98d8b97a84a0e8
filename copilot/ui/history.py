"""Chat history through Chainlit's SQLAlchemy data layer: SQLite under ``var/`` or PostgreSQL.

The layer runs raw SQL and never creates its tables, so we create them (the documented schema plus
the ``autoCollapse`` column Chainlit 2.10+ writes). Errors inside the layer are only logged by
Chainlit, which is why the schema is checked here at start-up.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

from copilot.settings import Settings

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
    return SQLAlchemyDataLayer(conninfo=settings.history_url)
