"""Nightly archives of every clinic (the tenant-aware beat runs this once per clinic)."""

from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import connection


@shared_task(name="clinic.tenants.tasks.nightly_backup")
def nightly_backup() -> str:
    from .backup import backup_clinic, prune_backups

    clinic = connection.tenant
    directory = Path(settings.BACKUP_DIR)
    path = backup_clinic(clinic, directory)
    prune_backups(directory, clinic.slug, keep_days=settings.BACKUP_RETENTION_DAYS)
    return str(path)
