import time

from celery import shared_task
from django.conf import settings

from . import building


# Late acknowledgement and reject-on-worker-lost: a run whose worker dies goes back to the
# queue instead of vanishing; the lease (building.claim_export) decides who builds it.
@shared_task(
    name="clinic.exports.tasks.build_export", bind=True, acks_late=True, reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_TIME_LIMIT, time_limit=settings.EXPORT_TIME_LIMIT + 30, ignore_result=True,
)
def build_export(self, export_id: int, language: str) -> None:
    wait = building.build_export_file(export_id, language)
    if wait and not self.request.is_eager:
        # Another run holds the lease: a redelivery after its worker died, whose lease lapses within
        # EXPORT_LEASE_SECONDS. Wait for it once; if the lease was renewed, that run is alive and
        # builds the export (and the beat's recovery remains for anything else).
        time.sleep(min(wait, settings.EXPORT_LEASE_SECONDS + 1))
        building.build_export_file(export_id, language)


@shared_task(name="clinic.exports.tasks.recover_exports", ignore_result=True)
def recover_exports() -> int:
    return building.recover_exports(build_export)


@shared_task(name="clinic.exports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    return building.purge_expired_exports()
