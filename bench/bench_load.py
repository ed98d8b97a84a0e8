"""Load and scale-out: many employees with think time over the REST channel, one replica vs two.

Starts the sandbox in its own process (Acme's own articles, no rate limit) and, for each replica
count, that many REST replicas (``uvicorn copilot.web.standalone:app_from_env --factory``, offline
model) sharing one Redis (``--redis``, default DB 13 of 127.0.0.1:6379), optionally behind HAProxy
(``--proxy``, config ``deploy/haproxy.cfg``). Then, per replica count:

* **employees**: N employees (the sandbox's requesters), each opening a conversation and sending
  ``--messages`` messages ``--think`` seconds apart (uniform, seeded), starting at a random point of
  the first think interval; the mix is FAQ / licence / ticket status / request turns. Reports turns
  served per second, p50/p95/max latency, errors (any non-200 or transport error), and the CPU time
  per turn of the app process(es), the sandbox and this load generator (from /proc).
* **saturation**: ``--saturation-clients`` conversations sending back to back (no think time) for
  ``--saturation-seconds``: the most turns per second the replicas serve; the two-replica figure
  divided by the one-replica figure is the scale-out ratio.

All traffic goes to 127.0.0.1. Prints the figures and writes the "Load and scale-out" section of
docs/benchmarks.md (``--no-write`` to skip). ``--quick`` is a ~1-minute development run (one replica,
150 employees × 2 messages, 10 s saturation) that prints but does not write.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copilot.eval.report import BENCHMARKS_MD, write_section  # noqa: E402
from copilot.web.serving import MAX_REQUEST_HEAD_BYTES  # noqa: E402
from tests.servers import free_port  # noqa: E402

SECTION = "## Load and scale-out"
API_KEY = "bench-load-key"
TOKEN = "bench-load-token"
TICKS = os.sysconf("SC_CLK_TCK")

# (kind, text); each employee draws its messages from this mix with its own seeded RNG
MIX: list[tuple[str, str]] = [
    ("faq", "how do I connect to the VPN?"),
    ("faq", "I forgot my password, how do I reset it?"),
    ("faq", "how does follow-me printing work?"),
    ("faq", "hi"),
    ("licence", "is there a free figma licence?"),
    ("licence", "can I get a Photoshop licence?"),
    ("status", "show my tickets"),
    ("status", "what's the status of INC-1?"),
    ("request", "I need a monitor"),
    ("request", "order a headset please"),
]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


@dataclass
class Phase:
    name: str
    replicas: int
    latencies: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)  # latency of 503 answers (the replica said "busy, retry")
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    offered: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # part -> CPU seconds during the phase
    load: float = 0.0  # the machine's 1-minute load average at the end (other work on the same cores)

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def cpu_ms_per_turn(self, part: str) -> float:
        return 1000 * self.cpu.get(part, 0.0) / self.turns if self.turns else float("nan")

    def cpu_ms_per_turn_total(self) -> float:
        return sum(self.cpu_ms_per_turn(part) for part in self.cpu)

    def ceiling(self, cores: int) -> float:
        """Turns/s this machine could serve if nothing else ran on it: each replica is one event loop (at most
        one core), and everything measured (replicas, sandbox, load generator, proxy) shares ``cores``."""
        app, total = self.cpu_ms_per_turn("app"), self.cpu_ms_per_turn_total()
        if not self.turns or not total:
            return float("nan")
        return min(1000 * self.replicas / app if app else float("inf"), 1000 * cores / total)

    def summary(self) -> str:
        errors = sum(self.errors.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in self.errors.most_common())})" if errors else ""
        return (f"{self.name:11s} replicas {self.replicas}: {self.turns} turns in {self.seconds:.1f} s = "
                f"{self.throughput:.1f} turns/s; p50 {1000 * percentile(self.latencies, .5):.0f} ms, "
                f"p95 {1000 * percentile(self.latencies, .95):.0f} ms, max {1000 * max(self.latencies, default=0):.0f} ms; "
                f"errors {errors}{detail}; CPU/turn app {self.cpu_ms_per_turn('app'):.1f} ms, "
                f"sandbox {self.cpu_ms_per_turn('sandbox'):.1f} ms, load generator {self.cpu_ms_per_turn('client'):.1f} ms, "
                f"proxy {self.cpu_ms_per_turn('proxy'):.1f} ms; CPU ceiling {self.ceiling(os.cpu_count() or 1):.0f} turns/s; "
                f"machine load {self.load:.1f}{self.busy_summary()}")

    def busy_summary(self) -> str:
        if not self.busy:
            return ""
        return (f"; 503 busy {len(self.busy)} (p95 {1000 * percentile(self.busy, .95):.0f} ms, "
                f"max {1000 * max(self.busy):.0f} ms)")


# --- processes -------------------------------------------------------------------------------


def wait_ready(url: str, process: subprocess.Popen[bytes], auth: tuple[str, str] | None = None,
               timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!s} exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, auth=auth, timeout=5).status_code < 500:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def sandbox_process() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "SANDBOX_API_KEY": API_KEY, "SANDBOX_PLAN": "unlimited", "SANDBOX_KNOWLEDGE": "org"}
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port)], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/api/v2/agents/me", process, auth=(API_KEY, "X"))
        yield url, process
    finally:
        stop(process)


def share_models(models: Path | None, data_dir: Path) -> None:
    """Point a fresh data dir at an already exported and quantised MiniLM (``--models``): a cold start
    exports and quantises it again, minutes of CPU that are not what this bench measures."""
    if models is not None and not (data_dir / "models").exists():
        (data_dir / "models").symlink_to(models.resolve(), target_is_directory=True)


@contextlib.contextmanager
def replicas(count: int, sandbox_url: str, redis_url: str, work: Path,
             models: Path | None = None) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for index in range(count):
            port = free_port()
            data_dir = work / f"replica-{index}"
            data_dir.mkdir(exist_ok=True)
            share_models(models, data_dir)
            env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox_url,
                   "COPILOT_FRESHSERVICE_API_KEY": API_KEY, "COPILOT_REDIS_URL": redis_url,
                   "COPILOT_DATA_DIR": str(data_dir), "COPILOT_API_TOKENS": TOKEN, "COPILOT_LOG_LEVEL": "WARNING",
                   "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
            cmd = [sys.executable, "-m", "uvicorn", "copilot.web.standalone:app_from_env", "--factory",
                 "--h11-max-incomplete-event-size", str(MAX_REQUEST_HEAD_BYTES),
                   "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
            started.append((f"http://127.0.0.1:{port}", subprocess.Popen(cmd, cwd=ROOT, env=env)))
        for url, process in started:
            wait_ready(f"{url}/healthz", process)
        yield started
    finally:
        for _, process in started:
            stop(process)


@contextlib.contextmanager
def haproxy(backends: list[str], work: Path) -> Iterator[tuple[str, subprocess.Popen[bytes] | None]]:
    """HAProxy in front of the replicas with the shipped config (deploy/haproxy.cfg), on a free port."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port = free_port()
    servers = "\n".join(f"    server app{i} {url.removeprefix('http://')} check inter 2s cookie app{i}"
                        for i, url in enumerate(backends))
    config = (ROOT / "deploy" / "haproxy.cfg").read_text().replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{port}")
    blocks, rest = [], config
    while "    # servers-begin" in rest:  # each backend's server list becomes ours
        start, end = rest.index("    # servers-begin"), rest.index("    # servers-end")
        blocks.append(rest[:start] + servers + "\n")
        rest = rest[end + len("    # servers-end"):]
    config = "".join(blocks) + rest
    path = work / "haproxy.cfg"
    path.write_text(config)
    process = subprocess.Popen([binary, "-f", str(path), "-db"], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/healthz", process)
        yield url, process
    finally:
        stop(process)


def profile(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy (``pip install py-spy``; not a project dependency) sampling one replica for ``seconds``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen([binary, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                             "--format", "speedscope", "--output", str(out)], stdout=subprocess.DEVNULL)


# --- load ----------------------------------------------------------------------------------


async def employees_phase(phase: Phase, urls: list[str], emails: list[str], messages: int, think: tuple[float, float],
                          seed: int) -> None:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        async def employee(index: int, email: str) -> None:
            rng = random.Random(seed * 100_003 + index)
            base = urls[index % len(urls)]
            headers = {"Authorization": f"Bearer {TOKEN}", "X-Employee-Email": email}
            await asyncio.sleep(rng.uniform(0, think[1]))
            try:
                created = await http.post(f"{base}/api/v1/conversations", headers=headers)
            except httpx.HTTPError as error:
                phase.errors[f"create {type(error).__name__}"] += 1
                return
            if created.status_code != 201:
                phase.errors[f"create {created.status_code}"] += 1
                return
            conversation = created.json()["id"]
            for number in range(messages):
                if number:
                    await asyncio.sleep(rng.uniform(*think))
                _, text = rng.choice(MIX)
                await send(http, phase, base, conversation, headers, text)

        await asyncio.gather(*(employee(i, e) for i, e in enumerate(emails)))


async def send(http: httpx.AsyncClient, phase: Phase, base: str, conversation: str, headers: dict[str, str],
               text: str) -> None:
    started = time.perf_counter()
    try:
        response = await http.post(f"{base}/api/v1/conversations/{conversation}/messages", json={"text": text},
                                   headers=headers)
    except httpx.HTTPError as error:
        phase.errors[type(error).__name__] += 1
        return
    if response.status_code == 200:
        phase.latencies.append(time.perf_counter() - started)
    elif response.status_code == 503 and phase.name == "overload":
        phase.busy.append(time.perf_counter() - started)  # expected when overloaded: counted, not an error
    else:
        phase.errors[str(response.status_code)] += 1


async def saturation_phase(phase: Phase, urls: list[str], emails: list[str], clients: int, seconds: float,
                           seed: int) -> None:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        conversations = []
        for index in range(clients):
            base = urls[index % len(urls)]
            headers = {"Authorization": f"Bearer {TOKEN}", "X-Employee-Email": emails[index % len(emails)]}
            created = await http.post(f"{base}/api/v1/conversations", headers=headers)
            created.raise_for_status()
            conversations.append((base, created.json()["id"], headers))
        deadline = time.perf_counter() + seconds

        async def loop(index: int) -> None:
            rng = random.Random(seed * 7919 + index)
            base, conversation, headers = conversations[index]
            while time.perf_counter() < deadline:
                await send(http, phase, base, conversation, headers, rng.choice(MIX)[1])

        await asyncio.gather(*(loop(i) for i in range(clients)))


def warm_up(urls: list[str], email: str) -> None:
    """Every message of the mix once per replica, unmeasured: fitted NLU, loaded catalog, warm caches."""
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Employee-Email": email}
    with httpx.Client(timeout=120, headers=headers) as http:
        for url in urls:
            for _, text in MIX:
                conversation = http.post(f"{url}/api/v1/conversations").json()["id"]
                http.post(f"{url}/api/v1/conversations/{conversation}/messages", json={"text": text}).raise_for_status()


def measure(phase: Phase, parts: dict[str, list[int]], run: object) -> None:
    before = {part: sum(cpu_seconds(p) for p in pids) for part, pids in parts.items()}
    started = time.perf_counter()
    asyncio.run(run)  # type: ignore[arg-type]
    phase.seconds = time.perf_counter() - started
    phase.cpu = {part: sum(cpu_seconds(p) for p in pids) - before[part] for part, pids in parts.items()}
    phase.load = os.getloadavg()[0]
    print(phase.summary(), flush=True)


def requester_emails(sandbox_url: str, limit: int) -> list[str]:
    emails: list[str] = []
    with httpx.Client(base_url=sandbox_url, auth=(API_KEY, "X"), timeout=30) as http:
        page = 1
        while len(emails) < limit:
            batch = http.get("/api/v2/requesters", params={"per_page": 100, "page": page}).json()["requesters"]
            if not batch:
                break
            emails += [r["primary_email"] for r in batch if r.get("active", True) and r.get("primary_email")]
            page += 1
    return emails[:limit]


def forget_cached_employees(redis_url: str) -> None:
    """Each replica count starts with a cold identity cache (only our own keys in our own DB)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter("copilot:employee:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


# --- report --------------------------------------------------------------------------------


def write_report(args: argparse.Namespace, phases: list[Phase]) -> None:
    mode = "HAProxy (deploy/haproxy.cfg)" if args.proxy else "the load generator (conversation i to replica i mod n)"
    lines = [SECTION, "",
             f"Generated by `bench/bench_load.py{' --proxy' if args.proxy else ''}` on {datetime.now(UTC):%Y-%m-%d}, "
             f"{os.cpu_count()}-core machine, everything on it: the sandbox in its own process (Acme's articles, no "
             f"rate limit), REST replicas (`uvicorn copilot.web.standalone:app_from_env --factory`, offline model, "
             f"one worker each) sharing Redis `{args.redis}`, traffic spread over replicas by {mode}, and the load "
             "generator (httpx async, one process). Employees: each of N sandbox requesters opens a conversation and "
             f"sends {args.messages} messages {args.think[0]:g}–{args.think[1]:g} s apart (seeded mix of FAQ, licence, "
             "ticket-status and request turns). Saturation: "
             f"{args.saturation_clients} conversations sending back to back for {args.saturation_seconds:g} s. "
             "CPU per turn is process CPU time (/proc) divided by turns served (the app's includes opening the "
             "conversations and resolving each employee once). Offered = employees / mean think time (steady state); "
             "served = turns / wall time of the phase, ramp-up and tail included. Proxy = HAProxy's process. Machine load = 1-minute load "
             "average at the end of the phase: other work sharing the cores, which bounds throughput but not CPU/turn.", "",
             "| phase | replicas | employees / clients | offered turns/s | served turns/s | p50 | p95 | max | errors "
             "| app CPU/turn | sandbox CPU/turn | load generator CPU/turn | proxy CPU/turn | CPU ceiling | machine load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in phases:
        who = {"employees": args.employees, "overload": args.overload_clients}.get(p.name, args.saturation_clients)
        offered = f"{p.offered:.1f}" if p.offered else "max"
        lines.append(f"| {p.name} | {p.replicas} | {who} | {offered} | {p.throughput:.1f} | "
                     f"{1000 * percentile(p.latencies, .5):.0f} ms | {1000 * percentile(p.latencies, .95):.0f} ms | "
                     f"{1000 * max(p.latencies, default=0):.0f} ms | {sum(p.errors.values())} | "
                     f"{p.cpu_ms_per_turn('app'):.1f} ms | {p.cpu_ms_per_turn('sandbox'):.1f} ms | "
                     f"{p.cpu_ms_per_turn('client'):.1f} ms | {p.cpu_ms_per_turn('proxy'):.1f} ms | "
                     f"{p.ceiling(os.cpu_count() or 1):.0f} turns/s | {p.load:.1f} |")
    for p in phases:
        if p.name == "overload":
            lines += ["", f"Overload, {p.replicas} replica(s), {args.overload_clients} conversations back to back: "
                          f"{len(p.busy)} turns answered 503 busy (p95 {1000 * percentile(p.busy, .95):.0f} ms, max "
                          f"{1000 * max(p.busy, default=0):.0f} ms), {sum(p.errors.values())} other errors."]
    saturation = {p.replicas: p.throughput for p in phases if p.name == "saturation"}
    if 1 in saturation and 2 in saturation and saturation[1]:
        lines += ["", f"Scale-out: two replicas serve {saturation[2] / saturation[1]:.2f}× the turns per second of one "
                      "at saturation (same machine: the replicas, the sandbox and the load generator share its cores)."]
        ceilings = {p.replicas: p.ceiling(os.cpu_count() or 1) for p in phases if p.name == "saturation"}
        if ceilings.get(1) and ceilings.get(2):
            lines += ["", f"CPU ceiling = min(replicas × 1000 ms ÷ app CPU/turn, cores × 1000 ms ÷ CPU/turn of every "
                          f"measured process): what the CPU per turn allows on {os.cpu_count()} idle cores. At saturation "
                          f"it is {ceilings[1]:.0f} turns/s for one replica and {ceilings[2]:.0f} for two: "
                          f"{ceilings[2] / ceilings[1]:.2f}× is the most two replicas can gain on this machine, before "
                          "any other work on it (docs/scale-out.md)."]
    write_section(SECTION, "\n".join(lines))
    print(f"wrote {BENCHMARKS_MD}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="~1 minute: 150 employees x 2 messages, 10 s saturation")
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--think", type=float, nargs=2, default=(10.0, 30.0), metavar=("MIN", "MAX"))
    parser.add_argument("--replicas", default="1,2", help="comma-separated replica counts to run, e.g. 1 or 1,2")
    parser.add_argument("--saturation-clients", type=int, default=32)
    parser.add_argument("--saturation-seconds", type=float, default=20.0)
    parser.add_argument("--overload-clients", type=int, default=0, metavar="N",
                        help="then N back-to-back conversations per run (more than a replica's turn slots): "
                             "503 answers are counted with their latency, anything else non-200 is an error")
    parser.add_argument("--skip-employees", action="store_true", help="only the saturation phase")
    parser.add_argument("--proxy", action="store_true", help="send traffic through HAProxy (deploy/haproxy.cfg)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record the replicas with py-spy during saturation (speedscope JSON in DIR)")
    parser.add_argument("--models", type=Path, metavar="DIR",
                        help="an app data dir's models/ folder to share (skips exporting MiniLM at each start)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if args.quick:
        args.employees, args.messages, args.saturation_seconds = 150, 2, 10.0
        if args.replicas == "1,2":
            args.replicas = "1"
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, sandbox_process() as (sandbox_url, sandbox):
        work = Path(tmp)
        emails = requester_emails(sandbox_url, args.employees)
        if len(emails) < args.employees:
            print(f"note: the sandbox has {len(emails)} requesters; employees beyond that reuse their emails")
            emails = [emails[i % len(emails)] for i in range(args.employees)]
        for count in (int(c) for c in args.replicas.split(",")):
            forget_cached_employees(args.redis)
            with replicas(count, sandbox_url, args.redis, work, args.models) as started:
                urls = [url for url, _ in started]
                warm_up(urls, emails[0])
                proxy: contextlib.AbstractContextManager[tuple[str, subprocess.Popen[bytes] | None]] = (
                    haproxy(urls, work) if args.proxy else contextlib.nullcontext(("", None)))
                with proxy as (proxy_url, balancer):
                    targets = [proxy_url] if proxy_url else urls
                    parts = {"app": [p.pid for _, p in started], "sandbox": [sandbox.pid], "client": [os.getpid()]}
                    if balancer is not None:
                        parts["proxy"] = [balancer.pid]
                    if not args.skip_employees:
                        phase = Phase("employees", count)
                        phase.offered = args.employees / (sum(args.think) / 2)  # steady state
                        measure(phase, parts, employees_phase(phase, targets, emails, args.messages,
                                                              tuple(args.think), args.seed))
                        phases.append(phase)
                    phase = Phase("saturation", count)
                    profilers = [profile(p.pid, args.profile / f"replicas{count}-app{i}.json", args.saturation_seconds)
                                 for i, (_, p) in enumerate(started)] if args.profile else []
                    measure(phase, parts, saturation_phase(phase, targets, emails, args.saturation_clients,
                                                           args.saturation_seconds, args.seed))
                    phases.append(phase)
                    for profiler in profilers:
                        profiler.wait()
                    if args.overload_clients:
                        phase = Phase("overload", count)
                        measure(phase, parts, saturation_phase(phase, targets, emails, args.overload_clients,
                                                               args.saturation_seconds / 2, args.seed + 1))
                        phases.append(phase)
    saturation = {p.replicas: p.throughput for p in phases if p.name == "saturation"}
    if 1 in saturation and 2 in saturation and saturation[1]:
        print(f"scale-out: 2 replicas / 1 replica = {saturation[2] / saturation[1]:.2f}x turns/s at saturation")
    if args.quick and not args.no_write:
        print("--quick: docs/benchmarks.md left as it is (a development run does not replace the published figures)")
    elif not args.no_write:
        write_report(args, phases)


if __name__ == "__main__":
    main()
