"""Booking: the duration follows the services; every refusal has a message and saves nothing."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry

from clinic.errors import DomainError
from clinic.patients.models import Patient
from clinic.patients.services import PatientData
from clinic.scheduling.models import Appointment, Status
from clinic.scheduling.services import SlotTaken, book_appointment
from tests.factories import LocationFactory, ServiceFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def book(setup, actor, hour=10, minute=0, services=None, **extra):
    return book_appointment(
        actor=actor,
        patient=extra.pop("patient", setup["patient"]),
        location=extra.pop("location", setup["location"]),
        practitioner=extra.pop("practitioner", setup["practitioner"]),
        starts_at=extra.pop("starts_at", at(setup["monday"], hour, minute)),
        service_ids=[s.pk for s in (services or [setup["service"]])],
        **extra,
    )


def test_a_booking_lasts_as_long_as_its_services(clinic_day, front_desk):
    appointment = book(clinic_day, front_desk, services=[clinic_day["service"], clinic_day["long_service"]], note="First visit")
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=75)
    assert appointment.status == Status.BOOKED
    assert appointment.booked_by == front_desk and appointment.source == "phone"
    # In the order they were chosen (the services' own ordering is by name, "Service 100" before "Service 99").
    assert [line.service for line in appointment.service_lines.all()] == [clinic_day["service"], clinic_day["long_service"]]
    assert LogEntry.objects.get_for_object(appointment).filter(actor=front_desk).exists()


def test_an_overlapping_booking_is_refused_as_just_taken(clinic_day, front_desk):
    book(clinic_day, front_desk, hour=10)
    with pytest.raises(SlotTaken, match="just taken"):
        book(clinic_day, front_desk, hour=10, minute=15)
    assert Appointment.objects.count() == 1
    # Back to back is fine.
    book(clinic_day, front_desk, hour=10, minute=30)


def test_a_cancelled_appointment_frees_its_time(clinic_day, front_desk):
    from clinic.scheduling.services import change_status

    first = book(clinic_day, front_desk, hour=11)
    change_status(first, "cancel", actor=front_desk, reason="Patient is ill")
    book(clinic_day, front_desk, hour=11)
    assert Appointment.objects.filter(status=Status.BOOKED).count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hour": 8}, "outside the practitioner's working hours"),
        ({"hour": 16, "minute": 45}, "outside the practitioner's working hours"),
        ({"hour": 13, "minute": 15}, "break"),
        ({"starts_at": "past"}, "in the past"),
        ({"location": "other"}, "does not work at"),
        ({"starts_at": "tuesday"}, "does not work at"),
        ({"services": "inactive"}, "no longer offered"),
        ({"services": "none"}, "Choose at least one service"),
    ],
)
def test_bad_bookings_are_refused_with_a_message(clinic_day, front_desk, change, message):
    extra = {}
    if change.get("starts_at") == "past":
        extra["starts_at"] = at(clinic_day["monday"] - timedelta(days=7 * 60), 10)
    elif change.get("starts_at") == "tuesday":
        extra["starts_at"] = at(clinic_day["monday"] + timedelta(days=1), 10)
    if change.get("location") == "other":
        extra["location"] = LocationFactory()
    services = None
    if change.get("services") == "inactive":
        services = [ServiceFactory(is_active=False)]
    elif change.get("services") == "none":
        services = []
    with pytest.raises(DomainError, match=message):
        if services == []:
            book_appointment(actor=front_desk, patient=clinic_day["patient"], location=clinic_day["location"],
                             practitioner=clinic_day["practitioner"], starts_at=at(clinic_day["monday"], 10), service_ids=[])
        else:
            book(clinic_day, front_desk, hour=change.get("hour", 10), minute=change.get("minute", 0), services=services, **extra)
    assert Appointment.objects.count() == 0


def test_an_absent_practitioner_cannot_be_booked(clinic_day, front_desk):
    from clinic.models import Absence

    Absence.objects.create(practitioner=clinic_day["practitioner"], starts_on=clinic_day["monday"], ends_on=clinic_day["monday"])
    with pytest.raises(DomainError, match="absent"):
        book(clinic_day, front_desk)


def test_a_new_patient_is_registered_with_the_booking(clinic_day, front_desk):
    appointment = book(clinic_day, front_desk, patient=None, new_patient=PatientData("Nou", "Pacient", phone="+37369000111"))
    assert appointment.patient.full_name == "Nou Pacient"


def test_a_refused_booking_leaves_no_new_patient_behind(clinic_day, front_desk):
    book(clinic_day, front_desk, hour=12)
    with pytest.raises(SlotTaken):
        book(clinic_day, front_desk, hour=12, patient=None, new_patient=PatientData("Stray", "Person", phone="+37369000222"))
    assert not Patient.objects.filter(first_name="Stray").exists()


def test_booking_dialog_books_from_a_free_slot(clinic_day, front_desk, client_for):
    client = client_for(front_desk)
    start = f"{clinic_day['monday'].isoformat()}T09:30"
    query = f"?location={clinic_day['location'].pk}&practitioner={clinic_day['practitioner'].pk}&start={start}"
    dialog = client.get("/appointments/new/" + query, HTTP_HX_REQUEST="true")
    assert dialog.status_code == 200 and b"Book an appointment" in dialog.content
    response = client.post(
        "/appointments/new/",
        {"location": clinic_day["location"].pk, "practitioner": clinic_day["practitioner"].pk, "starts_at": start,
         "patient": clinic_day["patient"].pk, "services": [clinic_day["service"].pk], "source": "walk_in", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and "/calendar/" in response["HX-Redirect"]
    appointment = Appointment.objects.get()
    assert appointment.source == "walk_in" and appointment.starts_at == at(clinic_day["monday"], 9, 30)
    # The day view it returns to puts the keyboard on the new appointment.
    assert response["HX-Redirect"].endswith(f"&focus={appointment.pk}")
    day = client.get(response["HX-Redirect"]).content.decode()
    assert f'data-focus="{appointment.pk}"' in day and f'data-appointment="{appointment.pk}"' in day


@pytest.mark.parametrize("typed", ["+40721234567", "0721 234 567"])  # alpha is in Romania: local format too
def test_booking_dialog_asks_about_a_shared_phone(clinic_day, front_desk, client_for, typed):
    type(clinic_day["patient"]).objects.filter(pk=clinic_day["patient"].pk).update(phone="+40721234567")
    client = client_for(front_desk)
    data = {"location": clinic_day["location"].pk, "practitioner": clinic_day["practitioner"].pk,
            "starts_at": f"{clinic_day['monday'].isoformat()}T10:00", "first_name": "Child", "last_name": "Testescu",
            "phone": typed, "services": [clinic_day["service"].pk], "source": "phone"}
    response = client.post("/appointments/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # a question, not a refusal (no failed request in the console)
    assert b"already belongs to a patient" in response.content and clinic_day["patient"].full_name.encode() in response.content
    assert Appointment.objects.count() == 0
    response = client.post("/appointments/new/", data | {"phone_decision": "sharing", "relation": "child"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    child = Patient.objects.get(first_name="Child")
    assert child.phone_owner == clinic_day["patient"] and child.phone_relation == "child"


def test_booking_a_taken_slot_shows_the_calendar_again(clinic_day, front_desk, client_for):
    book(clinic_day, front_desk, hour=14)
    response = client_for(front_desk).post(
        "/appointments/new/",
        {"location": clinic_day["location"].pk, "practitioner": clinic_day["practitioner"].pk,
         "starts_at": f"{clinic_day['monday'].isoformat()}T14:00", "patient": clinic_day["patient"].pk,
         "services": [clinic_day["service"].pk], "source": "phone"},
        follow=True,
    )
    assert b"This time was just taken" in response.content
    assert b'id="calendar"' in response.content
    assert Appointment.objects.count() == 1


def test_times_are_entered_and_shown_in_the_clinics_time_zone(clinic_day, front_desk, client_for):
    # Clinic alpha is in Europe/Bucharest: 10:00 there is 08:00 or 07:00 UTC.
    appointment = book(clinic_day, front_desk, hour=10)
    assert appointment.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("UTC")).hour in {7, 8}
    page = client_for(front_desk).get(f"/appointments/{appointment.pk}/")
    assert b"10:00" in page.content




def test_the_patient_search_of_the_dialog_answers_with_a_listbox_and_an_announcement(clinic_day, front_desk, client_for):
    patient = clinic_day["patient"]
    html = client_for(front_desk).get(f"/patients/pick/?patient_query={patient.last_name}",
                                      HTTP_HX_REQUEST="true").content.decode()
    assert 'role="listbox"' in html and f'id="patient-option-{patient.pk}"' in html and 'role="option"' in html
    assert 'data-announce="1 patient found: the arrow keys choose, Enter picks."' in html
    nothing = client_for(front_desk).get("/patients/pick/?patient_query=zzzqqq", HTTP_HX_REQUEST="true").content.decode()
    assert 'role="listbox"' not in nothing and "No patient matches" in nothing
