"""``python -m copilot.serve``: the app's server, without ``chainlit.cli``.

Does what ``chainlit run app.py --headless`` does (``run_chainlit`` in ``chainlit/cli/__init__.py``): Chainlit's
configuration (``.chainlit/config.toml``, created if missing), ``app.py`` loaded as Chainlit's module, the JWT
secret and callbacks checked, ``chainlit.md`` created if missing, then uvicorn with the same websocket options on
Chainlit's ASGI app, with our bounded graceful shutdown (``copilot.web.serving``) — but without importing
``chainlit.cli``, which calls ``nest_asyncio.apply()`` at import. That swaps asyncio's C ``Task``, ``Future`` and
event-loop step for pure-Python ones in the whole process, for re-entrant loops that neither the app nor
Chainlit's server path uses (the one ``run_until_complete`` in Chainlit's server, for chat-profile overrides,
needs ``set_chat_profiles``, which the app does not set). See docs/benchmarks.md "Chat UI over the socket".

``chainlit run app.py --headless`` still works (the same app, the same graceful shutdown, the same per-message
deflate setting); it only runs asyncio as pure Python.

    python -m copilot.serve [app.py] [--host H] [--port P]   # host/port default to COPILOT_HOST/COPILOT_PORT

Run it from the project root (Chainlit finds ``.chainlit/``, ``public/`` and ``chainlit.md`` in the current
directory, as with ``chainlit run``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m copilot.serve", description=__doc__.split("\n")[0])
    parser.add_argument("target", nargs="?", default="app.py", help="the Chainlit app module (default: app.py)")
    parser.add_argument("--host", help="default: COPILOT_HOST (127.0.0.1)")
    parser.add_argument("--port", type=int, help="default: COPILOT_PORT (8000)")
    parser.add_argument("--root-path", help="serve under this path prefix (Chainlit's --root-path)")
    parser.add_argument("--ssl-cert", help="certificate file (with --ssl-key)")
    parser.add_argument("--ssl-key", help="key file (with --ssl-cert)")
    parser.add_argument("--debug", action="store_true", help="uvicorn and Chainlit at debug level")
    parser.add_argument("--headless", action="store_true", help="accepted for `chainlit run` parity; always headless")
    args = parser.parse_args(argv)
    if bool(args.ssl_cert) != bool(args.ssl_key):
        parser.error("--ssl-cert and --ssl-key go together")
    return args


def load_app(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Chainlit's ``run`` command up to the server: returns the ASGI app and uvicorn's ``Config`` arguments."""
    from copilot.settings import get_settings

    if args.root_path:
        os.environ["CHAINLIT_ROOT_PATH"] = args.root_path  # read at import by Chainlit's cookies and server
    if args.ssl_cert:
        os.environ["CHAINLIT_SSL_CERT"], os.environ["CHAINLIT_SSL_KEY"] = args.ssl_cert, args.ssl_key

    # importing chainlit loads .env into the environment, as `python -m chainlit` does first
    from chainlit.auth import ensure_jwt_secret
    from chainlit.cache import init_lc_cache
    from chainlit.config import config, load_module
    from chainlit.markdown import init_markdown
    from chainlit.utils import check_file

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port

    # chainlit.cli's own logging set-up (Chainlit's INFO lines on stdout), kept for the same output
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    config.run.headless = True
    config.run.debug = args.debug
    config.run.ssl_cert, config.run.ssl_key = args.ssl_cert, args.ssl_key
    config.run.host, config.run.port = host, port
    config.run.root_path = args.root_path or ""

    from chainlit.server import app  # after config.run.root_path: its routes are prefixed at import

    check_file(args.target)
    config.run.module_name = args.target
    load_module(args.target)
    ensure_jwt_secret()
    if not (config.code.on_chat_start or config.code.on_message or config.code.on_audio_chunk):
        raise SystemExit(f"{args.target} sets none of on_chat_start, on_message or on_audio_chunk")
    init_markdown(config.root)
    init_lc_cache()
    options = {"host": host, "port": port, "ws": os.environ.get("UVICORN_WS_PROTOCOL", "auto"),
               "log_level": "debug" if args.debug else "error",
               "ws_per_message_deflate": settings.ws_per_message_deflate,  # on unless set (Chainlit's default)
               "ssl_keyfile": args.ssl_key, "ssl_certfile": args.ssl_cert}
    return app, options


def main(argv: Sequence[str] | None = None) -> None:
    app, options = load_app(parse_args(argv))
    from copilot.web.serving import BoundedConfig, DrainingServer

    server = DrainingServer(BoundedConfig(app, **options))
    asyncio.run(server.serve())


if __name__ == "__main__":
    main()
