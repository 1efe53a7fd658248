"""Day and week views, the reception list, the free-slot search."""

from datetime import time, timedelta

import pytest

from clinic.scheduling.models import Status
from tests.factories import AppointmentFactory, PatientFactory, WorkingHoursFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def test_day_view_draws_columns_blocks_and_free_slots(clinic_day, front_desk, client_for):
    appointment = AppointmentFactory(
        location=clinic_day["location"], practitioner=clinic_day["practitioner"], patient=clinic_day["patient"],
        starts_at=at(clinic_day["monday"], 10), ends_at=at(clinic_day["monday"], 10, 30),
    )
    response = client_for(front_desk).get(f"/calendar/?location={clinic_day['location'].pk}&date={clinic_day['monday']}")
    html = response.content.decode()
    assert clinic_day["practitioner"].full_name in html
    assert f'data-appointment="{appointment.pk}"' in html and clinic_day["patient"].full_name in html
    assert "status-booked" in html
    # 09:00-17:00 minus the 30-minute appointment and the 30-minute break: 28 quarter-hours free.
    assert html.count('class="slot-free calendar-stop"') == 28
    assert 'data-time="10:00"' not in html and 'data-time="10:30"' in html and 'data-time="13:00"' not in html


def test_day_view_queries_do_not_grow_with_appointments(clinic_day, front_desk, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(front_desk)
    url = f"/calendar/?location={clinic_day['location'].pk}&date={clinic_day['monday']}"

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    AppointmentFactory(location=clinic_day["location"], practitioner=clinic_day["practitioner"],
                       starts_at=at(clinic_day["monday"], 9), ends_at=at(clinic_day["monday"], 9, 30))
    count()  # warms the host-routing cache
    few = count()
    for hour in (10, 11, 14, 15, 16):
        other = WorkingHoursFactory(location=clinic_day["location"], weekday=0).practitioner
        for minute in (0, 30):
            AppointmentFactory(location=clinic_day["location"], practitioner=other, patient=PatientFactory(),
                               starts_at=at(clinic_day["monday"], hour, minute), ends_at=at(clinic_day["monday"], hour, minute + 29))
    assert count() == few


def test_a_closed_day_says_so(clinic_day, front_desk, client_for):
    sunday = clinic_day["monday"] - timedelta(days=1)
    response = client_for(front_desk).get(f"/calendar/?location={clinic_day['location'].pk}&date={sunday}")
    assert b"closed on this day" in response.content


def test_week_view_lists_each_practitioners_days(clinic_day, front_desk, client_for):
    AppointmentFactory(location=clinic_day["location"], practitioner=clinic_day["practitioner"],
                       patient=clinic_day["patient"], starts_at=at(clinic_day["monday"], 11), ends_at=at(clinic_day["monday"], 11, 30))
    response = client_for(front_desk).get(f"/calendar/week/?location={clinic_day['location'].pk}&date={clinic_day['monday']}")
    html = response.content.decode()
    assert clinic_day["patient"].full_name in html
    assert "420 min free" in html  # 8 h - 30 min break - 30 min booked


def test_reception_lists_the_days_appointments_and_filters(clinic_day, front_desk, client_for):
    booked = AppointmentFactory(location=clinic_day["location"], practitioner=clinic_day["practitioner"],
                                starts_at=at(clinic_day["monday"], 9), ends_at=at(clinic_day["monday"], 9, 30))
    arrived = AppointmentFactory(location=clinic_day["location"], practitioner=clinic_day["practitioner"], status=Status.ARRIVED,
                                 starts_at=at(clinic_day["monday"], 10), ends_at=at(clinic_day["monday"], 10, 30))
    client = client_for(front_desk)
    base = f"/reception/?location={clinic_day['location'].pk}&date={clinic_day['monday']}"
    html = client.get(base).content.decode()
    assert booked.patient.full_name in html and arrived.patient.full_name in html
    assert f'href="/patients/{booked.patient.pk}/"' in html
    filtered = client.get(base + "&status=arrived").content.decode()
    assert arrived.patient.full_name in filtered and booked.patient.full_name not in filtered


def test_next_free_slot_search(clinic_day, front_desk, client_for):

    from clinic.scheduling.availability import next_free_slots

    AppointmentFactory(location=clinic_day["location"], practitioner=clinic_day["practitioner"],
                       starts_at=at(clinic_day["monday"], 9), ends_at=at(clinic_day["monday"], 10))
    start = at(clinic_day["monday"], 0)
    slots = next_free_slots(duration=timedelta(minutes=45), start=start)
    first = slots[0]
    assert first.practitioner == clinic_day["practitioner"] and first.starts == at(clinic_day["monday"], 10)
    assert all(s.starts >= start and s.starts < start + timedelta(days=14) for s in slots)
    response = client_for(front_desk).get(f"/appointments/free/?service={clinic_day['long_service'].pk}")
    assert response.status_code == 200 and clinic_day["practitioner"].full_name.encode() in response.content


def test_free_slots_skip_breaks_and_absences(clinic_day):
    from clinic.models import Absence
    from clinic.scheduling.availability import next_free_slots

    Absence.objects.create(practitioner=clinic_day["practitioner"], starts_on=clinic_day["monday"], ends_on=clinic_day["monday"])
    slots = next_free_slots(duration=timedelta(minutes=30), start=at(clinic_day["monday"], 0), days=1)
    assert slots == []
    Absence.objects.all().delete()
    slots = next_free_slots(duration=timedelta(hours=3), start=at(clinic_day["monday"], 12), days=1)
    # 13:00-13:30 is a break: the first 3-hour slot starts after it.
    assert [s.starts for s in slots] == [at(clinic_day["monday"], 13, 30)]
    assert time(13, 30) == slots[0].starts.astimezone(at(clinic_day["monday"], 0).tzinfo).time()


def test_day_view_puts_appointments_and_free_slots_in_time_order(clinic_day, front_desk, client_for):
    """Tab and the arrow keys follow the document's order: within a column, by time."""
    appointment = AppointmentFactory(
        location=clinic_day["location"], practitioner=clinic_day["practitioner"], patient=clinic_day["patient"],
        starts_at=at(clinic_day["monday"], 10), ends_at=at(clinic_day["monday"], 10, 30),
    )
    html = client_for(front_desk).get(
        f"/calendar/?location={clinic_day['location'].pk}&date={clinic_day['monday']}").content.decode()
    before, block, after = (html.index('data-time="09:45"'), html.index(f'data-appointment="{appointment.pk}"'),
                            html.index('data-time="10:30"'))
    assert before < block < after
