"""The day view reads at a glance: blocks that share time stand side by side (a cancelled or
no-show one faded beside the live one; cancelled ones are not drawn), and a short block carries its full text for hover
and focus."""

import re

import pytest

from clinic.scheduling.models import AppointmentService, Status
from tests.factories import AppointmentFactory, ServiceFactory, make_staff
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def block_of(html: str, appointment) -> str:
    match = re.search(rf'<a class="block block-appointment[^"]*"[^>]*data-appointment="{appointment.pk}"[^>]*>', html)
    assert match, appointment
    return match.group(0)


def test_blocks_sharing_time_stand_side_by_side_and_a_dead_one_is_faded(clinic_day, client_for):
    day, place, who = clinic_day["monday"], clinic_day["location"], clinic_day["practitioner"]
    no_show = AppointmentFactory(location=place, practitioner=who, starts_at=at(day, 10, 45),
                                   ends_at=at(day, 12, 15), status=Status.NO_SHOW)
    live = AppointmentFactory(location=place, practitioner=who, starts_at=at(day, 11, 45), ends_at=at(day, 12, 15))
    alone = AppointmentFactory(location=place, practitioner=who, starts_at=at(day, 14), ends_at=at(day, 14, 30))
    html = client_for(make_staff("front_desk")).get(f"/calendar/?location={place.pk}&date={day}").content.decode()
    first, second, third = block_of(html, no_show), block_of(html, live), block_of(html, alone)
    assert "block-dead" in first and "block-dead" not in second
    assert "inset-inline-start: calc(0.000% + 1px); inset-inline-end: calc(50.000% + 1px)" in first
    assert "inset-inline-start: calc(50.000% + 1px); inset-inline-end: calc(0.000% + 1px)" in second
    assert "inset-inline" not in third and "block-shared" not in third  # alone: the whole width


def test_a_short_block_carries_its_full_text(clinic_day, client_for):
    day, place, who = clinic_day["monday"], clinic_day["location"], clinic_day["practitioner"]
    short = AppointmentFactory(location=place, practitioner=who, starts_at=at(day, 9), ends_at=at(day, 9, 15))
    AppointmentService.objects.create(appointment=short, service=ServiceFactory(name="Fluoride varnish"))
    html = client_for(make_staff("front_desk")).get(f"/calendar/?location={place.pk}&date={day}").content.decode()
    block = block_of(html, short)
    assert f'title="09:00–09:15 {short.patient.full_name} · Fluoride varnish · Booked"' in block
