from django.conf import settings

from clinic.celery import app

from . import services


# Late acknowledgement and reject-on-worker-lost: a run whose worker dies goes back to the
# queue instead of vanishing; the lease (services.claim_export) decides who builds it.
@app.task(
    name="clinic.exports.tasks.build_export", bind=True, acks_late=True, reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_TIME_LIMIT, time_limit=settings.EXPORT_TIME_LIMIT + 30,
    max_retries=settings.EXPORT_MAX_ATTEMPTS + 2, ignore_result=True,
)
def build_export(self, export_id: int, language: str) -> None:
    wait = services.build_export_file(export_id, language)
    if wait and not self.request.is_eager:
        # Another run's lease has not lapsed yet (a redelivery after its worker died): come back then.
        raise self.retry(countdown=wait)


@app.task(name="clinic.exports.tasks.recover_exports", ignore_result=True)
def recover_exports() -> int:
    return services.recover_exports()


@app.task(name="clinic.exports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    return services.purge_expired_exports()
