"""What the benchmarks share: their own database on the configured server, and percentiles."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit


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
