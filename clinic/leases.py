"""Long work that finishes or says it failed (an export's file, a statement's generation).

The work is a row with ``status`` (pending, running, done, failed), ``attempts``,
``lease_until``, ``error``, ``created`` and ``finished``. Its task runs with late
acknowledgement and reject-on-worker-lost, so a run whose worker dies goes back to the
queue. A run claims the row (waiting, or running under a lease that lapsed), renews the
lease as it progresses, and only the run that holds it finishes it. Beat's recovery sends
again what lapsed — or what waited for minutes after the broker took it and lost it — and
after the last try marks it failed with a message the person reads (and a "Try again").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


@dataclass(frozen=True)
class Lease:
    """How one kind of long work is held: its model, and the settings naming its lease's length
    and its number of tries; ``interrupted(attempts)`` is the message of a run out of tries."""

    model: type
    seconds_setting: str
    attempts_setting: str
    interrupted: Callable[[int], str]

    @property
    def seconds(self) -> int:
        return getattr(settings, self.seconds_setting)

    @property
    def max_attempts(self) -> int:
        return getattr(settings, self.attempts_setting)

    def until(self):
        return timezone.now() + timedelta(seconds=self.seconds)

    def claim(self, pk: int) -> int | None:
        """Take the work for this run; its attempt number, or None when it is not this run's."""
        claimable = Q(status=PENDING) | Q(status=RUNNING, lease_until__lt=timezone.now())
        with transaction.atomic():
            work = self.model.objects.select_for_update().filter(claimable, pk=pk).first()
            if work is None:
                return None
            if work.attempts >= self.max_attempts:
                self.fail(pk, self.interrupted(work.attempts))
                return None
            work.attempts += 1
            work.status = RUNNING
            work.lease_until = self.until()
            work.save(update_fields=["attempts", "status", "lease_until"])
        return work.attempts

    def held_for(self, pk: int) -> int:
        """Seconds until another run's lease lapses (0 when nobody holds the work)."""
        held = self.model.objects.filter(pk=pk, status=RUNNING).values_list("lease_until", flat=True).first()
        if held is None:
            return 0
        return max(int((held - timezone.now()).total_seconds()) + 1, 1)

    def renew(self, pk: int, **changes) -> None:
        """The run is alive (and has got this far: ``changes``)."""
        self.model.objects.filter(pk=pk, status=RUNNING).update(lease_until=self.until(), **changes)

    def finish(self, pk: int, attempt: int, **changes) -> bool:
        """Done, if this run still holds the work (one taken over meanwhile does not finish it)."""
        return self.model.objects.filter(pk=pk, status=RUNNING, attempts=attempt).update(
            status=DONE, finished=timezone.now(), lease_until=None, **changes) == 1

    def fail(self, pk: int, message: str, attempt: int | None = None) -> None:
        rows = self.model.objects.filter(pk=pk).exclude(status=DONE)
        if attempt is not None:
            rows = rows.filter(attempts=attempt)
        rows.update(status=FAILED, error=str(message)[:1000], finished=timezone.now(), lease_until=None)

    @contextmanager
    def failing(self, pk: int, attempt: int, *, language: str, too_long: str, failed: str) -> Iterator[None]:
        """The run's work, which ends failed with a message the person waiting reads: ``too_long``
        past the soft time limit, a refusal's own message, ``failed`` for anything else (which is
        raised again: its details go to the log). The messages are read in ``language``."""
        from celery.exceptions import SoftTimeLimitExceeded

        from clinic.errors import DomainError

        try:
            yield
        except SoftTimeLimitExceeded:
            with translation.override(language):
                self.fail(pk, str(too_long), attempt)
        except DomainError as error:  # e.g. the month turned, a filter no longer valid
            self.fail(pk, str(error.message), attempt)
        except Exception:
            with translation.override(language):
                self.fail(pk, str(failed), attempt)
            raise

    def run(self, task, work: Callable[..., int], *args) -> None:
        """``work(*args)`` in ``task``; when another run holds the lease (a redelivery after its
        worker died, whose lease lapses within the lease's length) wait for it once. If the lease
        was renewed meanwhile that run is alive and finishes; beat's recovery remains for the rest."""
        wait = work(*args)
        if wait and not task.request.is_eager:
            time.sleep(min(wait, self.seconds + 1))
            work(*args)

    def recover(self, task, args: Callable[[object], list]) -> int:
        """Beat's recovery in this clinic: ``task(*args(work))`` sent again for work whose run
        vanished (its lease lapsed) or whose message the broker lost (waiting for
        ``LEASE_RESEND_AFTER_SECONDS`` after its outbox row was sent); failed after the last try.
        Safe however often it runs: a claim lets one run build, the others do nothing."""
        from clinic.reliability.models import OutboxMessage
        from clinic.reliability.outbox import send_after_commit

        now = timezone.now()
        stale = now - timedelta(seconds=settings.LEASE_RESEND_AFTER_SECONDS)
        count = 0
        for work in self.model.objects.filter(status=RUNNING, lease_until__lt=now):
            if work.attempts >= self.max_attempts:
                with translation.override(connection.tenant.default_language):
                    self.fail(work.pk, self.interrupted(work.attempts))
            else:
                with transaction.atomic():
                    send_after_commit(task, *args(work))
            count += 1
        waiting = list(self.model.objects.filter(status=PENDING, created__lt=stale))
        if waiting:
            # Still on its way (the relay retries it), or sent again lately: left to arrive.
            on_the_way = set(OutboxMessage.objects.filter(
                Q(sent_at__isnull=True) | Q(sent_at__gte=stale), schema_name=connection.schema_name,
                task_name=task.name, args__0__in=[work.pk for work in waiting],
            ).values_list("args__0", flat=True))
            for work in waiting:
                if work.pk not in on_the_way:
                    with transaction.atomic():
                        send_after_commit(task, *args(work))
                    count += 1
        return count
