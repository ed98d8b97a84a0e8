"""CPU per chat turn over Chainlit's socket, side by side for two (or more) checkouts of the app.

Starts the sandbox and one Chainlit app per ``--roots`` directory (offline model, its own data dir, all on
``--redis``), signs ``--employees`` employees in, opens their chats, then has each send ``--messages``
messages one after the other (0.2–1 s apart) and reads the app's CPU from /proc before and after: per
turn, split into the event-loop thread and the worker threads (SQLite, ONNX Runtime, audit). Rounds
alternate the order of the apps (A B, B A, ...) so both see the same machine. It also counts, per round,
the socket.io frames the app emits and the history statements and commits it makes (a wrapper around the
app's entry point: ``python -m copilot.serve`` in a checkout that has it, ``chainlit run`` in an older one),
and with ``--cprofile DIR`` writes a cProfile of the event-loop thread during the
last round's turns (``python -m pstats``; the profiler runs in every round then, so compare CPU without it).
Make the "before" checkout with ``git archive COMMIT | tar -x -C DIR``. ``--app-env N KEY=VALUE`` sets an
environment variable for the N-th app only (``--roots . . --app-env 1 COPILOT_WS_PER_MESSAGE_DEFLATE=false``
compares one setting). Prints one line per app and round; writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def serve() -> None:
    """The app process: ``MODULE ARGS...`` run as ``python -m MODULE ARGS...`` with counters (and cProfile) toggled by SIGUSR1/SIGUSR2."""
    import cProfile

    import socketio
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    out = os.environ["SOCKET_CPU_OUT"]
    profiler = cProfile.Profile() if os.environ.get("SOCKET_CPU_CPROFILE") == "1" else None
    counts: collections.Counter[str] = collections.Counter()
    on = [False]

    def start(*_: object) -> None:
        counts.clear()
        on[0] = True
        if profiler is not None:
            profiler.enable()

    def stop(*_: object) -> None:
        on[0] = False
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(out + ".pstats")
        Path(out + ".json").write_text(json.dumps(dict(counts)))

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    emit = socketio.AsyncServer.emit

    async def counted_emit(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if on[0]:
            counts[f"frame {name}"] += 1
        return await emit(self, name, *args, **kwargs)

    socketio.AsyncServer.emit = counted_emit  # type: ignore[method-assign]

    @event.listens_for(Engine, "commit")
    def commit(_: object) -> None:
        if on[0]:
            counts["history commits"] += 1

    @event.listens_for(Engine, "before_cursor_execute")
    def statement(*_: object) -> None:
        if on[0]:
            counts["history statements"] += 1

    import runpy

    module = sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    sys.path.insert(0, os.getcwd())  # as `python -m`: the checkout's own packages first
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of the event-loop (main) thread and of all other threads together."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {"loop": 0.0, "threads": 0.0}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out["loop" if task == str(pid) else "threads"] += (int(fields[11]) + int(fields[12])) / ticks
    return out


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve()
        return
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_socket as bs
    import httpx
    from bench_load import MIX, cpu_seconds, requester_emails, sandbox_process, share_models, stop, wait_ready

    from tests.servers import free_port

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roots", nargs="+", type=Path, default=[ROOT], help="app checkouts to compare")
    parser.add_argument("--employees", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--models", type=Path, metavar="DIR", help="an exported MiniLM models/ folder to share")
    parser.add_argument("--cprofile", type=Path, metavar="DIR", help="cProfile the loop during the turns")
    parser.add_argument("--app-env", nargs=2, action="append", default=[], metavar=("N", "KEY=VALUE"),
                        help="an environment variable for the N-th app of --roots only (repeatable)")
    args = parser.parse_args()
    app_env: dict[int, dict[str, str]] = collections.defaultdict(dict)
    for number, pair in args.app_env:
        key, _, value = pair.partition("=")
        app_env[int(number)][key] = value
    out = Path(tempfile.mkdtemp(prefix="socket-cpu-"))

    def entry(root: Path) -> list[str]:
        """The checkout's own way of starting the app."""
        if (root / "copilot" / "serve.py").exists():
            return ["copilot.serve", "app.py"]
        return ["chainlit", "run", "app.py", "--headless"]

    def start_app(root: Path, sandbox_url: str, data_dir: Path, name: str,
                  extra_env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        share_models(args.models, data_dir)
        env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox_url,
               "COPILOT_FRESHSERVICE_API_KEY": bs.API_KEY, "COPILOT_REDIS_URL": args.redis,
               "COPILOT_DATA_DIR": str(data_dir), "CHAINLIT_AUTH_SECRET": bs.SECRET, "COPILOT_LOG_LEVEL": "WARNING",
               "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "COPILOT_KB_SYNC_INTERVAL_SECONDS": "3600",
               "PYTHONPATH": str(root), "SOCKET_CPU_OUT": str(out / name),
               "SOCKET_CPU_CPROFILE": "1" if args.cprofile else "0", **extra_env}
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", *entry(root),
                                    "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=root, env=env, stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        wait_ready(f"{url}/healthz", process)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # a fresh data dir embeds the articles first
            knowledge = httpx.get(f"{url}/healthz", timeout=10).json().get("components", {}).get("knowledge", {})
            if knowledge.get("status") == "ok":
                break
            time.sleep(2)
        return url, process

    async def run_round(url: str, pid: int, cookies: list[str], seed: int) -> dict[str, Any]:
        semaphore = asyncio.Semaphore(10)

        async def open_one(cookie: str) -> Any:
            async with semaphore:
                session = bs.Session(url, cookie)
                await session.open()
                return session

        sessions = await asyncio.gather(*(open_one(c) for c in cookies))
        latencies: list[float] = []
        errors: collections.Counter[str] = collections.Counter()

        async def employee(index: int, session: Any) -> None:
            rng = random.Random(seed * 1000 + index)
            for _ in range(args.messages):
                try:
                    latencies.append(await session.say(rng.choice(MIX)[1]))
                except (TimeoutError, RuntimeError) as error:
                    errors[str(error) or type(error).__name__] += 1
                await asyncio.sleep(rng.uniform(0.2, 1.0))

        cpu, threads = cpu_seconds(pid), thread_cpu(pid)
        os.kill(pid, signal.SIGUSR1)
        await asyncio.gather(*(employee(i, s) for i, s in enumerate(sessions)))
        os.kill(pid, signal.SIGUSR2)
        cpu, after = cpu_seconds(pid) - cpu, thread_cpu(pid)
        await asyncio.gather(*(s.client.disconnect() for s in sessions))
        turns = max(len(latencies), 1)
        latencies.sort()
        return {"turns": len(latencies), "cpu_ms": 1000 * cpu / turns,
                "loop_ms": 1000 * (after["loop"] - threads["loop"]) / turns,
                "threads_ms": 1000 * (after["threads"] - threads["threads"]) / turns,
                "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0.0, "errors": dict(errors)}

    with sandbox_process() as (sandbox_url, _), tempfile.TemporaryDirectory() as work:
        apps = []
        for index, root in enumerate(args.roots):
            (Path(work) / f"app{index}").mkdir()
            print(f"app{index} {root}: {' '.join(entry(root.resolve()))} {app_env[index] or ''}", flush=True)
            apps.append((index, root, *start_app(root.resolve(), sandbox_url, Path(work) / f"app{index}", f"app{index}",
                                                 app_env[index])))
        emails = requester_emails(sandbox_url, args.employees)
        try:
            for number in range(args.rounds):
                for index, root, url, process in apps if number % 2 == 0 else list(reversed(apps)):
                    cookies = [bs.sign_in(url, email) for email in emails]
                    last = number == args.rounds - 1
                    result = asyncio.run(run_round(url, process.pid, cookies, number))
                    time.sleep(0.5)  # the app writes its counters on SIGUSR2
                    counts = json.loads((out / f"app{index}.json").read_text())
                    per_turn = {k: round(v / max(result["turns"], 1), 1) for k, v in sorted(counts.items())}
                    print(f"round {number} app{index} {root}: {result['turns']} turns, CPU/turn {result['cpu_ms']:.1f} ms "
                          f"(loop {result['loop_ms']:.1f}, threads {result['threads_ms']:.1f}), p50 "
                          f"{result['p50_ms']:.0f} ms, errors {result['errors'] or 0}, load {os.getloadavg()[0]:.1f}; "
                          f"per turn {per_turn}", flush=True)
                    if last and args.cprofile:
                        args.cprofile.mkdir(parents=True, exist_ok=True)
                        (out / f"app{index}.pstats").replace(args.cprofile / f"app{index}.pstats")
        finally:
            for _, _, _, process in apps:
                stop(process)


if __name__ == "__main__":
    main()
