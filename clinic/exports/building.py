"""Build an export's file (run by the task) under a lease, recover runs whose worker vanished,
and forget old exports.

A run claims the export (waiting, or running under a lease that lapsed), renews the lease as it
progresses, and only the run that holds it finishes it; after ``EXPORT_MAX_ATTEMPTS`` runs, or
past the time limit, the export fails with a message the person reads (and a "Try again").
"""

from __future__ import annotations

import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.errors import DomainError

from .models import Export
from .registry import EXPORTERS

KEEP_FOR = timedelta(days=7)


def _lease():
    return timezone.now() + timedelta(seconds=settings.EXPORT_LEASE_SECONDS)


def claim_export(export_id: int) -> int | None:
    """Take the export for this run: waiting, or running under a lease that lapsed.

    Returns the run's attempt number, or None when it is not this run's to build.
    """
    now = timezone.now()
    claimable = Q(status=Export.Status.PENDING) | Q(status=Export.Status.RUNNING, lease_until__lt=now)
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(claimable, pk=export_id).first()
        if export is None:
            return None
        if export.attempts >= settings.EXPORT_MAX_ATTEMPTS:
            _fail(export.pk, _interrupted_message(export.attempts))
            return None
        export.attempts += 1
        export.status = Export.Status.RUNNING
        export.lease_until = _lease()
        export.save(update_fields=["attempts", "status", "lease_until"])
    return export.attempts


def _interrupted_message(attempts: int) -> str:
    return _("The export was interrupted %(count)s times (its worker stopped). Try again.") % {"count": attempts}


def _fail(export_id: int, message: str, attempt: int | None = None) -> None:
    rows = Export.objects.filter(pk=export_id).exclude(status=Export.Status.DONE)
    if attempt is not None:
        rows = rows.filter(attempts=attempt)
    rows.update(status=Export.Status.FAILED, error=message[:1000], finished=timezone.now(), lease_until=None)


def build_export_file(export_id: int, language: str) -> int:
    """Write the file; safe to run twice (a finished export is left alone).

    Returns 0, or the seconds to wait when another run still holds the lease.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    with translation.override(language):
        attempt = claim_export(export_id)
    if attempt is None:
        held = Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).values_list(
            "lease_until", flat=True).first()
        if held is None:
            return 0
        return max(int((held - timezone.now()).total_seconds()) + 1, 1)
    export = Export.objects.get(pk=export_id)
    exporter = EXPORTERS[export.kind]
    try:
        with translation.override(language):
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            file_name = f"{exporter.file_stem}-{connection.tenant.slug}-{stamp}.{exporter.extension}"
            with tempfile.TemporaryFile() as handle:
                exporter.build(export.params, handle, lambda percent: _progress(export_id, percent))
                handle.seek(0)
                export.file.save(file_name, File(handle), save=False)
        # Only the run that holds the export finishes it (one taken over meanwhile does not).
        Export.objects.filter(pk=export_id, status=Export.Status.RUNNING, attempts=attempt).update(
            file=export.file.name, file_name=file_name, status=Export.Status.DONE, progress=100,
            finished=timezone.now(), lease_until=None,
        )
    except SoftTimeLimitExceeded:
        with translation.override(language):
            _fail(export_id, _("The export took too long and was stopped. Try again with a shorter period."),
                  attempt)
    except DomainError as error:
        _fail(export_id, str(error.message), attempt)
    except Exception:  # the person waiting must learn that it failed (the details go to the log)
        with translation.override(language):
            _fail(export_id, _("The export could not be built."), attempt)
        raise
    return 0


def recover_exports(build_export) -> int:
    """Exports whose run vanished (its lease lapsed): sent again (``build_export``, the task), or
    failed after the last try."""
    from clinic.tasks import send_after_commit

    lapsed = Export.objects.filter(status=Export.Status.RUNNING, lease_until__lt=timezone.now())
    count = 0
    for export in lapsed:
        if export.attempts >= settings.EXPORT_MAX_ATTEMPTS:
            with translation.override(connection.tenant.default_language):
                _fail(export.pk, _interrupted_message(export.attempts))
        else:
            with transaction.atomic():
                send_after_commit(build_export, export.pk, connection.tenant.default_language)
        count += 1
    return count


def _progress(export_id: int, percent: int) -> None:
    Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).update(
        progress=max(0, min(99, int(percent))), lease_until=_lease()
    )


def purge_expired_exports() -> int:
    removed = 0
    for export in Export.objects.filter(created__lt=timezone.now() - KEEP_FOR):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed
