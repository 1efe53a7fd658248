"""Redis (the broker) stopped while a partner books: the answer is the booking, the mail goes after Redis returns."""

import base64
import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from clinic.reliability.models import OutboxMessage
from partners.models import PartnerBooking
from tests.partners.test_portal_booking import booking_post, portal, reverse  # noqa: F401

pytestmark = pytest.mark.django_db


def queued(redis_client) -> list[dict]:
    """The Celery messages waiting in the test Redis's default queue."""
    messages = []
    for raw in redis_client.lrange("celery", 0, -1):
        envelope = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        messages.append({"task": envelope["headers"]["task"], "schema": envelope["headers"].get("_schema_name"),
                         "args": args, "kwargs": kwargs})
    return messages


def test_a_partner_booking_while_redis_is_down_is_answered_and_its_mail_goes_after_redis_returns(
        world, add_partner, portal, tenant, broker, mailoutbox, django_capture_on_commit_callbacks):  # noqa: F811
    from config.celery import app

    _partnership, member = add_partner()
    OutboxMessage.objects.all().delete()
    mailoutbox.clear()
    client = portal(member.user)
    broker.stop()

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_booking_new"), booking_post(world), HTTP_HX_REQUEST="true")
    elapsed = time.monotonic() - started
    # The booking is the answer, quickly, though the broker is away.
    assert response.status_code == 204, response.content
    booking = PartnerBooking.objects.get()
    assert response["HX-Redirect"] == reverse("portal_booking", args=["alpha", booking.pk])
    assert elapsed < 5
    # The confirmation mail is kept, not lost: one outbox row, not sent, with the broker's error.
    message = OutboxMessage.objects.get()
    assert message.task_name == "clinic.send_email" and message.schema_name == "c_alpha"
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    assert mailoutbox == []

    # Redis is back: beat's relay hands the row to it.
    broker.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        from clinic.reliability.outbox import relay

        assert relay() == 1  # what beat's relay does every few seconds
    message.refresh_from_db()
    assert message.sent_at is not None and message.last_error == ""
    [sent] = queued(broker.client())
    assert sent["task"] == "clinic.send_email" and sent["schema"] == "c_alpha"
    assert sent["kwargs"] == {"outbox_id": message.pk}

    # A worker runs it: the mail goes out once, and a second delivery sends nothing.
    for _delivery in range(2):
        app.tasks[sent["task"]].apply(args=sent["args"], kwargs=sent["kwargs"],
                                      headers={"_schema_name": sent["schema"]})
    assert len(mailoutbox) == 1
    assert booking.code in mailoutbox[0].subject and mailoutbox[0].to == [member.organisation.contact_email]


def test_the_clinics_cancellation_of_a_partner_booking_while_redis_is_down_is_saved_and_its_mail_kept(
        world, add_partner, tenant, broker, client_for, mailoutbox, django_capture_on_commit_callbacks):  # noqa: F811
    from django.urls import reverse as clinic_reverse

    from tests.partners.test_portal_booking import book_as

    _partnership, member = add_partner()
    booking = book_as(world, member, 11)
    OutboxMessage.objects.all().delete()
    broker.stop()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world["manager"]).post(
            clinic_reverse("partner_booking_cancel", args=[booking.pk]), {"reason": "Doctor ill"}, follow=True)
    assert response.status_code == 200
    assert f"Booking {booking.code} was cancelled; the partner is told by email." in response.content.decode()
    booking.refresh_from_db()
    assert booking.cancelled_at is not None
    message = OutboxMessage.objects.get()
    assert message.task_name == "clinic.send_email" and message.sent_at is None and message.last_error
