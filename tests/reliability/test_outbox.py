"""The outbox: a task exists exactly when its action does, and waits for the broker without an error."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from clinic.reliability.models import OutboxMessage
from clinic.reliability.outbox import relay, send_after_commit
from clinic.tasks import send_email, send_email_after_commit

pytestmark = pytest.mark.django_db


def test_a_rolled_back_action_promises_nothing(tenant, mailoutbox, django_capture_on_commit_callbacks):
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            send_email_after_commit("Never", "rolled back", ["x@mail.example"])
            raise RuntimeError("the action failed")
    assert not OutboxMessage.objects.exists() and mailoutbox == []


def test_a_committed_action_sends_its_task_once_and_marks_it(tenant, mailoutbox, django_capture_on_commit_callbacks):
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            send_email_after_commit("Hello", "body", ["a@mail.example"])
    message = OutboxMessage.objects.get()
    assert message.schema_name == tenant.schema_name and message.sent_at is not None
    assert message.done_at is not None and len(mailoutbox) == 1
    assert connection.schema_name == tenant.schema_name  # the caller keeps its clinic
    assert relay() == 0  # nothing left to send
    send_email.apply(args=["Hello", "body", ["a@mail.example"]], kwargs={"outbox_id": message.pk})
    assert len(mailoutbox) == 1  # a second delivery sends nothing


def test_a_broker_that_refuses_keeps_the_task_and_the_relay_retries_later(tenant, mailoutbox, settings,
                                                                          django_capture_on_commit_callbacks):
    from config.celery import app
    from tests.reliability.conftest import free_port

    OutboxMessage.objects.all().delete()
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{free_port()}/0", False
    try:
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        with django_capture_on_commit_callbacks(execute=True):
            send_after_commit(send_email, "Later", "body", ["b@mail.example"])  # no error, whatever the broker
        message = OutboxMessage.objects.get()
        assert message.sent_at is None and message.attempts == 1 and "Error" in message.last_error
        assert message.next_attempt_at > timezone.now()
        assert relay() == 0  # not due yet: the relay waits out the pause
        message.refresh_from_db()
        assert message.attempts == 1
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=False):
        assert relay() == 1  # the broker (in-process here) takes it
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2 and len(mailoutbox) == 1


def test_beat_runs_the_relay_once_in_the_public_schema(settings):
    from clinic.tenants.scheduler import ClinicScheduler

    schedule = ClinicScheduler._tenant_aware_beat_schedule_to_dict(ClinicScheduler, settings.CELERY_BEAT_SCHEDULE)
    assert schedule["relay-outbox@public"]["options"]["headers"] == {"_schema_name": "public"}
    assert schedule["relay-outbox@public"]["schedule"] == settings.OUTBOX_RELAY_SECONDS
    assert "recover-exports@__all_tenants_only__" in schedule
