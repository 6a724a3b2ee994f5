# newsbot: one process, `newsbot run`. Mount your config/ and a data/ volume:
#   docker build -t newsbot .
#   docker run -v $PWD/config:/app/config -v newsbot-data:/app/data \
#     -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN newsbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEWSBOT_DATABASE_URL=sqlite:////app/data/newsbot.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

COPY config ./config
COPY seeds ./seeds
RUN useradd --system --home /app newsbot && mkdir -p /app/data && chown newsbot /app/data
USER newsbot

VOLUME ["/app/config", "/app/data"]
CMD ["newsbot", "run"]
