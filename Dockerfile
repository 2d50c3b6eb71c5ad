# The Aftercare image for docker-compose.yml: web (gunicorn), worker and beat.
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# pg_dump and pg_restore for manage.py backup / restore (Debian's client, 17: it reads
# and writes the compose file's PostgreSQL 16; a client must be at least the server's version).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt && pip check

COPY . .
RUN useradd --create-home --uid 1000 aftercare \
    && mkdir -p /app/var /app/staticfiles /backups \
    && chown -R aftercare:aftercare /app/var /app/staticfiles /backups
USER aftercare

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000"]
