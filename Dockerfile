# Portal Copilot: one image for the app (and the sandbox for demos). CPU-only torch, non-root.
FROM python:3.11-slim AS base

# Production (also the settings' default): needs COPILOT_FRESHSERVICE_URL, COPILOT_FRESHSERVICE_API_KEY and
# CHAINLIT_AUTH_SECRET (32+ random bytes); no demo login, demo REST token or demo portal tokens.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    COPILOT_ENV=production \
    COPILOT_HOST=0.0.0.0 COPILOT_PORT=8000 COPILOT_DATA_DIR=/data

WORKDIR /app
RUN useradd --create-home --uid 10001 copilot && mkdir -p /data && chown copilot /data

COPY pyproject.toml README.md ./
COPY copilot ./copilot
COPY tools ./tools
COPY sandbox ./sandbox
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
 && pip install .

COPY app.py chainlit.md ./
COPY portal ./portal
COPY .chainlit ./.chainlit

USER copilot
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:8000/healthz', timeout=4).status_code >= 500)"
# copilot.serve = `chainlit run app.py --headless` without nest_asyncio (docs/benchmarks.md "Chat UI over the socket");
# host and port from COPILOT_HOST / COPILOT_PORT
CMD ["python", "-m", "copilot.serve", "app.py"]
