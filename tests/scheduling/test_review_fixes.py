"""Edge cases found in review: other locations, closing times, bad parameters, long reasons."""

from datetime import date, time

import pytest

from clinic.errors import DomainError
from clinic.models import OpeningHours
from clinic.scheduling.services import book_appointment, change_status
from tests.factories import AppointmentFactory, LocationFactory, WorkingHoursFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def test_a_location_calendar_does_not_show_another_locations_patients(clinic_day, front_desk, client_for):
    elsewhere = LocationFactory()
    WorkingHoursFactory(practitioner=clinic_day["practitioner"], location=elsewhere, weekday=0, starts=time(17), ends=time(19))
    other = AppointmentFactory(location=elsewhere, practitioner=clinic_day["practitioner"],
                               starts_at=at(clinic_day["monday"], 17), ends_at=at(clinic_day["monday"], 17, 30))
    html = client_for(front_desk).get(f"/calendar/?location={clinic_day['location'].pk}&date={clinic_day['monday']}").content.decode()
    assert other.patient.full_name not in html
    week = client_for(front_desk).get(f"/calendar/week/?location={clinic_day['location'].pk}&date={clinic_day['monday']}").content.decode()
    assert other.patient.full_name not in week
    there = client_for(front_desk).get(f"/calendar/?location={elsewhere.pk}&date={clinic_day['monday']}").content.decode()
    assert other.patient.full_name in there


def test_booking_is_refused_when_the_location_is_closed(clinic_day, front_desk):
    OpeningHours.objects.filter(location=clinic_day["location"], weekday=0).update(closes=time(12))
    with pytest.raises(DomainError, match="closed at this time"):
        book_appointment(actor=front_desk, patient=clinic_day["patient"], location=clinic_day["location"],
                         practitioner=clinic_day["practitioner"], starts_at=at(clinic_day["monday"], 14),
                         service_ids=[clinic_day["service"].pk])


def test_a_too_long_cancel_reason_is_refused(tenant, front_desk):
    appointment = AppointmentFactory()
    with pytest.raises(DomainError, match="200 characters"):
        change_status(appointment, "cancel", actor=front_desk, reason="x" * 201)


@pytest.mark.parametrize(
    "url",
    ["/calendar/?date=9999-12-31", "/calendar/week/?date=0001-01-01", "/reception/?date=9999-12-31",
     "/appointments/new/?practitioner=abc&location=x&start=nope", "/patients/?q=a&page=99999999999"],
)
def test_bad_parameters_do_not_crash(tenant, front_desk, client_for, url):
    LocationFactory()
    assert client_for(front_desk).get(url).status_code == 200


def test_home_shows_a_practitioner_with_absences_on_other_days(tenant, front_desk, client_for):
    from django.utils import timezone

    from clinic.models import Absence

    today = timezone.localdate()
    hours = WorkingHoursFactory(weekday=today.weekday())
    Absence.objects.create(practitioner=hours.practitioner, starts_on=date(2000, 1, 1), ends_on=today.replace(day=1) if today.day > 1 else date(2000, 1, 2))
    Absence.objects.create(practitioner=hours.practitioner, starts_on=date(2999, 1, 1), ends_on=date(2999, 1, 2))
    assert hours.practitioner.full_name.encode() in client_for(front_desk).get("/").content


@pytest.mark.parametrize("start", ["9999-12-31T23:30", "0001-01-01T00:00"])
def test_a_start_at_the_ends_of_the_calendar_is_refused_with_a_message(clinic_day, front_desk, client_for, start):
    from clinic.scheduling.models import Appointment

    response = client_for(front_desk).post("/appointments/new/", {
        "location": clinic_day["location"].pk, "practitioner": clinic_day["practitioner"].pk, "starts_at": start,
        "patient": clinic_day["patient"].pk, "services": [clinic_day["service"].pk], "source": "phone"})
    assert response.status_code in (200, 422)
    page = response.content.decode()
    assert "Choose a free slot in the calendar." in page or "This time is in the past." in page
    assert not Appointment.objects.filter(patient=clinic_day["patient"], starts_at__year__in=[1, 9999]).exists()


def test_services_that_do_not_fit_before_the_next_appointment_say_so(clinic_day, front_desk):
    from clinic.scheduling.services import SlotTaken
    from tests.factories import ServiceFactory

    book_appointment(actor=front_desk, patient=clinic_day["patient"], location=clinic_day["location"],
                     practitioner=clinic_day["practitioner"], starts_at=at(clinic_day["monday"], 15),
                     service_ids=[clinic_day["service"].pk])
    long = ServiceFactory(duration_minutes=60)
    with pytest.raises(SlotTaken, match="take 60 minutes and do not fit before the next appointment"):
        book_appointment(actor=front_desk, patient=clinic_day["patient"], location=clinic_day["location"],
                         practitioner=clinic_day["practitioner"], starts_at=at(clinic_day["monday"], 14, 30),
                         service_ids=[long.pk])
    with pytest.raises(SlotTaken, match="just taken"):
        book_appointment(actor=front_desk, patient=clinic_day["patient"], location=clinic_day["location"],
                         practitioner=clinic_day["practitioner"], starts_at=at(clinic_day["monday"], 15),
                         service_ids=[clinic_day["service"].pk])
