"""Build an export's file (run by the task) under a lease (``clinic.leases``), recover runs whose
worker vanished or whose message was lost, and forget old exports.

After ``EXPORT_MAX_ATTEMPTS`` runs, or past the time limit, the export fails with a message the
person reads (and a "Try again").
"""

from __future__ import annotations

import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, ngettext

from clinic.leases import Lease

from .models import Export
from .registry import EXPORTERS

KEEP_FOR = timedelta(days=7)


def _interrupted_message(attempts: int) -> str:
    return ngettext("The export was interrupted %(count)s time (its worker stopped). Try again.",
                    "The export was interrupted %(count)s times (its worker stopped). Try again.", attempts) \
        % {"count": attempts}


LEASE = Lease(Export, "EXPORT_LEASE_SECONDS", "EXPORT_MAX_ATTEMPTS", _interrupted_message)


def claim_export(export_id: int) -> int | None:
    """Take the export for this run: waiting, or running under a lease that lapsed.

    Returns the run's attempt number, or None when it is not this run's to build.
    """
    return LEASE.claim(export_id)


def build_export_file(export_id: int, language: str) -> int:
    """Write the file; safe to run twice (a finished export is left alone).

    Returns 0, or the seconds to wait when another run still holds the lease.
    """
    with translation.override(language):
        attempt = claim_export(export_id)
    if attempt is None:
        return LEASE.held_for(export_id)
    export = Export.objects.get(pk=export_id)
    exporter = EXPORTERS[export.kind]
    with LEASE.failing(export_id, attempt, language=language,
                       too_long=gettext_lazy("The export took too long and was stopped. Try again with a shorter period."),
                       failed=gettext_lazy("The export could not be built.")):
        with translation.override(language):
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            file_name = f"{exporter.file_stem}-{connection.tenant.slug}-{stamp}.{exporter.extension}"
            with tempfile.TemporaryFile() as handle:
                exporter.build(export.params, handle, lambda percent: _progress(export_id, percent))
                handle.seek(0)
                export.file.save(file_name, File(handle), save=False)
        # Only the run that holds the export finishes it (one taken over meanwhile does not).
        LEASE.finish(export_id, attempt, file=export.file.name, file_name=file_name, progress=100)
    return 0


def recover_exports(build_export) -> int:
    """Exports whose run vanished (its lease lapsed) or whose message the broker lost (waiting
    minutes after it was sent): sent again (``build_export``, the task), or failed after the last try."""
    language = connection.tenant.default_language
    return LEASE.recover(build_export, lambda export: [export.pk, language])


def _progress(export_id: int, percent: int) -> None:
    LEASE.renew(export_id, progress=max(0, min(99, int(percent))))


def purge_expired_exports() -> int:
    removed = 0
    for export in Export.objects.filter(created__lt=timezone.now() - KEEP_FOR):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed
