# syntax=docker/dockerfile:1
#
# Storefront API image. Build:  docker build -t storefront .
# Run (needs PostgreSQL + Redis; see compose.yaml and docs/deployment.md):
#   docker run -e DATABASE_URL=... -e REDIS_URL=... -e SECRET_KEY=... \
#     -e PUBLIC_URL=https://shop.example -p 8000:8000 storefront
# The image listens on HOST=0.0.0.0; with APP_ENV=prod the app refuses to start unless
# PUBLIC_URL gives the address customers use (links must never say 0.0.0.0).
#
# Both stages use the same base image, so the virtual environment built in the
# first one (its interpreter symlinks point at /usr/local/bin/python3.11) runs as is
# in the second one.

# ---------------------------------------------------------------- builder
FROM python:3.11-slim-bookworm AS builder

# uv, pinned to one release (the static binary from its official image).
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /usr/local/bin/

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11

WORKDIR /app

# Dependencies first (cached while uv.lock is unchanged), without the project itself.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the application (what .dockerignore lets through) and the project install.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# ---------------------------------------------------------------- runtime
FROM python:3.11-slim-bookworm AS runtime

# An unprivileged user with a fixed id (Kubernetes runAsNonRoot can verify a number).
RUN groupadd --system --gid 10001 storefront \
    && useradd --system --uid 10001 --gid storefront --no-log-init \
       --home-dir /nonexistent --shell /usr/sbin/nologin storefront

WORKDIR /app
# Code and virtual environment stay owned by root: the app user can read, not change them.
COPY --from=builder /app /app

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=8000

USER 10001:10001

EXPOSE 8000

# The slim image has no curl: python's urllib raises (exit 1) on refusal or a non-2xx answer.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health/live', timeout=2)"]

# `serve` applies pending migrations (under a PostgreSQL advisory lock, so several
# replicas starting together are safe) and then starts the ASGI server; it handles
# SIGTERM with a graceful shutdown.
CMD ["python", "-m", "entrypoints.cli", "serve"]
