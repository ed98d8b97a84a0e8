"""``python -m sandbox --port 8001``: run the sandbox Freshservice (API key from ``SANDBOX_API_KEY``)."""

from __future__ import annotations

import argparse

import uvicorn

from sandbox.app import create_app
from sandbox.config import DEFAULT_API_KEY, SandboxConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="Freshservice-compatible sandbox server")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    config = SandboxConfig.from_env()
    if config.api_key == DEFAULT_API_KEY:
        print(f"Sandbox API key: {DEFAULT_API_KEY} (set SANDBOX_API_KEY to change it)")
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
