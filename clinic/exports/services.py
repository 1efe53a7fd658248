"""Start an export, build it (in a task), hand it out."""

from __future__ import annotations

import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import connection, transaction
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


def build_export_file(export_id: int, language: str) -> None:
    """Write the file; safe to run twice (a finished export is left alone)."""
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.PENDING).update(
        status=Export.Status.RUNNING
    )
    if claimed != 1:
        return
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
        export.file_name = file_name
        export.status = Export.Status.DONE
        export.progress = 100
        export.finished = timezone.now()
        export.save(update_fields=["file", "file_name", "status", "progress", "finished"])
    except Exception as exc:  # the person waiting must learn that it failed
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED, error=str(exc)[:1000], finished=timezone.now()
        )
        raise


def _progress(export_id: int, percent: int) -> None:
    Export.objects.filter(pk=export_id).update(progress=max(0, min(99, int(percent))))


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
