"""Start an export, build it (in a task), hand it out."""

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
from clinic.tasks import send_after_commit

from .models import Export
from .registry import EXPORTERS

KEEP_FOR = timedelta(days=7)


def start_export(kind: str, *, actor, data=None) -> Export:
    """Queue an export; ``data`` (e.g. request.POST) is checked by the exporter's ``clean``."""
    exporter = EXPORTERS.get(kind)
    if exporter is None:
        raise DomainError(_("Unknown export."))
    if not actor.has_perm(exporter.permission):
        raise DomainError(_("You are not allowed to export this."))
    params = exporter.clean(data or {})
    from .tasks import build_export

    with transaction.atomic(durable=True):
        export = Export.objects.create(kind=kind, created_by=actor, params=params)
        send_after_commit(build_export, export.pk, translation.get_language())
    return export


def retry_export(export: Export, *, actor) -> Export:
    """Start a failed export again, with the same parameters (a new export; the failed one stays)."""
    from .tasks import build_export

    if export.status != Export.Status.FAILED:
        raise DomainError(_("Only a failed export can be tried again."))
    with transaction.atomic(durable=True):
        again = Export.objects.create(kind=export.kind, created_by=actor, params=export.params)
        send_after_commit(build_export, again.pk, translation.get_language())
    return again


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
                if exporter.build is not None:
                    exporter.build(export.params, handle, lambda percent: _progress(export_id, percent))
                else:
                    _write_workbook(exporter, export.params, handle, export_id)
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


def recover_exports() -> int:
    """Exports whose run vanished (its lease lapsed): sent again, or failed after the last try."""
    from .tasks import build_export

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


def _write_workbook(exporter, params: dict, handle, export_id: int) -> None:
    from openpyxl import Workbook

    total = max(exporter.count(params), 1)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(exporter.title)[:31])
    step = max(total // 20, 50)
    for index, row in enumerate(exporter.rows(params), start=1):
        sheet.append([_as_text(sheet, value) for value in row])
        if index % step == 0:
            _progress(export_id, index * 100 // total)
    workbook.save(handle)


def _as_text(sheet, value):
    """Text that looks like a formula stays text: exported names must never run in Excel."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def get_export_for(user, pk: int) -> Export:
    """The user's own export; anybody else's is a 404."""
    from django.http import Http404

    export = Export.objects.filter(pk=pk, created_by=user).first()
    if export is None or not user.has_perm(EXPORTERS[export.kind].permission):
        raise Http404(_("No such export."))
    return export


def purge_expired_exports() -> int:
    removed = 0
    for export in Export.objects.filter(created__lt=timezone.now() - KEEP_FOR):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed
