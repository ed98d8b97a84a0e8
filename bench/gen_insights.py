"""Fill an analytics database with scripted conversations for the dashboard benchmark.

    .venv/bin/python bench/gen_insights.py --conversations 100000 --database-url sqlite:///var/bench-insights.db

The conversations are ``tests/insights/script.py``'s realistic mix (every outcome class), spread over the
last 90 days; each goes through the consumer's own code (``events.parse`` → ``outcomes.summarise`` →
``InsightsStore`` row), only written in bulk instead of batch by batch from a stream. Tickets (for MTTR)
and triage decisions are added too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import delete, insert  # noqa: E402

from copilot.insights import tables  # noqa: E402
from copilot.insights.events import parse  # noqa: E402
from copilot.insights.outcomes import summarise  # noqa: E402
from copilot.insights.store import InsightsStore, rebuild_days  # noqa: E402
from copilot.insights.tables import create_tables, make_engine  # noqa: E402
from tests.insights.script import sample, sample_triage  # noqa: E402

CHUNK = 5000
DAYS = 90


async def generate(url: str, conversations: int, *, tickets: int = 20_000, proposals: int = 3000, seed: int = 5) -> float:
    """Empty the tables and fill them; returns the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(url)
    await create_tables(engine)
    store = InsightsStore(engine)
    now = datetime.now(UTC)
    start = datetime.combine(now.date() - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    async with engine.begin() as connection:
        for table in (tables.events, tables.conversations, tables.tickets, tables.triage, tables.cursor):
            await connection.execute(delete(table))
    sequence = 0
    for offset in range(0, conversations, CHUNK):
        scripts = sample(min(CHUNK, conversations - offset), start, DAYS, seed=seed + offset, employees=5000)
        event_rows, conversation_rows = [], []
        for script in scripts:
            script.conversation_id = f"bench-{offset}-{script.conversation_id}"
            rows = []
            for event in script.events:
                sequence += 1
                event.conversation_id = script.conversation_id
                rows.append(parse(f"{int(event.at.timestamp() * 1000)}-{sequence}", event.model_dump(mode="json")))
            facts = summarise(rows)
            if facts is not None:
                conversation_rows.append(store._row(facts, now))  # noqa: SLF001 - the consumer's own row
            event_rows += [r.db() for r in rows]
        async with engine.begin() as connection:
            await connection.execute(insert(tables.events), event_rows)
            await connection.execute(insert(tables.conversations), conversation_rows)
    rng = random.Random(seed)
    ticket_rows = []
    for n in range(tickets):
        created = start + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        via = rng.random() < 0.15
        hours = rng.lognormvariate(2.2 if via else 2.8, 0.9)
        resolved = created + timedelta(hours=hours)
        ticket_rows.append({"ticket_id": 1_000_000 + n, "type": rng.choice(("Incident", "Service Request")),
                            "created_at": created, "resolved_at": resolved if resolved < now else None,
                            "via_copilot": via, "requester_email": f"employee{rng.randrange(5000)}@acme.example"})
    async with engine.begin() as connection:
        await connection.execute(insert(tables.tickets), ticket_rows)
    async with engine.begin() as connection:  # the per-day rollups the consumer keeps as it goes
        await rebuild_days(connection, [start.date() + timedelta(days=n) for n in range(DAYS)])
    triage_rows = [parse(f"{int(e.at.timestamp() * 1000)}-{n}", e.model_dump(mode="json"))
                   for n, e in enumerate(sample_triage(proposals, start, DAYS, seed=seed))]
    await store.ingest(triage_rows, "0-1", now)
    await engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--database-url", default=f"sqlite:///{REPO / 'var' / 'bench-insights.db'}")
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    seconds = asyncio.run(generate(args.database_url, args.conversations))
    print(f"{args.conversations} conversations written in {seconds:.0f} s")


if __name__ == "__main__":
    main()
