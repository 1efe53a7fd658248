#!/bin/sh
# Entrypoint of the Clinic Channels image.
#
#   web            wait for the database, migrate every schema (migrate_schemas),
#                  make sure the public site and the clinic template exist
#                  (setup_site), then run gunicorn on :8000
#   <anything>     run that command as it is, e.g.
#                  celery -A config worker -l info / celery -A config beat -l info
#
# gunicorn takes its options from GUNICORN_CMD_ARGS and WEB_CONCURRENCY as usual.
set -eu

wait_for_database() {
    python - <<'PY'
import os
import sys
import time

import dj_database_url
import psycopg

url = os.environ.get("DATABASE_URL")
if not url:
    sys.exit("DATABASE_URL is not set")
config = dj_database_url.parse(url)
params = {
    "dbname": config.get("NAME"),
    "user": config.get("USER"),
    "password": config.get("PASSWORD"),
    "host": config.get("HOST"),
    "port": config.get("PORT"),
}
params = {key: value for key, value in params.items() if value not in (None, "")}
deadline = time.monotonic() + float(os.environ.get("DATABASE_WAIT_SECONDS", "60"))
while True:
    try:
        psycopg.connect(connect_timeout=3, **params).close()
        break
    except psycopg.OperationalError as error:
        if time.monotonic() > deadline:
            sys.exit(f"database not reachable: {error}")
        print("waiting for the database ...", file=sys.stderr, flush=True)
        time.sleep(2)
PY
}

if [ "$#" -eq 0 ]; then
    set -- web
fi

case "$1" in
    web)
        shift
        wait_for_database
        # Migrations may hold a statement longer than requests may (DB_STATEMENT_TIMEOUT_MS).
        DB_STATEMENT_TIMEOUT_MS=0 python manage.py migrate_schemas --noinput
        python manage.py setup_site
        exec gunicorn config.wsgi:application \
            --bind 0.0.0.0:8000 \
            --access-logfile - \
            --error-logfile - \
            "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
