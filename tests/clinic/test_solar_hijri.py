"""Persian clinics may show dates in the Solar Hijri calendar (a clinic setting, jdatetime):
on Persian pages, with the same format names as every other language; other languages keep
the Gregorian calendar."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import translation

from clinic.calendars import solar_hijri_format
from clinic.tenants.models import Clinic
from tests.factories import LocationFactory, make_staff

pytestmark = pytest.mark.django_db


def test_a_day_in_the_solar_hijri_calendar():
    with translation.override("fa"):
        assert solar_hijri_format(date(2026, 12, 5), "WEEKDAY_DATE_FORMAT") == "شنبه 14 آذر 1405"
        assert solar_hijri_format(date(2026, 12, 5), "SHORT_DATE_FORMAT") == "1405/9/14"
        moment = datetime(2026, 3, 21, 9, 30, tzinfo=ZoneInfo("Asia/Tehran"))  # Nowruz
        assert solar_hijri_format(moment, "SHORT_DATETIME_FORMAT") == "1405/1/1 09:30"


@pytest.fixture
def solar(tenant):
    Clinic.objects.filter(pk=tenant.pk).update(calendar="solar_hijri")
    connection.tenant.calendar = "solar_hijri"
    yield tenant
    connection.tenant.calendar = "gregorian"


def test_persian_pages_of_a_solar_hijri_clinic_show_its_dates_and_others_do_not(solar, client_for):
    location = LocationFactory()
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "fa"
    html = client.get(f"/calendar/?location={location.pk}&date=2026-12-05").content.decode()
    assert "شنبه 14 آذر 1405" in html
    client.cookies["django_language"] = "en"
    html = client.get(f"/calendar/?location={location.pk}&date=2026-12-05").content.decode()
    assert "Saturday, 5 December 2026" in html and "1405" not in html


def test_a_gregorian_clinic_in_persian_keeps_gregorian_dates(tenant, client_for):
    location = LocationFactory()
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "fa"
    html = client.get(f"/calendar/?location={location.pk}&date=2026-12-05").content.decode()
    assert "1405" not in html and "2026" in html


def test_the_manager_chooses_the_calendar_in_the_settings(tenant, client_for):
    manager = make_staff("manager")
    client = client_for(manager)
    form = client.get("/settings/").content.decode()
    assert 'name="calendar"' in form
    response = client.post("/settings/", {"name": tenant.name, "time_zone": tenant.time_zone,
                                          "default_language": tenant.default_language,
                                          "calendar": "solar_hijri", "legal_name": "", "address": "", "phone": "",
                                          "email": "", "tax_number": ""})
    assert response.status_code == 302
    assert Clinic.objects.get(pk=tenant.pk).calendar == "solar_hijri"


def test_messages_written_in_python_use_the_clinics_calendar_too(solar):
    from clinic.calendars import format_date

    with translation.override("fa"):
        assert format_date(date(2026, 12, 5), "DATE_FORMAT") == "14 آذر 1405"
    with translation.override("en"):
        assert format_date(date(2026, 12, 5), "DATE_FORMAT") == "5 December 2026"
