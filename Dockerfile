# The Aftercare image for docker-compose.yml: web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt && pip check

COPY . .
RUN useradd --create-home --uid 1000 aftercare \
    && mkdir -p /app/var /app/staticfiles \
    && chown -R aftercare:aftercare /app/var /app/staticfiles
USER aftercare

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000"]
