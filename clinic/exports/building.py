"""Build an export's file (run by the task), and forget old exports."""

from __future__ import annotations

import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import connection
from django.utils import timezone, translation

from .models import Export
from .registry import EXPORTERS

KEEP_FOR = timedelta(days=7)


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
                exporter.build(export.params, handle, lambda percent: _progress(export_id, percent))
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


def purge_expired_exports() -> int:
    removed = 0
    for export in Export.objects.filter(created__lt=timezone.now() - KEEP_FOR):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed
