"""Dates, numbers and names in every language: one set of formats per language (the
project's clinic/formats), used by pages and messages; built-in flags translated; the
Romanian patients list says "Nume"."""

from datetime import date, datetime, time

import pytest
from django.utils import translation
from django.utils.formats import date_format, time_format

from clinic.patients.models import Flag
from clinic.patients.services import set_flag
from tests.factories import PatientFactory, make_staff

pytestmark = pytest.mark.django_db

SATURDAY = date(2026, 12, 5)


@pytest.mark.parametrize("language, heading, short, long", [
    ("en", "Saturday, 5 December 2026", "05.12.2026", "5 December 2026"),
    ("ru", "Суббота, 5 декабря 2026", "05.12.2026", "5 декабря 2026"),
    ("ro", "Sâmbătă, 5 decembrie 2026", "05.12.2026", "5 decembrie 2026"),
    ("zh-hans", "2026年12月5日 星期六", "2026-12-05", "2026年12月5日"),
    ("fa", "شنبه 5 دسامبر 2026", "2026/12/5", "5 دسامبر 2026"),
])
def test_one_set_of_date_formats_per_language(language, heading, short, long):
    with translation.override(language):
        assert date_format(SATURDAY, "WEEKDAY_DATE_FORMAT") == heading
        assert date_format(SATURDAY, "SHORT_DATE_FORMAT") == short
        assert date_format(SATURDAY, "DATE_FORMAT") == long
        assert time_format(time(12, 0), "TIME_FORMAT") == "12:00"  # never "noon"


def test_romanian_months_are_lower_case_everywhere():
    with translation.override("ro"):
        assert date_format(SATURDAY, "YEAR_MONTH_FORMAT") == "decembrie 2026"


def test_the_day_view_heading_reads_as_the_language_writes_dates(tenant, client_for):
    from tests.factories import LocationFactory

    location = LocationFactory()
    user = make_staff("front_desk")
    client = client_for(user)
    for language, heading in (("ru", "Суббота, 5 декабря 2026"), ("zh-hans", "2026年12月5日 星期六"),
                              ("ro", "Sâmbătă, 5 decembrie 2026")):
        client.cookies["django_language"] = language
        html = client.get(f"/calendar/?location={location.pk}&date=2026-12-05",
                          HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert heading in html, language


def test_built_in_flags_are_shown_in_the_readers_language_and_a_clinics_own_as_written(tenant, client_for):
    user = make_staff("front_desk")
    patient = PatientFactory(last_name="Flagescu")
    set_flag(patient, Flag.objects.get(code="allergy"), actor=user)
    set_flag(patient, Flag.objects.create(code="own", label="Frică de ace"), actor=user)
    client = client_for(user)
    client.cookies["django_language"] = "ru"
    html = client.get("/patients/?q=Flagescu", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert ">Аллергия</span>" in html and ">Frică de ace</span>" in html and ">Allergy</span>" not in html


def test_the_romanian_patients_list_calls_the_name_column_nume(tenant, client_for):
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "ro"
    PatientFactory(last_name="Numescu")
    html = client.get("/patients/?q=Numescu", HTTP_ACCEPT_LANGUAGE="ro").content.decode()
    assert "<th>Nume</th>" in html and "<th>Denumire</th>" not in html


def test_a_booking_message_uses_the_languages_short_format():
    with translation.override("zh-hans"):
        assert date_format(datetime(2026, 12, 5, 10, 45), "SHORT_DATETIME_FORMAT") == "2026-12-05 10:45"
