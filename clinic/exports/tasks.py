from celery import shared_task
from django.conf import settings

from . import building


# Late acknowledgement and reject-on-worker-lost: a run whose worker dies goes back to the
# queue instead of vanishing; the lease (clinic.leases, building.LEASE) decides who builds it.
@shared_task(
    name="clinic.exports.tasks.build_export", bind=True, acks_late=True, reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_TIME_LIMIT, time_limit=settings.EXPORT_TIME_LIMIT + 30, ignore_result=True,
)
def build_export(self, export_id: int, language: str) -> None:
    building.LEASE.run(self, building.build_export_file, export_id, language)


@shared_task(name="clinic.exports.tasks.recover_exports", ignore_result=True)
def recover_exports() -> int:
    return building.recover_exports(build_export)


@shared_task(name="clinic.exports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    return building.purge_expired_exports()
