from celery import shared_task

from . import heartbeat, outbox


@shared_task(name="clinic.reliability.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    """Beat's relay: send what the immediate try after a commit could not, and say the worker is alive."""
    heartbeat.beat()
    return outbox.relay()


@shared_task(name="clinic.reliability.purge_outbox", ignore_result=True)
def purge_outbox() -> int:
    return outbox.purge_sent()
