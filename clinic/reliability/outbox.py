"""The transactional outbox: a task an action causes is a row first, a Celery message second.

``send_after_commit`` writes the row in the caller's transaction, so the task
exists exactly when the action does. After the commit one immediate try hands
it to the broker; if the broker is away the row waits, and the relay (a beat
task every ``OUTBOX_RELAY_SECONDS``) retries with a growing pause until the
broker takes it. Nothing here raises into the caller: the person's answer
depends only on the database.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 100
MAX_PAUSE_SECONDS = 300


def enqueue(task, *args, **kwargs) -> OutboxMessage:
    """Write ``task(*args, **kwargs)`` for the current clinic into the outbox (the caller's transaction)."""
    return OutboxMessage.objects.create(
        schema_name=connection.schema_name, task_name=task.name, args=list(args), kwargs=kwargs
    )


def send_after_commit(task, *args, **kwargs) -> None:
    """Promise ``task`` in the current transaction; try to hand it to the broker once it commits."""
    message = enqueue(task, *args, **kwargs)
    transaction.on_commit(lambda: relay_quietly([message.pk]))


def relay_quietly(ids: list[int] | None = None) -> int:
    """``relay`` that never raises: called after a commit, on a request's way out."""
    try:
        return relay(ids)
    except Exception:
        logger.exception("outbox: relay failed; the beat relay will retry")
        return 0


def _pause(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), MAX_PAUSE_SECONDS))


def relay(ids: list[int] | None = None, *, limit: int = BATCH) -> int:
    """Send due outbox rows (``ids`` only, if given) to the broker; return how many it took.

    Rows are claimed under ``SKIP LOCKED`` and pushed forward by their pause
    before sending, so two relays never send one row at once; a row sent but
    not yet marked (a crash in between) is sent again, which tasks tolerate.
    """
    now = timezone.now()
    tenant = getattr(connection, "tenant", None)
    with transaction.atomic():
        due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True, next_attempt_at__lte=now
        )
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(due.order_by("next_attempt_at", "pk")[:limit])
        for message in claimed:
            message.attempts += 1
            message.next_attempt_at = now + _pause(message.attempts)
        OutboxMessage.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
    sent = 0
    try:
        for message in claimed:
            try:
                _publish(message)
            except Exception as exc:
                OutboxMessage.objects.filter(pk=message.pk).update(last_error=f"{type(exc).__name__}: {exc}"[:1000])
                logger.warning("outbox: %s not sent (%s); retry after %s", message, exc, message.next_attempt_at)
                continue
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), last_error="")
            sent += 1
    finally:
        if tenant is not None and connection.tenant is not tenant:
            # An in-process task switches the connection to its clinic; give the caller its own back.
            connection.set_tenant(tenant)
    return sent


def _publish(message: OutboxMessage) -> None:
    from celery import current_app

    task = current_app.tasks[message.task_name]
    kwargs = dict(message.kwargs)
    if getattr(task, "takes_outbox_id", False):
        kwargs["outbox_id"] = message.pk
    task.apply_async(
        args=message.args, kwargs=kwargs, headers={"_schema_name": message.schema_name},
        # One try: the broker is either there now or the relay comes back later.
        retry=False, task_id=f"outbox-{message.pk}-{message.attempts}",
    )


def unsent_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def purge_sent(older_than: timedelta = timedelta(days=7)) -> int:
    """Forget sent rows and answered idempotency keys after a week."""
    from .models import IdempotentRequest

    since = timezone.now() - older_than
    IdempotentRequest.objects.filter(created__lt=since).delete()
    return OutboxMessage.objects.filter(sent_at__lt=since).delete()[0]
