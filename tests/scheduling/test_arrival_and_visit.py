"""The appointment to the visit: arrival only on the appointment's day (in the clinic's time
zone); an arrived appointment's page and panel have "Open visit" (linked to the appointment,
with its services); "Start treatment" opens the visit when none is open."""

from datetime import timedelta

import pytest
import time_machine

from billing.models import Visit
from clinic.errors import DomainError
from clinic.scheduling.models import Status
from clinic.scheduling.services import change_status
from tests.factories import AppointmentFactory, ServiceFactory, make_staff
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(tenant):
    return make_staff("front_desk")


def test_arrival_two_days_early_is_refused_and_accepted_on_the_day(desk):
    appointment = AppointmentFactory(status=Status.CONFIRMED)
    with time_machine.travel(appointment.starts_at - timedelta(days=2), tick=False):
        with pytest.raises(DomainError, match="only on the appointment's day"):
            change_status(appointment, "arrive", actor=desk)
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    with time_machine.travel(appointment.starts_at - timedelta(hours=1), tick=False):
        assert change_status(appointment, "arrive", actor=desk).status == Status.ARRIVED


def test_the_day_is_the_clinics_not_utc(desk):
    # 00:30 in Bucharest is still the day before in UTC: arrival at 00:10 local is on the day.
    from datetime import date

    appointment = AppointmentFactory(status=Status.CONFIRMED, starts_at=at(date(2030, 6, 4), 0, 30),
                                     ends_at=at(date(2030, 6, 4), 1, 0))
    with time_machine.travel(at(date(2030, 6, 4), 0, 10), tick=False):
        assert change_status(appointment, "arrive", actor=desk).status == Status.ARRIVED
    other = AppointmentFactory(status=Status.CONFIRMED, starts_at=at(date(2030, 6, 5), 0, 30),
                               ends_at=at(date(2030, 6, 5), 1, 0))
    with time_machine.travel(at(date(2030, 6, 4), 23, 50), tick=False), pytest.raises(DomainError):
        change_status(other, "arrive", actor=desk)


def test_refused_arrival_is_said_on_the_page(desk, client_for):
    appointment = AppointmentFactory(status=Status.BOOKED)
    with time_machine.travel(appointment.starts_at - timedelta(days=2), tick=False):
        response = client_for(desk).post(f"/appointments/{appointment.pk}/arrive/", follow=True)
    assert "only on the appointment&#x27;s day" in response.content.decode()


def test_an_arrived_appointment_has_open_visit_which_opens_its_visit(desk, client_for):
    service = ServiceFactory()
    appointment = AppointmentFactory(status=Status.ARRIVED)
    appointment.service_lines.create(service=service)
    client = client_for(desk)
    html = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert 'id="open-visit"' in html
    html = client.get(f"/appointments/{appointment.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="open-visit"' in html  # the panel too
    response = client.post(f"/visits/from-appointment/{appointment.pk}/")
    visit = Visit.objects.get(appointment=appointment)
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert [line.service for line in visit.lines.all()] == [service]
    # Again: the same visit, not a second one.
    assert client.post(f"/visits/from-appointment/{appointment.pk}/")["Location"] == f"/visits/{visit.pk}/"
    assert Visit.objects.count() == 1
    assert f"Open visit #{visit.number}</a>" in client.get(f"/appointments/{appointment.pk}/").content.decode()


def test_a_booked_appointment_has_no_open_visit(desk, client_for):
    appointment = AppointmentFactory(status=Status.BOOKED)
    assert 'id="open-visit"' not in client_for(desk).get(f"/appointments/{appointment.pk}/").content.decode()
    client_for(desk).post(f"/visits/from-appointment/{appointment.pk}/")
    assert not Visit.objects.exists()


def test_start_treatment_opens_the_visit_when_none_is_open(desk):
    appointment = AppointmentFactory(status=Status.ARRIVED)
    change_status(appointment, "start", actor=desk)
    visit = Visit.objects.get(appointment=appointment)
    assert visit.status == Visit.Status.OPEN and visit.location == appointment.location


def test_start_treatment_keeps_the_visit_already_open(desk):
    from billing.services import open_visit

    appointment = AppointmentFactory(status=Status.ARRIVED)
    visit = open_visit(patient=appointment.patient, location=None, appointment=appointment, actor=desk)
    change_status(appointment, "start", actor=desk)
    assert list(Visit.objects.filter(appointment=appointment)) == [visit]
