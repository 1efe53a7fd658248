"""The front desk's day, used as a person would: in chromium.

A front-desk member of clinic alpha finds a patient (typing without accents),
books a free slot from the day view, sees the block appear, registers the
patient as arrived, reverts the arrival and cancels. The reception list and
the week view show the booking too. Every step is checked on the screen and,
through committed reads, in the database.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from playwright.sync_api import expect

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")  # clinic alpha's time zone (tests/conftest.py)


def nav_link(page, name: str):
    from tests.browser.conftest import nav_link as shown_nav_link

    return shown_nav_link(page, name)


def long_date(day: date) -> str:
    """Django's "l, j F Y" in English, e.g. "Tuesday, 3 June 2025"."""
    return f"{day:%A}, {day.day} {day:%B %Y}"


def count_clicks(page):
    """Count the person's clicks from now on, across page loads (trusted mouse presses, kept in the
    tab's session storage); returns a function that reads the count."""
    page.evaluate("() => sessionStorage.setItem('clicks', '0')")
    page.context.add_init_script(
        "document.addEventListener('mousedown', e => { if (e.isTrusted) "
        "sessionStorage.setItem('clicks', String(Number(sessionStorage.getItem('clicks') || 0) + 1)); }, true);"
    )
    page.evaluate(
        "() => document.addEventListener('mousedown', e => { if (e.isTrusted) "
        "sessionStorage.setItem('clicks', String(Number(sessionStorage.getItem('clicks') || 0) + 1)); }, true)"
    )
    return lambda: int(page.evaluate("() => sessionStorage.getItem('clicks')"))


def pick_location_and_date(page, location, day: date) -> None:
    """Choose the location and the date in the filter bar (each submits on change, once the page's
    script listens: a person cannot choose before the page has loaded, a test can)."""
    page.wait_for_load_state("load")
    page.get_by_label("Location", exact=True).select_option(label=location.name)
    expect(page).to_have_url(re.compile(rf"location={location.pk}\b"))
    page.wait_for_load_state("load")
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    expect(page).to_have_url(re.compile(rf"date={day.isoformat()}"))


def build_the_day(unique: str, target: date):
    """A location open every day, three practitioners, services, patients and a busy day.

    Runs in clinic alpha (committed). Returns what the test needs.
    """
    from clinic.models import Break, Location, OpeningHours, Service
    from clinic.scheduling.models import AppointmentService, Status
    from tests.factories import (
        AppointmentFactory,
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
        WorkingHoursFactory,
    )

    name = "Central clinic"
    if Location.objects.filter(name=name).exists():
        name = f"Central clinic {unique[:4]}"
    location = LocationFactory(name=name)  # open Monday to Friday, 08:00-20:00
    for weekday in (5, 6):
        OpeningHours.objects.create(location=location, weekday=weekday, opens=time(8), closes=time(20))

    def code(wanted: str) -> str:  # codes are unique: short ones read better on the screenshots
        return wanted if not Service.objects.filter(code__iexact=wanted).exists() else f"{wanted}-{unique}"

    category = ServiceCategoryFactory(name=f"Front desk {unique}")
    consultation = ServiceFactory(
        code=code("CONS"), name="Consultation", category=category, duration_minutes=30
    )
    ecg = ServiceFactory(code=code("ECG"), name="ECG", category=category, duration_minutes=15)
    ultrasound = ServiceFactory(
        code=code("ECHO"), name="Abdominal ultrasound", category=category, duration_minutes=45
    )

    munteanu = PractitionerFactory(full_name="Dr Elena Munteanu", colour="#2f7ebc")
    ciobanu = PractitionerFactory(full_name="Dr Andrei Ciobanu", colour="#c05746")
    lungu = PractitionerFactory(full_name="Dr Irina Lungu", colour="#4c9a6a")
    for weekday in range(7):  # the target's weekday among them; a full week for the week view
        WorkingHoursFactory(
            practitioner=munteanu, location=location, weekday=weekday, starts=time(9), ends=time(17)
        )
        WorkingHoursFactory(
            practitioner=ciobanu, location=location, weekday=weekday, starts=time(8), ends=time(14)
        )
        WorkingHoursFactory(
            practitioner=lungu, location=location, weekday=weekday, starts=time(10), ends=time(18)
        )
    Break.objects.create(practitioner=munteanu, weekday=target.weekday(), starts=time(13), ends=time(13, 30))
    Break.objects.create(practitioner=ciobanu, weekday=target.weekday(), starts=time(11), ends=time(11, 30))

    phone = f"+40 721 {random.randint(0, 999):03d} {random.randint(0, 999):03d}"
    patient = PatientFactory(first_name="Ștefan", last_name=f"Țurcanu-{unique}", phone=phone)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(target, time(hour, minute), tzinfo=ALPHA_ZONE)

    others = [
        (
            ciobanu,
            PatientFactory(first_name="Maria", last_name="Popa"),
            at(8, 30),
            [consultation],
            Status.CONFIRMED,
        ),
        (
            ciobanu,
            PatientFactory(first_name="Ion", last_name="Ceban"),
            at(9, 15),
            [consultation, ecg],
            Status.BOOKED,
        ),
        (
            lungu,
            PatientFactory(first_name="Ana", last_name="Rotaru"),
            at(10, 30),
            [ultrasound],
            Status.CONFIRMED,
        ),
        (
            lungu,
            PatientFactory(first_name="Victor", last_name="Bălan"),
            at(12),
            [consultation],
            Status.BOOKED,
        ),
        (
            munteanu,
            PatientFactory(first_name="Doina", last_name="Grosu"),
            at(11),
            [consultation, ecg],
            Status.BOOKED,
        ),
    ]
    for practitioner, someone, starts, services, status in others:
        minutes = sum(s.duration_minutes for s in services)
        appointment = AppointmentFactory(
            location=location,
            practitioner=practitioner,
            patient=someone,
            status=status,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
        )
        for position, service in enumerate(services):
            AppointmentService.objects.create(appointment=appointment, service=service, position=position)
    return {
        "location": location,
        "consultation": consultation,
        "munteanu": munteanu,
        "patient": patient,
    }


