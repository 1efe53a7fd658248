"""What the benchmarks share: their own database on the configured server, and percentiles."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_url(url: str, database: str) -> str:
    """The same server, the benchmark's own database name."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def admin_connection(url: str):
    """An autocommit connection to a maintenance database of the same server."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    kwargs = {
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        **(config.get("OPTIONS") or {}),
    }
    kwargs = {key: value for key, value in kwargs.items() if value not in (None, "")}
    last_error = None
    for dbname in ("postgres", "template1"):
        try:
            return psycopg.connect(dbname=dbname, autocommit=True, **kwargs)
        except psycopg.OperationalError as error:
            last_error = error
    raise last_error


def recreate_database(url: str, database: str) -> None:
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def drop_database(url: str, database: str) -> None:
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


@contextmanager
def bench_database(name: str, *, keep: bool = False) -> Iterator[str]:
    """A database of the benchmark's own, migrated and set up; yields where it runs.

    On the server of DATABASE_URL, or on the embedded PostgreSQL (started and
    stopped here). No Redis: tasks run in-process and nothing leaves this
    process. The database is dropped at the end unless ``keep``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    os.environ["DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    from clinic.embedded_db import start_unless_configured

    embedded = start_unless_configured(BASE_DIR)  # sets DATABASE_URL when it starts one
    server_url = os.environ["DATABASE_URL"]
    where = "embedded PostgreSQL" if embedded is not None else f"{urlsplit(server_url).hostname or 'socket'}"
    created = False
    try:
        log(f"Creating database {name} on {where} ...")
        recreate_database(server_url, name)
        created = True
        os.environ["DATABASE_URL"] = bench_url(server_url, name)

        import django
        from django.core.management import call_command

        django.setup()
        started = time.perf_counter()
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=io.StringIO())
        call_command("setup_site", stdout=io.StringIO())
        log(f"Migrated and set up in {time.perf_counter() - started:.1f} s")
        yield where
    finally:
        if created:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:
                pass
            if keep:
                log(f"Kept database {name} (--keep).")
            else:
                drop_database(server_url, name)
                log(f"Dropped database {name}.")
        if embedded is not None:
            embedded.stop()
            log("Embedded PostgreSQL stopped.")
