"""Twenty bookings at once for one slot: exactly one wins; the others are told it was just taken."""

import threading
from datetime import time

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context


@pytest.fixture
def committed_slot(django_db_blocker, clinic_a):
    """Committed data (each thread has its own connection and sees only committed rows), removed afterwards."""
    from clinic.models import Location, OpeningHours, Practitioner, Service, ServiceCategory, WorkingHours
    from clinic.patients.models import Patient
    from clinic.scheduling.models import Appointment
    from tests.factories import make_staff
    from tests.scheduling.conftest import next_weekday

    with django_db_blocker.unblock():
        with tenant_context(clinic_a):
            location = Location.objects.create(name="Concurrency room")
            OpeningHours.objects.create(location=location, weekday=3, opens=time(8), closes=time(18))
            practitioner = Practitioner.objects.create(full_name="Dr Race")
            WorkingHours.objects.create(practitioner=practitioner, location=location, weekday=3, starts=time(9), ends=time(17))
            category = ServiceCategory.objects.create(name="Concurrency")
            service = Service.objects.create(code="RACE-1", name="Race", category=category, duration_minutes=30, price="1.00")
            patients = [Patient.objects.create(first_name=f"Racer{i}", last_name="Test") for i in range(20)]
            user = make_staff("front_desk", email="racer@alpha.example")
        data = {"location": location, "practitioner": practitioner, "service": service, "patients": patients,
                "user": user, "day": next_weekday(3)}
        yield data
        with tenant_context(clinic_a):
            Appointment.objects.filter(practitioner=practitioner).delete()
            Patient.objects.filter(pk__in=[p.pk for p in patients]).delete()
            WorkingHours.objects.filter(practitioner=practitioner).delete()
            practitioner.delete()
            service.delete()
            category.delete()
            location.delete()
            user.delete()
        connection.set_schema_to_public()


def test_twenty_concurrent_bookings_of_one_slot(committed_slot, clinic_a, django_db_blocker):
    from clinic.scheduling.models import Appointment, AppointmentService
    from clinic.scheduling.services import SlotTaken, book_appointment
    from tests.scheduling.conftest import at

    barrier = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def attempt(index):
        try:
            with django_db_blocker.unblock(), tenant_context(clinic_a):
                starts = at(committed_slot["day"], 10)
                barrier.wait(timeout=30)
                try:
                    book_appointment(
                        actor=committed_slot["user"], patient=committed_slot["patients"][index],
                        location=committed_slot["location"], practitioner=committed_slot["practitioner"],
                        starts_at=starts, service_ids=[committed_slot["service"].pk],
                    )
                    outcome = "booked"
                except SlotTaken as taken:
                    outcome = taken.message
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results.count("booked") == 1, results
    assert results.count("This time was just taken. Please choose another slot.") == 19, results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        appointments = Appointment.objects.filter(practitioner=committed_slot["practitioner"])
        assert appointments.count() == 1
        # Nothing half-written: exactly one service line, for the one appointment.
        assert AppointmentService.objects.filter(appointment__practitioner=committed_slot["practitioner"]).count() == 1
