"""The app-wide parts, built once per process and shared by every conversation.

Holds connection-like singletons only (settings, the Freshservice client, Redis, the knowledge
index, the catalog cache, the engine); anything that belongs to one employee or one conversation
lives in the engine's per-conversation state, never here.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits

from copilot import health, language, logs, rate_budget, store
from copilot.audit import AuditLog
from copilot.conversations import ConversationStore
from copilot.engine import Engine, EngineDeps
from copilot.identity import resolve_employee
from copilot.knowledge import embedder
from copilot.knowledge.sync import KnowledgeBase
from copilot.models.factory import build_model_client
from copilot.policy import Policy, frustration_score
from copilot.settings import Settings, get_settings
from tools.approvals import ApprovalRules
from tools.business_hours import OfficeHours
from tools.catalog import CatalogDirectory
from tools.employee import Employee
from tools.freshservice import FreshserviceClient, FreshserviceError, RedisWriteClaims

log = logs.get_logger(__name__)
OFFICE_HOURS_REFRESH_SECONDS = 3600


@dataclass
class Services:
    settings: Settings
    freshservice: FreshserviceClient
    knowledge: KnowledgeBase
    catalog: CatalogDirectory
    _engine: Engine | None = None
    _office_hours: OfficeHours | None = None
    _office_hours_at: float = 0.0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _background_clients: list[FreshserviceClient] = field(default_factory=list)
    _warming: bool = False

    def health_checks(self) -> dict[str, health.Check]:
        return {
            "redis": health.redis_check(self.settings),
            "freshservice": self._freshservice_check,
            "knowledge": self._knowledge_check,
        }

    async def _freshservice_check(self) -> health.ComponentHealth:
        me = await self.freshservice.get_me()
        where = "sandbox" if self.settings.uses_sandbox else self.settings.freshservice_base_url
        remaining = self.freshservice.rate_limit.remaining
        detail = f"{where}, API key of agent {me.id}"
        if remaining is not None:
            detail += f", rate-limit remaining {remaining}"
        return health.ComponentHealth(status="ok", detail=detail)

    async def _knowledge_check(self) -> health.ComponentHealth:
        kb = self.knowledge
        report = kb.last_report
        if not kb.ready:
            detail = "building the index (first start embeds every article; later starts reuse the cache)"
            return health.ComponentHealth(status="degraded", detail=kb.last_error or detail)
        detail = f"{len(kb.index)} articles indexed"
        if kb.progress is not None and report is None:
            done, total = kb.progress
            return health.ComponentHealth(status="degraded", detail=f"{detail}; first build in progress "
                                                                    f"({done} of {total} new articles embedded)")
        if report and report.finished_at:
            detail += f", last sync {report.finished_at:%Y-%m-%d %H:%M:%S} UTC"
        if kb.last_error:
            return health.ComponentHealth(status="degraded", detail=f"{detail}; last sync failed: {kb.last_error}")
        return health.ComponentHealth(status="ok", detail=detail)

    def warm_up(self) -> None:
        """Start loading what a first turn needs, in threads, once: the language identifier (~3 s) and, for the
        offline model, its fitted classifiers and MiniLM (seconds; half a minute on a new data directory).
        Called at app start and again (a no-op) when the engine is built, so no employee's turn pays for it."""
        if self._warming:
            return
        self._warming = True
        threading.Thread(target=language.warm_up, name="language-warm-up", daemon=True).start()
        if self.settings.model == "offline":
            # imported here, not in the thread: a turn importing the package at the same moment in another
            # thread made the import machinery raise _DeadlockError in the warm-up thread (the model was then
            # fitted by the first turn instead)
            from copilot.models.offline import shared

            threading.Thread(target=shared, name="offline-model-warm-up", daemon=True).start()

    def start_background(self) -> None:
        """Load the saved index and keep it in sync (started by the app, not by tests). The sync uses
        its own client that steps aside when the account's API budget runs low."""
        self.warm_up()
        if not self._tasks:
            settings = self.settings
            self._tasks.append(asyncio.create_task(self._load_catalog()))  # the first turn finds it in memory
            background = rate_budget.background_client(settings)
            self._background_clients.append(background)
            self._tasks.append(asyncio.create_task(
                self.knowledge.sync_forever(background, settings.kb_sync_interval_seconds)))
            if settings.triage_worker_mode == "embedded":  # production runs `python -m copilot.triage worker`
                from copilot.triage.worker import run_embedded

                self._tasks.append(asyncio.create_task(run_embedded(settings, self.knowledge)))
            from copilot.insights import prometheus, runtime

            if settings.insights_consumer_mode == "embedded":  # production runs `python -m copilot.insights consume`
                insights_client = rate_budget.background_client(settings)
                self._background_clients.append(insights_client)
                self._tasks.append(asyncio.create_task(runtime.run_embedded(settings, insights_client)))
            self._tasks.append(asyncio.create_task(prometheus.refresh_forever(settings)))

    async def _load_catalog(self) -> None:
        await self.catalog.keep_fresh()  # the tenant's item and application names (a failure is retried per turn)

    async def employee(self, email: str) -> Employee:
        """The requester behind a server-verified email (never an address the model produced)."""
        return await resolve_employee(self.freshservice, email, redis=await store.get_redis(self.settings))

    async def office_hours(self) -> OfficeHours | None:
        loop = asyncio.get_running_loop()
        if self._office_hours is None or loop.time() - self._office_hours_at > OFFICE_HOURS_REFRESH_SECONDS:
            try:
                async for hours in self.freshservice.iter_business_hours():
                    if hours.is_default or self._office_hours is None:
                        self._office_hours = OfficeHours.from_freshservice(hours)
                self._office_hours_at = loop.time()
            except FreshserviceError as error:
                log.warning("business_hours_unavailable", error=type(error).__name__, status=error.status)
        return self._office_hours

    async def engine(self) -> Engine:
        if self._engine is None:
            settings = self.settings
            self.warm_up()
            redis = await store.get_redis(settings)
            secrets = settings.secret_values()
            self._engine = Engine(EngineDeps(
                client=self.freshservice, catalog=self.catalog,
                store=ConversationStore(redis, ttl_seconds=settings.state_ttl_seconds),
                audit=AuditLog(redis, settings.data_dir / "audit" / "audit.jsonl", secrets=secrets),
                policy=Policy(), approvals=ApprovalRules.load(settings.approval_rules_file),
                model_factory=lambda: build_model_client(settings, vocabulary=lambda: self.catalog.vocabulary),
                knowledge=self.knowledge,
                office_hours=self.office_hours, secrets=secrets, stream=settings.model_stream,
                claims=RedisWriteClaims(redis),
                frustration=frustration_score, urgent_contact=settings.urgent_contact,
                replies_in_employee_language=settings.model != "offline",
                turn_budget_seconds=settings.turn_budget_seconds, max_concurrent_turns=settings.max_concurrent_turns,
                turn_queue_timeout=settings.turn_queue_timeout, max_queued_turns=settings.max_queued_turns,
            ))
        return self._engine

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for client in (self.freshservice, *self._background_clients):
            await client.aclose()
        from copilot.insights import runtime

        await runtime.dispose()
        await store.close_redis(stop_embedded=True)


