"""The day-before reminder: once per appointment, however often the task runs."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from clinic.scheduling.models import Status
from clinic.scheduling.tasks import send_appointment_reminders
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def tomorrow_at(hour):
    zone = ZoneInfo(connection.tenant.time_zone)
    day = datetime.now(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone)


def test_reminders_go_once_to_tomorrows_consenting_patients(tenant, mailoutbox, django_capture_on_commit_callbacks):
    willing = PatientFactory(email="willing@mail.example", consent_to_contact=True)
    unwilling = PatientFactory(email="unwilling@mail.example", consent_to_contact=False)
    due = AppointmentFactory(patient=willing, starts_at=tomorrow_at(10), ends_at=tomorrow_at(11))
    AppointmentFactory(patient=unwilling, starts_at=tomorrow_at(12), ends_at=tomorrow_at(13))
    AppointmentFactory(patient=willing, starts_at=tomorrow_at(14), ends_at=tomorrow_at(15), status=Status.CANCELLED)
    AppointmentFactory(patient=willing, starts_at=tomorrow_at(10) + timedelta(days=1), ends_at=tomorrow_at(11) + timedelta(days=1))

    # The mail is promised in the claim's transaction (the outbox) and sent once it commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_appointment_reminders.apply(headers={"_schema_name": tenant.schema_name}).get() == 1
    connection.set_tenant(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_appointment_reminders.apply(headers={"_schema_name": tenant.schema_name}).get() == 0
    connection.set_tenant(tenant)
    assert [m.to for m in mailoutbox] == [["willing@mail.example"]]
    assert "10:00" in mailoutbox[0].subject and due.practitioner.full_name in mailoutbox[0].body
    due.refresh_from_db()
    assert due.reminder_sent_at is not None


def test_a_moved_appointment_is_reminded_again(tenant, mailoutbox, front_desk, django_capture_on_commit_callbacks):
    from clinic.scheduling.services import send_due_reminders

    patient = PatientFactory(email="moved@mail.example", consent_to_contact=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(9), ends_at=tomorrow_at(10))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
    appointment.refresh_from_db()
    appointment.reminder_sent_at = None  # what reschedule_appointment does
    appointment.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
    assert len(mailoutbox) == 2
