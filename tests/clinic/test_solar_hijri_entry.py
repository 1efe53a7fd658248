"""Entering dates in the Solar Hijri calendar (issue 15): in a clinic that works in it, every
date field — one field class, ``clinic.fields.ClinicDateField``, and the same widget in the
templates' report periods — shows the day as 1405/09/14 on Persian pages and takes it typed in
Persian or Latin digits, converting it to the Gregorian day stored. Links and hidden fields
stay Gregorian ISO, so nothing is read back in the year 1405."""

from datetime import date

import pytest
from django.db import connection
from django.utils import translation

from clinic.calendars import date_for_input, parse_typed_date
from clinic.fields import ClinicDateField, ClinicDateInput
from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment
from clinic.tenants.models import Clinic
from tests.factories import LocationFactory, make_staff
from tests.scheduling.conftest import clinic_day  # noqa: F401 - the booking tests' working Monday

pytestmark = pytest.mark.django_db

AZAR_14 = date(2026, 12, 5)  # 14 Azar 1405


@pytest.fixture
def solar(tenant):
    Clinic.objects.filter(pk=tenant.pk).update(calendar="solar_hijri")
    connection.tenant.calendar = "solar_hijri"
    yield tenant
    connection.tenant.calendar = "gregorian"
    Clinic.objects.filter(pk=tenant.pk).update(calendar="gregorian")


@pytest.mark.parametrize("typed", ["1405/09/14", "1405/9/14", "۱۴۰۵/۰۹/۱۴", "١٤٠٥-٩-١٤", "1405.09.14",
                                   " ۱۴۰۵ / ۹ / ۱۴ ", "2026-12-05"])
def test_a_solar_hijri_clinic_takes_its_days_in_any_digits(solar, typed):
    assert parse_typed_date(typed) == AZAR_14


@pytest.mark.parametrize("typed", ["1405/12/30", "1405/13/01", "14/09/1405", "1405/09", "فردا", "", "2026-02-30"])
def test_what_is_not_a_day_is_refused(solar, typed):
    assert parse_typed_date(typed) is None


def test_a_gregorian_clinic_does_not_read_solar_hijri_years(tenant):
    assert parse_typed_date("1405/09/14") is None
    assert parse_typed_date("2026-12-05") == AZAR_14


def test_the_field_shows_the_clinics_calendar_on_persian_pages_only(solar):
    widget = ClinicDateInput({"id": "d"})
    with translation.override("fa"):
        assert date_for_input(AZAR_14) == "1405/09/14"
        html = widget.render("day", AZAR_14)
        assert 'type="text"' in html and 'value="1405/09/14"' in html and 'dir="ltr"' in html
        assert 'inputmode="numeric"' in html and 'data-calendar="solar_hijri"' in html
    with translation.override("ru"):
        html = widget.render("day", AZAR_14)
        assert 'type="date"' in html and 'value="2026-12-05"' in html and "1405" not in html


def test_a_gregorian_clinic_in_persian_keeps_the_date_picker(tenant):
    with translation.override("fa"):
        html = ClinicDateInput().render("day", AZAR_14)
    assert 'type="date"' in html and 'value="2026-12-05"' in html


def test_the_field_converts_and_explains_a_bad_day(solar):
    field = ClinicDateField()
    assert field.clean("۱۴۰۵/۰۹/۱۴") == AZAR_14
    with translation.override("fa"), pytest.raises(Exception) as refused:
        field.clean("1405/12/30")
    assert "1405/09/14" in " ".join(refused.value.messages)


def test_a_patients_birth_date_typed_in_persian(solar, client_for):
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "fa"
    form = client.get("/patients/new/").content.decode()
    assert 'name="birth_date"' in form and 'data-calendar="solar_hijri"' in form
    response = client.post("/patients/new/", {"first_name": "Sara", "last_name": "Ahmadi", "phone": "",
                                               "birth_date": "۱۳۷۰/۰۱/۰۱", "source": "phone"})
    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Ahmadi")
    assert patient.birth_date == date(1991, 3, 21)  # Nowruz 1370
    page = client.get(f"/patients/{patient.pk}/edit/").content.decode()
    assert 'value="1370/01/01"' in page


def test_a_bad_birth_date_is_refused_and_nothing_saved(solar, client_for):
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "fa"
    response = client.post("/patients/new/", {"first_name": "Sara", "last_name": "Karimi", "phone": "",
                                               "birth_date": "1370/13/01", "source": "phone"})
    assert response.status_code == 200 and "1405/09/14" in response.content.decode()
    assert not Patient.objects.filter(last_name="Karimi").exists()


