# syntax=docker/dockerfile:1
# One image for every Rounds process; the command picks the process:
#   rounds serve people|rota|visits|supervision|alerts|gateway, or rounds migrate all.
# Built in two stages so the runtime image holds the virtual environment and the code, not uv or a compiler.
# It runs as a non-root user with a read-only root filesystem: the only writable place is /tmp
# (ROUNDS_DATA_DIR), which compose mounts as tmpfs and Kubernetes as an emptyDir.

# Pinned versions: the same uv as the lock file was made with, and the Python the project targets.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
# Compile bytecode now (the runtime filesystem is read-only) and copy, not link, out of uv's cache.
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project
COPY rounds ./rounds
COPY services ./services
COPY gateway ./gateway
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="rounds" \
      org.opencontainers.image.description="Rounds: an event-driven platform for home care providers" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed, high uid/gid (the Helm chart's securityContext names the same numbers).
RUN groupadd --gid 10001 rounds \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin rounds \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/rounds
# /var/lib/rounds: where a volume keeps state that must outlive the container (compose gives the gateway's
# built-in issuer key one); a new named volume takes this owner.
WORKDIR /app
COPY --from=build --chown=root:root /app/.venv /app/.venv
# The package is installed into the venv (--no-editable); topology.yaml ships inside it.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ROUNDS_DATA_DIR=/tmp/rounds \
    HEALTH_PORT=8000
USER 10001:10001
EXPOSE 8000 8101 8102 8103 8104 8105
# Every process answers /healthz on its own port; HEALTH_PORT names it (compose sets it per service).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['HEALTH_PORT'] + '/healthz', timeout=2)"]
ENTRYPOINT ["rounds"]
CMD ["serve", "gateway"]
