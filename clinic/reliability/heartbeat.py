"""Workers say they are alive: at start and at every relay run (a beat task every few seconds).

/healthz reads the newest heartbeat: none recent means no worker is taking
tasks (or beat is not scheduling them), and the health check says so.
"""

from __future__ import annotations

from celery.signals import worker_ready
from django.utils import timezone

WORKER = "worker"


def beat(name: str = WORKER) -> None:
    from django_tenants.utils import schema_context

    from .models import Heartbeat

    with schema_context("public"):
        Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def last_beat(name: str = WORKER):
    from .models import Heartbeat

    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


@worker_ready.connect(dispatch_uid="clinic.reliability.worker_ready")
def _worker_ready(**kwargs) -> None:
    try:
        beat()
    except Exception:  # a worker starting while the database is away still starts
        import logging

        logging.getLogger(__name__).exception("heartbeat: not recorded at start")
