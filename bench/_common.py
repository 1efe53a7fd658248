"""What the benchmarks share: their own database on the configured server, and percentiles."""

from __future__ import annotations

import gc
import io
import os
import statistics
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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    # Loading 100,000s of rows in one statement outlasts a request's statement timeout.
    os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "0")
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


# --- loading and measuring, shared by the benchmarks ---------------------------


def copy_rows(model, columns: list[str], rows) -> int:
    """COPY rows into the model's table in the current schema; every concrete column must be given."""
    from django.db import connection

    expected = {f.column for f in model._meta.concrete_fields}
    if set(columns) != expected:
        raise RuntimeError(f"{model.__name__}: columns {sorted(set(columns) ^ expected)} missing or unknown")
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor:  # sets the clinic's search_path
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def reset_id_sequence(model) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
            [table],
        )


class QueryTimer:
    """Each SQL statement of a request with its own duration (connection.execute_wrapper)."""

    def __init__(self):
        self.queries: list[tuple[str, object, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, (time.perf_counter_ns() - started) / 1e6))


def get_ok(client, url: str, headers: dict | None = None):
    response = client.get(url, headers=headers or {})
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def measure(client, url: str, *, runs: int, warmup: int, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        get_ok(client, url, headers)
    timings = []
    cpu = []
    for _ in range(runs):
        gc.collect()
        cpu_started = time.thread_time_ns()
        started = time.perf_counter_ns()
        response = get_ok(client, url, headers)
        timings.append((time.perf_counter_ns() - started) / 1e6)
        cpu.append((time.thread_time_ns() - cpu_started) / 1e6)
    # A few more requests, with every query timed, to see where the time goes.
    samples = []
    for _ in range(5):
        timer = QueryTimer()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
            started = time.perf_counter_ns()
            response = get_ok(client, url, headers)
            total = (time.perf_counter_ns() - started) / 1e6
        samples.append((total, len(captured.captured_queries), timer.queries))
    # The host -> clinic lookup is cached for a while (ClinicTenantMiddleware): a request that
    # refreshes it runs two statements more. The steady state is the smallest count.
    fewest = min(count for _t, count, _q in samples)
    samples = [s for s in samples if s[1] == fewest]
    samples.sort(key=lambda s: sum(q[2] for q in s[2]))
    total, count, queries = samples[len(samples) // 2]
    sql_ms = sum(q[2] for q in queries)
    return {
        "url": url,
        "median": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "min": min(timings),
        "cpu": statistics.median(cpu),
        "queries": count,
        "set_search_path": sum(1 for q in queries if q[0].lstrip().upper().startswith("SET SEARCH_PATH")),
        "sql_ms": sql_ms,
        "slowest": sorted(queries, key=lambda q: -q[2])[:3],
        "body": response.content.decode(),
    }


def query_count(client, url: str, headers: dict | None = None) -> tuple[int, int]:
    """Statements of a request, and how many of them are django-tenants' SET search_path.

    The fewest of three identical requests: one of them may refresh the cached host lookup.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            get_ok(client, url, headers)
        sets = sum(
            1 for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SET SEARCH_PATH")
        )
        counts.append((len(captured.captured_queries), sets))
    return min(counts)
