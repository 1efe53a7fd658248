"""Every transition of the appointment state machine: applied, or refused with a message."""

import pytest
from auditlog.models import LogEntry

from clinic.errors import DomainError
from clinic.scheduling.models import Status
from clinic.scheduling.services import change_status
from clinic.scheduling.states import TRANSITIONS
from tests.factories import AppointmentFactory, arrive

pytestmark = pytest.mark.django_db

CASES = [
    (action, status)
    for action in TRANSITIONS
    if action != "reschedule"
    for status in Status.values
]


@pytest.mark.parametrize("action, status", CASES)
def test_transition_is_applied_only_from_its_statuses(tenant, front_desk, action, status):
    from datetime import timedelta

    from django.utils import timezone

    # Started ten minutes ago: every action is possible as far as time goes.
    starts = timezone.now() - timedelta(minutes=10)
    appointment = AppointmentFactory(status=status, starts_at=starts, ends_at=starts + timedelta(minutes=30))
    sources, target, _label = TRANSITIONS[action]
    if status in sources:
        changed = change_status(appointment, action, actor=front_desk, reason="Patient asked")
        assert changed.status == target
        appointment.refresh_from_db()
        assert appointment.status == target
    else:
        with pytest.raises(DomainError):
            change_status(appointment, action, actor=front_desk, reason="Patient asked")
        appointment.refresh_from_db()
        assert appointment.status == status


def test_an_arrived_patient_must_be_reverted_before_cancelling(tenant, front_desk):
    appointment = AppointmentFactory(status=Status.ARRIVED)
    with pytest.raises(DomainError, match="revert the arrival before cancelling"):
        change_status(appointment, "cancel", actor=front_desk, reason="Cannot be treated")
    change_status(appointment, "revert_arrival", actor=front_desk)
    cancelled = change_status(appointment, "cancel", actor=front_desk, reason="Cannot be treated")
    assert cancelled.status == Status.CANCELLED and cancelled.cancel_reason == "Cannot be treated"
    history = [e.changes_dict.get("status") for e in LogEntry.objects.get_for_object(appointment).order_by("timestamp")]
    assert ["arrived", "confirmed"] in history and ["confirmed", "cancelled"] in history


def test_cancelling_needs_a_reason(tenant, front_desk):
    appointment = AppointmentFactory()
    with pytest.raises(DomainError, match="reason"):
        change_status(appointment, "cancel", actor=front_desk, reason="  ")


def test_no_show_can_be_rescheduled_to_the_real_visit_day(tenant, front_desk):
    from datetime import time, timedelta

    from clinic.scheduling.services import reschedule_appointment
    from tests.factories import WorkingHoursFactory
    from tests.scheduling.conftest import at, next_weekday

    hours = WorkingHoursFactory(weekday=2, starts=time(9), ends=time(17))
    appointment = AppointmentFactory(practitioner=hours.practitioner, location=hours.location, status=Status.NO_SHOW)
    wednesday = next_weekday(2)
    moved = reschedule_appointment(appointment, actor=front_desk, starts_at=at(wednesday, 11))
    assert moved.status == Status.BOOKED and moved.starts_at == at(wednesday, 11)
    assert moved.ends_at - moved.starts_at == timedelta(minutes=30)


def test_actions_through_the_screen_refuse_forbidden_changes(tenant, front_desk, client_for):
    appointment = AppointmentFactory(status=Status.COMPLETED)
    response = client_for(front_desk).post(f"/appointments/{appointment.pk}/arrive/", follow=True)
    assert "cannot be changed this way" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED


def test_reception_marks_arrival_and_reverts_it(tenant, front_desk, client_for):
    import time_machine

    appointment = AppointmentFactory(status=Status.CONFIRMED)
    with time_machine.travel(appointment.starts_at, tick=True):  # on the appointment's day
        client = client_for(front_desk)
        client.post(f"/appointments/{appointment.pk}/arrive/", {"next": "/reception/"})
    appointment.refresh_from_db()
    assert appointment.status == Status.ARRIVED
    client.post(f"/appointments/{appointment.pk}/revert_arrival/")
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_a_future_appointment_cannot_be_a_no_show(tenant, front_desk):
    appointment = AppointmentFactory()  # tomorrow
    with pytest.raises(DomainError, match="not started yet"):
        change_status(appointment, "no_show", actor=front_desk)


def test_the_return_address_after_an_action_stays_on_this_site(tenant, front_desk, client_for):
    appointment = AppointmentFactory(status=Status.BOOKED)
    response = client_for(front_desk).post(f"/appointments/{appointment.pk}/confirm/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/appointments/{appointment.pk}/"


def test_a_manager_reads_the_appointments_trail(tenant, front_desk, manager, client_for):
    appointment = AppointmentFactory(status=Status.CONFIRMED)
    arrive(appointment, actor=front_desk)
    page = client_for(manager).get(f"/audit/appointment/{appointment.pk}/").content.decode()
    assert front_desk.full_name in page and "Arrived" in page