def test_front_desk_books_a_free_slot_registers_the_arrival_reverts_it_and_cancels(
    page, login, make_alpha_staff, committed, unique, screenshot, axe
):
    from clinic.scheduling.models import Appointment, Status

    target = datetime.now(ALPHA_ZONE).date() + timedelta(days=1)  # 10:00 is in the future
    made = committed(lambda: build_the_day(unique, target))
    location, consultation, doctor, patient = (
        made["location"],
        made["consultation"],
        made["munteanu"],
        made["patient"],
    )
    front_desk = make_alpha_staff("front_desk")

    def appointment_of_the_patient():
        return committed(
            lambda: list(
                Appointment.objects.filter(patient_id=patient.pk).values(
                    "pk",
                    "status",
                    "starts_at",
                    "ends_at",
                    "practitioner_id",
                    "location_id",
                    "booked_by_id",
                    "source",
                    "cancel_reason",
                )
            )
        )

    # --- 1. Log in; find the patient, typing without accents and in lower case.
    login(page, front_desk.email)
    nav_link(page, "Patients").click()
    expect(page.get_by_role("heading", level=1, name="Patients")).to_be_visible()
    page.get_by_role("searchbox", name="Search").fill("stefan turc")
    expect(page).to_have_url(re.compile(r"/patients/\?q=stefan(\+|%20)turc"))  # htmx pushed the search
    found = page.locator(
        "#patient-table tbody tr", has=page.get_by_role("link", name=patient.full_name, exact=True)
    )
    expect(found).to_have_count(1)
    expect(found).to_contain_text(str(patient.number))
    from clinic.phones import display

    expect(found).to_contain_text(display(patient.phone, "RO"))  # stored E.164, shown in the local format
    expect(page.locator("#patient-table")).not_to_contain_text("Maria Popa")  # only the matches
    # The name opens the account statement in a side panel; from there, the patient's page.
    found.get_by_role("link", name=patient.full_name).click()
    panel = page.locator("#side-panel")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(patient.full_name)
    panel.get_by_role("link", name="Patient page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(patient.full_name)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"№ {patient.number}")

    # --- 2. The day view of the location on the target date.
    nav_link(page, "Calendar").click()
    pick_location_and_date(page, location, target)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{location.name} · {long_date(target)}")
    columns = page.locator(".calendar-column")
    expect(columns.locator(".calendar-head")).to_have_text(
        ["Dr Andrei Ciobanu", "Dr Elena Munteanu", "Dr Irina Lungu"]
    )
    column = page.locator(f'.calendar-column[data-practitioner="{doctor.pk}"]')
    expect(column.locator(".block-appointment")).to_have_count(1)  # Doina Grosu at 11:00
    expect(column.locator(".block-break")).to_have_text("Break")
    free_at_ten = column.locator('.slot-free[data-time="10:00"]')
    expect(free_at_ten).to_have_count(1)
    expect(free_at_ten).to_have_attribute("aria-label", "Book Dr Elena Munteanu at 10:00")
    expect(column.locator('.slot-free[data-time="11:00"]')).to_have_count(0)  # taken
    expect(column.locator('.slot-free[data-time="13:00"]')).to_have_count(0)  # the break

    # --- 3. Book the free slot at 10:00 through the dialog: 3 clicks plus typing, typing at once.
    clicks = count_clicks(page)
    free_at_ten.click()  # click 1
    dialog = page.locator("#dialog")
    expect(page.get_by_role("dialog", name="Book an appointment")).to_be_visible()  # the dialog has its name
    expect(dialog).to_contain_text(f"Dr Elena Munteanu · {location.name} · {long_date(target)} 10:00")
    find = dialog.get_by_role("combobox", name="Find the patient")
    page.keyboard.type(f"turcanu-{unique[:6]}")  # at once, without waiting for the focus: nothing is lost
    expect(find).to_be_focused()
    expect(find).to_have_value(f"turcanu-{unique[:6]}")
    pick = dialog.get_by_role("option", name=re.compile(re.escape(patient.full_name)))
    expect(pick).to_have_count(1)
    expect(find).to_have_attribute("aria-expanded", "true")
    expect(dialog.locator("#patient-pick-status")).to_have_text(re.compile(r"1 patient found"))
    axe(page)
    pick.click()  # click 2
    expect(dialog.locator("#picked-patient")).to_have_text(f"{patient.full_name} ({patient.number})")
    expect(dialog.locator("#new-patient-fields")).to_be_hidden()
    services = dialog.get_by_role("combobox", name="Services")
    expect(services).to_be_focused()  # the focus stays in the dialog, on to the services
    page.keyboard.type("Consul")
    expect(dialog.get_by_role("listbox", name="Services").get_by_role("option", name="Consultation · 30 min")).to_be_visible()
    page.keyboard.press("Enter")
    expect(dialog.locator(".ts-control .item")).to_have_text([re.compile("Consultation · 30 min")])
    expect(dialog.get_by_label("Source")).to_have_value("phone")
    screenshot(page, "booking-dialog.png")
    axe(page)
    dialog.get_by_role("button", name="Book", exact=True).click()  # click 3
    expect(page).to_have_url(re.compile(rf"/calendar/\?location={location.pk}&date={target.isoformat()}&focus=\d+$"))
    expect(page.get_by_role("alert")).to_contain_text(
        f"Booked {patient.full_name} with Dr Elena Munteanu at {target:%d.%m.%Y} 10:00."
    )
    assert clicks() == 3  # an existing patient, one service, from a free slot: 3 clicks plus typing
    block = column.locator(".block-appointment", has_text=patient.full_name)
    expect(block).to_have_count(1)
    expect(block).to_be_focused()  # the keyboard is on the new appointment
    expect(block).to_contain_text("10:00")
    expect(block).to_contain_text("Consultation")
    expect(block).to_have_class(re.compile(r"\bstatus-booked\b"))
    expect(column.locator('.slot-free[data-time="10:00"]')).to_have_count(0)
    expect(column.locator('.slot-free[data-time="10:15"]')).to_have_count(0)
    expect(column.locator('.slot-free[data-time="10:30"]')).to_have_count(1)
    [booked] = appointment_of_the_patient()
    assert booked["status"] == Status.BOOKED
    assert booked["starts_at"] == datetime.combine(target, time(10), tzinfo=ALPHA_ZONE)
    assert booked["ends_at"] - booked["starts_at"] == timedelta(minutes=30)
    assert (booked["practitioner_id"], booked["location_id"]) == (doctor.pk, location.pk)
    assert booked["booked_by_id"] == front_desk.pk
    assert booked["source"] == "phone"
    assert committed(
        lambda: list(Appointment.objects.get(pk=booked["pk"]).services.values_list("pk", flat=True))
    ) == [consultation.pk]
    screenshot(page, "day-view.png")
    axe(page)

    # --- The reception list and the week view show the booking.
    nav_link(page, "Reception").click()
    pick_location_and_date(page, location, target)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reception · {long_date(target)}")
    rows = page.locator("#reception-table tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.locator("td:first-child")).to_have_text(
        ["08:30–09:00", "09:15–10:00", "10:00–10:30", "10:30–11:15", "11:00–11:45", "12:00–12:30"]
    )
    mine = rows.filter(has=page.get_by_role("link", name=patient.full_name, exact=True))
    expect(mine.locator("td")).to_have_text(
        [
            "10:00–10:30",
            patient.full_name,
            "Dr Elena Munteanu",
            consultation.name,
            "Booked",
            re.compile("Arrived"),
        ]
    )
    expect(mine.locator("button[data-action]")).to_have_text(["Arrived"])  # no "No-show" before the appointment has started
    screenshot(page, "reception.png")
    axe(page)

    nav_link(page, "Calendar").click()
    pick_location_and_date(page, location, target)
    page.get_by_role("link", name="Week", exact=True).click()
    monday = target - timedelta(days=target.weekday())
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{location.name} · Week {monday.day} ")
    week_row = page.locator(
        "#week-table tbody tr", has=page.get_by_role("rowheader", name="Dr Elena Munteanu")
    )
    target_cell = week_row.locator("td").nth(target.weekday())
    expect(target_cell).to_contain_text(f"10:00 {patient.full_name}")
    expect(target_cell).to_contain_text("11:00 Doina Grosu")
    expect(page.locator("#week-table tbody tr")).to_have_count(3)
    screenshot(page, "week-view.png")
    axe(page)

    # --- 4. From the day view to the appointment: arrived, reverted, cancelled.
    page.get_by_role("link", name="Day", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{location.name} · {long_date(target)}")
    block.click()
    expect(page.get_by_role("heading", level=1, name="Appointment")).to_be_visible()
    status = page.locator("#appointment-status")
    expect(status).to_have_text("Booked")
    expect(page.locator("#appointment-panel")).to_contain_text(f"{long_date(target)} · 10:00–10:30")
    axe(page)

    page.locator('button[data-action="arrive"]').click()  # the day before: refused
    expect(page.get_by_role("alert")).to_contain_text("registered as arrived only on the appointment's day")
    expect(status).to_have_text("Booked")
    appointment_url = page.url
    # The appointment's morning (logged in again: a session lasts 12 hours).
    with time_machine.travel(datetime.combine(target, time(9, 55), tzinfo=ALPHA_ZONE), tick=True):
        login(page, front_desk.email)
        page.goto(appointment_url)
        page.locator('button[data-action="arrive"]').click()
        expect(page.get_by_role("alert")).to_contain_text("The patient's arrival was registered.")
    expect(status).to_have_text("Arrived")
    assert appointment_of_the_patient()[0]["status"] == Status.ARRIVED
    expect(page.locator("summary", has_text="Cancel the appointment")).to_have_count(0)
    expect(page.locator('button[data-action="cancel"]')).to_have_count(0)
    expect(page.get_by_text("To cancel, revert the arrival first.")).to_be_visible()

    page.get_by_role("button", name="Revert arrival").click()
    expect(page.get_by_role("alert")).to_contain_text("The arrival was reverted.")
    expect(status).to_have_text("Confirmed")
    assert appointment_of_the_patient()[0]["status"] == Status.CONFIRMED
    expect(page.get_by_text("To cancel, revert the arrival first.")).to_have_count(0)

    page.locator("summary", has_text="Cancel the appointment").click()
    page.get_by_label("Reason for cancelling").fill("The patient called: unwell, will book again.")
    page.locator('button[data-action="cancel"]').click()
    expect(page.get_by_role("alert")).to_contain_text("The appointment was cancelled.")
    expect(status).to_have_text("Cancelled")
    expect(page.locator("#appointment-panel")).to_contain_text("The patient called: unwell, will book again.")
    expect(page.locator("#appointment-panel button[data-action]")).to_have_count(0)
    [cancelled] = appointment_of_the_patient()
    assert cancelled["status"] == Status.CANCELLED
    assert cancelled["cancel_reason"] == "The patient called: unwell, will book again."

    # --- Back in the day view the slot at 10:00 is free again.
    page.get_by_role("link", name="Back to the calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{location.name} · {long_date(target)}")
    expect(column.locator('.slot-free[data-time="10:00"]')).to_have_count(1)
    expect(column.locator(".block-appointment", has_text=patient.full_name)).to_have_count(0)
    expect(column.locator(".block-appointment")).to_have_count(1)  # Doina Grosu's stays


def test_the_booking_dialog_puts_the_cursor_in_the_patient_search(
    page, login, make_alpha_staff, committed, unique
):
    from tests.factories import LocationFactory, PractitionerFactory, WorkingHoursFactory

    target = datetime.now(ALPHA_ZONE).date() + timedelta(days=1)

    def build():
        location = LocationFactory(name=f"Focus {unique}", open_weekdays=False)
        practitioner = PractitionerFactory(full_name=f"Dr Focus {unique}")
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=target.weekday())
        return location, practitioner

    location, practitioner = committed(build)
    login(page, make_alpha_staff("front_desk").email)
    page.goto(f"/calendar/?location={location.pk}&date={target.isoformat()}")
    page.locator(
        f'.calendar-column[data-practitioner="{practitioner.pk}"] .slot-free[data-time="10:00"]'
    ).click()
    expect(page.locator("#dialog").get_by_role("heading", name="Book an appointment")).to_be_visible()
    page.wait_for_function("() => document.body.classList.contains('modal-open')")
    expect(page.locator("#dialog").get_by_label("Find the patient")).to_be_focused(timeout=2_000)
