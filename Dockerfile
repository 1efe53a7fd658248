# syntax=docker/dockerfile:1
# Clinic Channels: one image for the web server (gunicorn), the Celery worker and Celery beat.
#
#   docker compose up --build        # see docker-compose.yml
#
# The code runs from /app (settings find templates/, static/, locale/ beside the
# packages there); `pip install .` installs the dependencies declared in
# pyproject.toml. No secret is baked in: SECRET_KEY, DATABASE_URL and REDIS_URL
# come from the environment at run time.

FROM python:3.11-slim

# PYTHONPATH: /app comes before the copy that `pip install .` puts in site-packages,
# so that BASE_DIR is /app for gunicorn, celery and manage.py alike.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# WeasyPrint (PDF documents) needs Pango and HarfBuzz; the documents' fonts (Noto
# Sans, Noto Sans SC, Vazirmatn) ship in static/fonts/, so no font package is needed;
# gettext provides msgfmt for compilemessages; postgresql-client gives backup_clinic and
# restore_clinic pg_dump and psql (of the server's major version or newer).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fontconfig \
        gettext \
        postgresql-client \
    && fc-cache -f \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that code changes reuse this layer.
COPY pyproject.toml README.m[d] ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY manage.py ./
COPY config ./config
COPY portal ./portal
COPY clinic ./clinic
COPY partners ./partners
COPY billing ./billing
COPY reconciliation ./reconciliation
COPY bench ./bench
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY docker/entrypoint.sh /usr/local/bin/clinic-entrypoint

# The project itself (dependencies are already there), then translations and static
# files. Production settings refuse to load without a SECRET_KEY of 50+ characters:
# the key below exists only for these build commands and is not kept in the image.
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && export DJANGO_SETTINGS_MODULE=config.settings.production \
        SECRET_KEY="build-time-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz" \
    && python manage.py compilemessages --verbosity 1 \
    && python manage.py collectstatic --noinput --verbosity 1 \
    && chmod 0755 /usr/local/bin/clinic-entrypoint

# A non-root user; it may write only the media directory (mount a volume there).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/media \
    && chown app:app /data/media

ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/data/media

USER app
EXPOSE 8000

ENTRYPOINT ["clinic-entrypoint"]
CMD ["web"]
