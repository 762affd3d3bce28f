# Parcours production image: gunicorn (web), Celery worker and Celery beat all run from it
# (see docker-compose.yml). Secrets come from the environment at run time, never from the image.

# Front-end assets: Bootstrap from the npm lock file, served by Django (WhiteNoise), no CDN.
FROM node:20-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH

# WeasyPrint's libraries and a font with French accents; poppler-utils reads PDFs back (pdftotext).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils \
    && rm -rf /var/lib/apt/lists/*

# Runtime dependencies only ([project] dependencies), at the versions of requirements.lock.
COPY requirements.lock pyproject.toml /tmp/build/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==0.13.9" \
    && /opt/venv/bin/uv pip install --no-cache --python /opt/venv/bin/python \
        -r /tmp/build/pyproject.toml --constraint /tmp/build/requirements.lock \
    && rm -rf /tmp/build

RUN useradd --system --create-home --home-dir /home/parcours --uid 10001 parcours
WORKDIR /app
COPY --from=assets /assets/node_modules ./node_modules
COPY . .

# Static files with the production storage (hashed names, compressed). These values only let the settings
# load for collectstatic; the container refuses to start without the real secrets of its environment.
RUN PARCOURS_ENV=production \
    DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
    NIR_ENCRYPTION_KEYS=collectstatic-only-not-a-key \
    NIR_HASH_KEY=collectstatic-only-not-a-key \
    CELERY_DATA_DIR=/tmp/celery \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/private \
    && chown -R parcours:parcours /app/var

USER parcours
ENV PARCOURS_ENV=production
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "60", \
     "--access-logfile", "-", "--no-control-socket"]
