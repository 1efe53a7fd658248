"""Locks that serialise work no row can stand for (a month's statement, a quarter's batch):
PostgreSQL advisory locks held until the transaction ends, keyed per clinic schema."""

from __future__ import annotations

from django.db import connection


def advisory_lock(*key) -> None:
    """Wait for, then hold until the transaction ends, the lock named by ``key`` in this clinic."""
    assert connection.in_atomic_block, "an advisory transaction lock needs a transaction"
    name = ":".join(str(part) for part in (connection.schema_name, *key))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
