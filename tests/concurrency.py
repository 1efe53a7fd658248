"""Races as the suite runs them: real threads, each on its own database connection, released
together, against committed data (a test's own transaction would hide it from the others)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(django_db_blocker, actions: list[Callable], *, clinic=None, returns: bool = False,
            timeout: float = 60) -> list:
    """Run each of ``actions`` in a thread of its own — in ``clinic``'s schema, or the public one —
    all released together by a barrier. The outcome of each, in the order they finished: "ok" (or,
    with ``returns``, what it returned), the message of the ``DomainError`` it raised, or the repr
    of any other error (reported by the caller's assertions)."""
    from django.db import connections
    from django_tenants.utils import schema_context, tenant_context

    from clinic.errors import DomainError

    barrier = threading.Barrier(len(actions))
    results, lock = [], threading.Lock()

    def attempt(action):
        try:
            with django_db_blocker.unblock(), (tenant_context(clinic) if clinic else schema_context("public")):
                barrier.wait(timeout=30)
                try:
                    value = action()
                    outcome = value if returns else "ok"
                except DomainError as refused:
                    outcome = str(refused.message)
        except Exception as error:  # noqa: BLE001 - reported in the caller's assertions
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=attempt, args=(action,)) for action in actions]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    return results
