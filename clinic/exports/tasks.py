from celery import shared_task

from . import building


@shared_task(name="clinic.exports.tasks.build_export")
def build_export(export_id: int, language: str) -> None:
    building.build_export_file(export_id, language)


@shared_task(name="clinic.exports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    return building.purge_expired_exports()