def test_a_booking_for_a_new_patient_with_a_solar_hijri_birth_date(solar, clinic_day, client_for):  # noqa: F811
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "fa"
    start = f"{clinic_day['monday'].isoformat()}T10:00"
    query = f"?location={clinic_day['location'].pk}&practitioner={clinic_day['practitioner'].pk}&start={start}"
    dialog = client.get("/appointments/new/" + query, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-calendar="solar_hijri"' in dialog
    assert f'value="{start}"' in dialog  # the slot's moment stays Gregorian ISO
    response = client.post("/appointments/new/", {
        "location": clinic_day["location"].pk, "practitioner": clinic_day["practitioner"].pk, "starts_at": start,
        "first_name": "Reza", "last_name": "Tehrani", "phone": "", "birth_date": "1360/6/31",
        "services": [clinic_day["service"].pk], "source": "phone", "note": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    appointment = Appointment.objects.get(patient__last_name="Tehrani")
    assert appointment.patient.birth_date == date(1981, 9, 22)
    assert appointment.starts_at.date() == clinic_day["monday"]


def test_moving_an_appointment_to_a_solar_hijri_day(solar, clinic_day, client_for):  # noqa: F811
    import jdatetime

    from clinic.scheduling.services import book_appointment
    from tests.scheduling.conftest import at

    desk = make_staff("front_desk")
    monday = clinic_day["monday"]
    appointment = book_appointment(actor=desk, patient=clinic_day["patient"], location=clinic_day["location"],
                                   practitioner=clinic_day["practitioner"], starts_at=at(monday, 10),
                                   service_ids=[clinic_day["service"].pk])
    client = client_for(desk)
    client.cookies["django_language"] = "fa"
    page = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert f'value="{date_for_input_fa(monday)}"' in page
    week_later = jdatetime.date.fromgregorian(date=monday) + jdatetime.timedelta(days=7)
    typed = f"{week_later.year}/{week_later.month}/{week_later.day}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = client.post(f"/appointments/{appointment.pk}/move/", {
        "day": typed, "time": "11:00", "practitioner": clinic_day["practitioner"].pk,
        "location": clinic_day["location"].pk})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(week_later.togregorian(), 11)


def date_for_input_fa(day):
    with translation.override("fa"):
        return date_for_input(day)


def test_report_periods_typed_in_solar_hijri(solar, client_for):
    client = client_for(make_staff("manager"))
    client.cookies["django_language"] = "fa"
    html = client.get("/reports/cash/?first=۱۴۰۵/۰۹/۰۱&last=1405/9/14").content.decode()
    assert "1 آذر 1405 – 14 آذر 1405" in html
    assert 'value="1405/09/01"' in html and 'value="1405/09/14"' in html
    html = client.get("/partners/statistics/?first=1405/09/01&last=1405/09/14").content.decode()
    assert "1 آذر 1405 – 14 آذر 1405" in html
    # The export's hidden period is Gregorian ISO: the task reads it back as such.
    assert '<input type="hidden" name="first" value="2026-11-22">' in html
    html = client.get("/reports/cash/?first=1405/13/01").content.decode()
    assert "is not a valid date" in html or "معتبر" in html


def test_the_day_view_opens_on_a_solar_hijri_day_and_its_links_stay_gregorian(solar, client_for):
    location = LocationFactory()
    client = client_for(make_staff("front_desk"))
    client.cookies["django_language"] = "fa"
    html = client.get(f"/calendar/?location={location.pk}&date=1405/09/14").content.decode()
    assert "شنبه 14 آذر 1405" in html
    assert 'id="calendar-date"' in html and 'value="1405/09/14"' in html
    assert "date=2026-12-06" in html  # the next day's link: ISO, not 1405-09-15


def test_a_gregorian_month_keeps_its_gregorian_name(solar):
    """A month as a period (the revenue chart's months, a partner account) is a Gregorian month:
    "آذر 1405" would name 22 November to 21 December."""
    from django.template import Context, Template

    from clinic.calendars import format_date

    template = Template('{{ day|date:"YEAR_MONTH_FORMAT" }} · {{ day|date:"DATE_FORMAT" }} · {{ day|date:"Y-m" }}')
    with translation.override("fa"):
        assert template.render(Context({"day": AZAR_14})) == "دسامبر 2026 · 14 آذر 1405 · 2026-12"
        assert format_date(AZAR_14, "YEAR_MONTH_FORMAT") == "دسامبر 2026"


def test_the_templates_date_input_is_the_fields_widget(solar):
    from django.template import Context, Template

    template = Template('{% date_input "day" day id="cash-day" class="form-control" required=True data_autosubmit=True %}')
    with translation.override("fa"):
        html = template.render(Context({"day": AZAR_14}))
    assert 'type="text"' in html and 'name="day"' in html and 'value="1405/09/14"' in html
    assert 'id="cash-day"' in html and " required" in html and " data-autosubmit" in html
    with translation.override("en"):
        html = template.render(Context({"day": None}))
    assert 'type="date"' in html and "value=" not in html
