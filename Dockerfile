# One image for every Rounds process; the command picks the process (`rounds serve people`, ...).
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY rounds ./rounds
COPY services ./services
COPY gateway ./gateway
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin rounds
WORKDIR /app
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 ROUNDS_DATA_DIR=/tmp/rounds
USER 10001
EXPOSE 8000 8101 8102 8103 8104 8105
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import os,urllib.request,sys; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"HEALTH_PORT\",\"8000\")}/healthz', timeout=2)" || exit 1
ENTRYPOINT ["rounds"]
CMD ["serve", "gateway"]
