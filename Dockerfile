# newsbot: one process, `newsbot run`. Mount your config/ and a data/ volume:
#   docker build -t newsbot .
#   docker run -v $PWD/config:/app/config -v newsbot-data:/app/data \
#     -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN newsbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEWSBOT_DATABASE_URL=sqlite:////app/data/newsbot.db

WORKDIR /app
# The locked versions first (exact pins, every file's hash checked; a layer that stays cached
# until `make lock` changes them), then the bot itself with nothing resolved anew.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

COPY config ./config
COPY seeds ./seeds
RUN useradd --system --home /app newsbot && mkdir -p /app/data && chown newsbot /app/data
USER newsbot

VOLUME ["/app/config", "/app/data"]
# Liveness from /healthz (ops.listen_port in config/newsbot.yaml; change both together).
# docker stop sends SIGTERM and waits 10 s: newsbot finishes the post in flight within that.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]
CMD ["newsbot", "run"]