_services: Services | None = None


def build_services(settings: Settings) -> Services:
    # Interactive: an employee is waiting, so a long 429 is reported as "busy" instead of waited out;
    # the background sync (start_background) keeps the client's patient defaults. A 429 seen by any
    # replica or worker pauses this client too (shared through Redis, docs/scale-out.md).
    client = FreshserviceClient(settings.freshservice_base_url, settings.freshservice_api_key.get_secret_value(),
                                timeout=settings.freshservice_timeout,
                                max_retry_after=settings.freshservice_max_retry_after,
                                max_rate_limit_wait=settings.freshservice_max_retry_after * 1.5,
                                shared=rate_budget.for_settings(settings))
    embedder.configure(settings.embedder_backend, settings.data_dir / "models")
    # One BLAS thread: a turn's numpy work is a few small matrix-vector products (KB and intent scores), and
    # OpenBLAS's other worker thread spun after each one: 27-28 ms of CPU per REST turn instead of 14 (same
    # wall time; measured side by side, docs/benchmarks.md "Capacity"). Serving processes only.
    threadpool_limits(limits=1, user_api="blas")
    # replicas sharing Redis and COPILOT_DATA_DIR build the index once (docs/knowledge.md)
    knowledge = KnowledgeBase(settings.data_dir / "knowledge", settings.portal_base_url,
                              threshold=settings.kb_answer_threshold, redis=lambda: store.get_redis(settings),
                              libraries=settings.kb_libraries)
    return Services(settings=settings, freshservice=client, knowledge=knowledge, catalog=CatalogDirectory(client))


async def get_services(settings: Settings | None = None) -> Services:
    """The process-wide services, created on first use."""
    global _services
    if _services is None:  # built synchronously, so no lock is needed
        _services = build_services(settings or get_settings())
    return _services


async def close_services() -> None:
    global _services
    if _services is not None:
        await _services.aclose()
        _services = None
