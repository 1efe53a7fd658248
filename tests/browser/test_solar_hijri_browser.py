"""A Persian receptionist in a clinic that works in the Solar Hijri calendar (issue 15), walked as
she would at 1280 px: she opens the day view on a day she types in Persian digits, books a new
patient whose birth date she types in the Solar Hijri calendar, registers the arrival of today's
patient, takes the payment at the cashier and reads the statement, its period in Solar Hijri.
Every date she reads or types is Solar Hijri; what is stored is the Gregorian day. Screenshots
for the README."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import log_in

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def fa(text: str, context: str | None = None) -> str:
    """A string as the Persian page shows it."""
    from django.utils.translation import gettext, pgettext

    with translation.override("fa"):
        return pgettext(context, text) if context else gettext(text)


def jalali(day: date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=day)


def long_jalali(day: date) -> str:
    """A day as the Persian pages write it: "14 آذر 1405"."""
    j = jalali(day)
    return f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}"


@pytest.fixture
def solar_alpha(committed_public, clinic_a):
    """Clinic alpha works in the Solar Hijri calendar for the test (a setting of the clinic)."""
    from clinic.tenants.models import Clinic

    committed_public(lambda: Clinic.objects.filter(pk=clinic_a.pk).update(calendar="solar_hijri"))
    yield
    committed_public(lambda: Clinic.objects.filter(pk=clinic_a.pk).update(calendar="gregorian"))


def build(unique: str):
    from clinic.scheduling.models import Status
    from tests.factories import (
        AppointmentFactory,
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
        open_every_day,
    )

    location = LocationFactory(name=f"Tehran desk {unique[:6]}", open_weekdays=False)
    practitioner = PractitionerFactory(full_name=f"Dr Maryam Karimi {unique[:4]}")
    open_every_day(location, practitioner)  # 9:00-17:00; today's appointment (made below) may be at any hour
    category = ServiceCategoryFactory(name=f"Solar {unique}")
    consultation = ServiceFactory(category=category, code=f"SH-{unique}", name=f"Consultation {unique[:4]}",
                                  price=Decimal("300.00"), duration_minutes=30)
    patient = PatientFactory(first_name="Sara", last_name=f"Ahmadi {unique[:4]}")
    now = datetime.now(ALPHA_ZONE).replace(second=0, microsecond=0)
    starts = max(now - timedelta(minutes=20), now.replace(hour=0, minute=0))
    today = AppointmentFactory(location=location, practitioner=practitioner, patient=patient, starts_at=starts,
                               ends_at=starts + timedelta(minutes=30), status=Status.CONFIRMED)
    today.service_lines.create(service=consultation)
    return {"location": location, "practitioner": practitioner, "consultation": consultation, "patient": patient,
            "today": today}


def test_a_persian_receptionist_in_a_solar_hijri_clinic(page, make_alpha_staff, committed, unique, alpha_url,
                                                        solar_alpha, screenshot):
    from billing.models import Payment
    from clinic.patients.models import Patient
    from clinic.scheduling.models import Appointment, Status

    made = committed(lambda: build(unique))
    location, practitioner, patient = made["location"], made["practitioner"], made["patient"]
    log_in(page, make_alpha_staff("front_desk").email)
    host = alpha_url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "fa", "domain": host, "path": "/"}])
    today = datetime.now(ALPHA_ZONE).date()
    tomorrow = today + timedelta(days=1)

    # --- The day view, on a day typed in the Solar Hijri calendar in Persian digits.
    page.goto(f"/calendar/?location={location.pk}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    day_field = page.locator("#calendar-date")
    expect(day_field).to_have_attribute("type", "text")
    expect(day_field).to_have_attribute("dir", "ltr")
    j = jalali(today)
    expect(day_field).to_have_value(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")
    j = jalali(tomorrow)
    day_field.fill(f"{j.year}/{j.month}/{j.day}".translate(PERSIAN_DIGITS))
    day_field.press("Tab")  # leaving the field shows the day (data-autosubmit)
    expect(page.get_by_role("heading", level=1)).to_contain_text(long_jalali(tomorrow))
    expect(day_field).to_have_value(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")

    # --- A new patient booked at 10:00, her birth date typed in Solar Hijri (Persian digits).
    column = page.locator(f'.calendar-column[data-practitioner="{practitioner.pk}"]')
    column.locator('.slot-free[data-time="10:00"]').click()
    dialog = page.locator("#dialog")
    expect(page.get_by_role("dialog", name=fa("Book an appointment"))).to_be_visible()
    expect(dialog).to_contain_text(long_jalali(tomorrow))  # the slot's day, in Solar Hijri
    expect(dialog.get_by_role("combobox", name=fa("Find the patient"))).to_be_focused()
    dialog.locator('[name="first_name"]').fill("Reza")
    dialog.locator('[name="last_name"]').fill(f"Tehrani {unique[:4]}")
    birth = dialog.locator('[name="birth_date"]')
    expect(birth).to_have_attribute("type", "text")
    expect(birth).to_have_attribute("placeholder", fa("year/month/day"))
    birth.fill("۱۳۶۵/۴/۱۰")
    services = dialog.get_by_role("combobox", name=fa("Services"))
    services.click()
    page.keyboard.type("Consultation")
    page.keyboard.press("Enter")
    expect(dialog.locator(".ts-control .item")).to_have_count(1)
    screenshot(page, "solar-hijri-booking-fa.png")
    dialog.locator('button[type="submit"]').click()
    expect(page.get_by_role("alert")).to_contain_text(f"{j.year}/{j.month}/{j.day} 10:00")
    block = column.locator(".block-appointment", has_text=f"Tehrani {unique[:4]}")
    expect(block).to_be_focused()  # the day view is back, on the new appointment
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "solar-hijri-day-view-fa.png")

    def booked():
        new = Patient.objects.get(last_name=f"Tehrani {unique[:4]}")
        appointment = Appointment.objects.get(patient=new)
        return new.birth_date, appointment.starts_at.astimezone(ALPHA_ZONE)

    birth_date, starts_at = committed(booked)
    assert birth_date == jdatetime.date(1365, 4, 10).togregorian() == date(1986, 7, 1)
    assert starts_at == datetime.combine(tomorrow, time(10), tzinfo=ALPHA_ZONE)

    # --- Today's patient arrives; the visit is opened from her appointment.
    page.goto(f"/appointments/{made['today'].pk}/")
    expect(page.locator("main")).to_contain_text(long_jalali(today))
    page.locator('button[data-action="arrive"]').click()
    expect(page.locator("#open-visit")).to_be_visible()
    assert committed(lambda: Appointment.objects.get(pk=made["today"].pk).status) == Status.ARRIVED
    page.locator("#open-visit").click()
    expect(page.locator("#visit-lines")).to_contain_text(made["consultation"].name)

    # --- The payment at the cashier, in cash with change.
    page.get_by_role("button", name=fa("Cashier", "cash desk")).click()
    cashier = page.locator("#cashier-form")
    expect(cashier.locator("#id_amount")).to_have_value("300.00")
    cashier.locator("#id_method").select_option(label=fa("Cash"))
    cashier.get_by_label(fa("Cash tendered")).fill("500")
    screenshot(page, "solar-hijri-cashier-fa.png")
    cashier.locator('button[type="submit"]').click()
    notice = page.locator("#statement-notice")
    expect(notice).to_contain_text("200.00")  # the change
    assert committed(lambda: list(Payment.objects.filter(patient_id=patient.pk).values_list("amount", flat=True))) == [
        Decimal("300.00")]

    # --- The statement: the payment dated in Solar Hijri, the period's fields too.
    page.goto(f"/patients/{patient.pk}/statement/?tab=transactions")
    rows = page.locator("#statement-transactions tbody tr")
    expect(rows.first).to_contain_text(f"{jalali(today).year}")
    expect(rows.first).not_to_contain_text(str(today.year))
    first = page.locator("#statement-first")
    expect(first).to_have_attribute("type", "text")
    assert re.fullmatch(r"1[34]\d\d/\d\d/\d\d", first.input_value())
    expect(page.locator("#statement-tab")).to_contain_text("300.00")
    screenshot(page, "solar-hijri-statement-fa.png")
