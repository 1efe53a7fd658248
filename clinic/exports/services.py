"""Start an export (its file is built by a task: ``building.py``), try a failed one again, and
hand it out."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.tasks import send_after_commit

from .building import build_export_file, claim_export, purge_expired_exports  # noqa: F401
from .models import Export
from .registry import EXPORTERS
from .tasks import build_export


def start_export(kind: str, *, actor, data=None) -> Export:
    """Queue an export; ``data`` (e.g. request.POST) is checked by the exporter's ``options``."""
    exporter = EXPORTERS.get(kind)
    if exporter is None:
        raise DomainError(_("Unknown export."))
    if not actor.has_perm(exporter.permission):
        raise DomainError(_("You are not allowed to export this."))
    params = exporter.options(data or {})
    with transaction.atomic(durable=True):
        export = Export.objects.create(kind=kind, created_by=actor, params=params)
        send_after_commit(build_export, export.pk, translation.get_language())
    return export


def retry_export(export: Export, *, actor) -> Export:
    """Start a failed export again, with the same parameters (a new export; the failed one stays)."""
    if export.status != Export.Status.FAILED:
        raise DomainError(_("Only a failed export can be tried again."))
    with transaction.atomic(durable=True):
        again = Export.objects.create(kind=export.kind, created_by=actor, params=export.params)
        send_after_commit(build_export, again.pk, translation.get_language())
    return again


def recover_exports() -> int:
    """Exports whose run vanished: sent again, or failed after the last try (``building``)."""
    from . import building

    return building.recover_exports(build_export)


def get_export_for(user, pk: int) -> Export:
    """The user's own export; anybody else's is a 404."""
    from django.http import Http404

    export = Export.objects.filter(pk=pk, created_by=user).first()
    if export is None or not user.has_perm(EXPORTERS[export.kind].permission):
        raise Http404(_("No such export."))
    return export
