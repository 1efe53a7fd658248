"""The audit trail writes its values out as the rest of the page: times in the clinic's time zone (not
UTC), amounts in the language's numbers, yes/no and "—" in the reader's language."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.django_db


def test_an_appointments_history_shows_its_times_in_the_clinics_zone(tenant, client_for, manager):
    from tests.factories import AppointmentFactory

    zone = ZoneInfo(tenant.time_zone)
    assert zone.utcoffset(datetime(2031, 3, 4)) != timedelta(0)  # a zone where UTC would show another hour
    starts = datetime(2031, 3, 4, 9, 30, tzinfo=zone)
    appointment = AppointmentFactory(starts_at=starts, ends_at=starts + timedelta(minutes=30), note="")
    client = client_for(manager)
    page = client.get(f"/audit/appointment/{appointment.pk}/").content.decode()
    changes = " ".join(re.findall(r'<td class="audit-change">(.*?)</td>', page, re.S))  # not the "when" column
    assert "09:30" in changes and "07:30" not in changes, changes


def test_amounts_and_yes_no_read_in_the_readers_language(tenant, client_for, manager):
    from billing.services import add_line, open_visit
    from tests.factories import LocationFactory, PatientFactory, ServiceFactory, make_staff

    visit = open_visit(patient=PatientFactory(), location=LocationFactory(), actor=make_staff("front_desk"))
    add_line(visit, service=ServiceFactory(price=Decimal("1500.00")), actor=make_staff("front_desk"))
    client = client_for(manager)
    client.cookies["django_language"] = "ro"
    page = client.get(f"/audit/visit/{visit.pk}/").content.decode()
    changes = " ".join(re.findall(r'<td class="audit-change">(.*?)</td>', page, re.S))
    assert "1.500,00" in changes and "1500.00" not in changes
    assert ">None<" not in changes


def test_a_number_that_names_something_is_shown_as_written_and_a_missing_text_as_nothing():
    from billing.models import Payment, VisitLine
    from clinic.audit import _shown_value
    from clinic.scheduling.models import Appointment

    assert _shown_value(Payment._meta.get_field("number"), "123456") is None  # auditlog's own: "123456"
    assert _shown_value(VisitLine._meta.get_field("quantity"), "1200") == "1,200"
    assert Appointment._meta.get_field("notices").audit_display("None") == ""
    assert VisitLine._meta.get_field("void_details").audit_display(
        '{"text": "Moved to %(payer)s", "values": {"payer": "Radio Plus SRL"}}') == "Moved to Radio Plus SRL"
