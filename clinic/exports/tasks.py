from clinic.celery import app

from . import services


@app.task(name="clinic.exports.tasks.build_export")
def build_export(export_id: int, language: str) -> None:
    services.build_export_file(export_id, language)


@app.task(name="clinic.exports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    return services.purge_expired_exports()
