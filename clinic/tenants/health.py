"""/healthz: the database, Redis and a worker, each checked at once and given a deadline.

A stalled PostgreSQL or Redis must not stall the probe: each check runs in a
thread of its own with a short connect and statement timeout, and whatever has
not answered by ``DEADLINE`` seconds counts as down. The answer names each part.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import connection

DEADLINE = 2.0  # seconds: the whole probe answers well within 3 s
DB_TIMEOUT_MS = 1000


def database_params() -> dict:
    return connection.get_connection_params()


def _database(params: dict) -> dict:
    """One fresh connection (the request's own may be stuck): a real table read, and the worker's heartbeat."""
    import psycopg

    params["connect_timeout"] = 2
    params["options"] = f"-c statement_timeout={DB_TIMEOUT_MS} -c lock_timeout={DB_TIMEOUT_MS}"
    params.pop("cursor_factory", None)
    with psycopg.connect(**params) as raw, raw.cursor() as cursor:
        cursor.execute("SELECT 1 FROM public.tenants_clinic LIMIT 1")
        cursor.execute("SELECT at FROM public.reliability_heartbeat WHERE name = 'worker'")
        row = cursor.fetchone()
    return {"heartbeat": row[0] if row else None}


def _redis() -> dict:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    client.ping()
    return {}


def _run(checks: dict) -> dict:
    results: dict[str, object] = {}

    def run(name, check):
        try:
            results[name] = ("ok", check())
        except Exception as exc:
            results[name] = ("unavailable", exc)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in checks.items()]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + DEADLINE
    for thread in threads:
        thread.join(max(ends - time.monotonic(), 0))
    return {name: results.get(name, ("timeout", None)) for name in checks}


def worker_expected() -> bool:
    """A worker is needed only when tasks go to a broker (not run in-process)."""
    return bool(settings.REDIS_URL) and not settings.CELERY_TASK_ALWAYS_EAGER


def health_report(skip: set[str] = frozenset()) -> tuple[dict, bool]:
    from django.utils import timezone

    params = database_params()
    checks = {"database": lambda: _database(params)}
    if settings.REDIS_URL:
        checks["redis"] = _redis
    results = _run(checks)
    report: dict[str, object] = {}
    down: list[str] = []
    state, detail = results["database"]
    report["database"] = state
    if state != "ok":
        down.append("database")
    if settings.REDIS_URL:
        report["redis"] = results["redis"][0]
        if report["redis"] != "ok":
            down.append("redis")
    else:
        report["redis"] = "not configured"
    if "worker" in skip:
        report["worker"] = "not checked"
    elif not worker_expected():
        report["worker"] = "not configured"
    elif state != "ok":
        report["worker"] = "unknown"  # its heartbeat is in the database
    else:
        beat = detail["heartbeat"]
        age = None if beat is None else (timezone.now() - beat).total_seconds()
        if age is not None and age <= settings.HEALTH_WORKER_MAX_AGE:
            report["worker"] = "ok"
        else:
            report["worker"] = "no heartbeat" if age is None else f"no heartbeat for {int(age)} s"
            down.append("worker")
    healthy = not down
    report["status"] = "ok" if healthy else "unavailable"
    if down:
        report["down"] = down
    return report, healthy
