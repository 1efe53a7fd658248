"""The partner module walked end to end, as the people involved would: in chromium, two browser
contexts (the clinic's manager on clinic alpha's host, the partner's contact person on the public
host).

The manager adds a company new to the system with a 10 % commission and ticks two of its three
services in the traffic channels matrix; the contact person opens the link from the registration
email, sets a password, accepts the terms, finds the clinic on the portal's home page and books a
free slot for a new patient; the manager finds the booking in the day view with its source and
reference, and in the statistics sent by partners with its commission. Photographed for the
README (the day view).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.conftest import nav_link as shown_nav_link

PASSWORD = "partner-walk-pass-1"


def long_date(day: date) -> str:
    """Django's "l, j F Y" in English, e.g. "Tuesday, 3 June 2025"."""
    return f"{day:%A}, {day.day} {day:%B %Y}"


def settled(page) -> None:
    """The page is loaded and htmx has finished its swaps: new content gets its htmx triggers
    only when it settles (htmx's settle delay), after the URL is pushed and the content swapped.
    A person never picks the next filter within those milliseconds; a test must wait for it."""
    page.wait_for_load_state()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def registration_path(message) -> str:
    """The path of the registration link in the email (the host there is the configured one)."""
    return urlparse(next(word for word in message.body.split() if "/portal/register/" in word)).path


@pytest.fixture
def walk(committed, unique, forget_partners):
    """Clinic alpha (committed): a location open every day, a practitioner working there every
    day 9-17, three services with exact prices in one category, and the day to book (three days
    ahead of today in the clinic's time zone). ``walk["registration_number"]`` names the partner company
    the manager adds through the browser; afterwards the company is removed with everything it
    left: its bookings and patient searches, its partnership here, and on the public side its
    users, clinic links, terms acceptances and their audit entries. This runs before clinic
    alpha's own clean-up, because a partner booking protects its appointment."""
    from tests.factories import (
        LocationFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
        open_every_day,
    )

    short = unique[:4]

    def build():
        from billing.reports import clinic_today

        location = LocationFactory(name=f"Walk Central {short}", open_weekdays=False)
        practitioner = PractitionerFactory(full_name=f"Dr Elena Walk {short}")
        open_every_day(location, practitioner)
        category = ServiceCategoryFactory(name=f"Cardiology {short}")
        services = {
            name: ServiceFactory(code=f"PW{index}-{unique}", name=f"{name} {short}", category=category,
                                 price=Decimal(price), duration_minutes=30)
            for index, (name, price) in enumerate(
                (("Cardiology consultation", "437.50"), ("ECG", "150.00"), ("Echocardiography", "620.00")))
        }
        today = clinic_today()
        return {"location": location, "practitioner": practitioner, "services": services,
                "today": today, "day": today + timedelta(days=3)}

    made = committed(build)
    made["registration_number"] = f"RW-{unique}"
    yield made

    forget_partners([made["registration_number"]])


def test_a_partner_is_added_registers_books_and_the_clinic_sees_the_booking_and_its_commission(
    page, browser, public_url, clinic_a, make_alpha_staff, committed, walk, unique, screenshot
):
    short = unique[:4]
    partner = f"MedAsist Walk {short}"
    contact_email = f"irina-{unique}@walk.example"
    location, practitioner, day = walk["location"], walk["practitioner"], walk["day"]
    consultation = walk["services"]["Cardiology consultation"]
    ecg = walk["services"]["ECG"]
    echo = walk["services"]["Echocardiography"]
    patient = f"Maria Cojocaru {short}"
    phone = f"+37369{int(unique, 16) % 1_000_000:06d}"

    # --- 1. The manager adds the partner: a company new to the system, 10 % commission.
    manager = make_alpha_staff("manager")
    log_in(page, manager.email)
    shown_nav_link(page, "Partners").click()
    page.get_by_role("link", name="Add a partner").click()
    page.get_by_label("Company name").fill(partner)
    page.get_by_label("Registration number").fill(walk["registration_number"])
    page.get_by_label("Type").select_option(label="Outsourced call centre")
    page.get_by_label("Contact person").fill("Irina Lungu")
    page.get_by_label("Contact email").fill(contact_email)
    page.get_by_label(location.name, exact=True).check()
    page.get_by_label("The partner earns a commission").check()
    page.get_by_label("Commission (%)").fill("10")
    page.get_by_role("button", name="Add the partner").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{partner} is added.")
    expect(page.get_by_role("alert")).to_contain_text("got an email to register and accept the terms")
    row = page.locator("#partner-table tr", has_text=partner)
    expect(row).to_contain_text("10 %")
    expect(row).to_contain_text("Invited")

    # ... and ticks exactly two of the category's three services for it.
    page.get_by_role("link", name="Traffic channels").click()
    page.get_by_label(f"{partner} may book {consultation.name}").check()
    page.get_by_label(f"{partner} may book {ecg.name}").check()
    expect(page.get_by_label(f"{partner} may book {echo.name}")).not_to_be_checked()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("alert")).to_contain_text("The traffic channels are saved.")
    expect(page.get_by_label(f"{partner} may book {consultation.name}")).to_be_checked()
    expect(page.get_by_label(f"{partner} may book {ecg.name}")).to_be_checked()
    expect(page.get_by_label(f"{partner} may book {echo.name}")).not_to_be_checked()

    # --- 2. The registration email went to the contact person.
    invitation = next(message for message in reversed(mail.outbox)
                      if message.to == [contact_email] and "/portal/register/" in message.body)

    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    portal = context.new_page()
    try:
        # --- 3. The contact person registers, accepts the terms and sees the clinic.
        portal.goto(registration_path(invitation))
        expect(portal.get_by_role("heading", level=1, name="Register for the partner portal")).to_be_visible()
        portal.get_by_label("New password", exact=True).fill(PASSWORD)
        portal.get_by_label("New password confirmation").fill(PASSWORD)
        portal.get_by_label(re.compile(r"I accept the terms and conditions \(version")).check()
        portal.get_by_role("button", name="Register and accept the terms").click()
        expect(portal).to_have_url(re.compile(r"/portal/$"))
        expect(portal.get_by_role("alert")).to_contain_text("accepted the terms and conditions")
        expect(portal.get_by_role("heading", level=1, name=partner)).to_be_visible()
        expect(portal.locator("#portal-clinics")).to_contain_text(clinic_a.name)

        # --- 4. Book: the clinic, the location, the week; the calendar; a free slot.
        portal.locator("#main-nav").get_by_role("link", name=re.compile(r"Book$")).click()
        expect(portal.get_by_role("heading", level=1, name="Book")).to_be_visible()
        settled(portal)
        portal.get_by_label("Clinic").select_option(label=clinic_a.name)
        expect(portal).to_have_url(re.compile(rf"[?&]clinic={clinic_a.slug}\b"))  # htmx swapped the filters
        settled(portal)
        portal.get_by_label("Location").select_option(label=location.name)
        expect(portal).to_have_url(re.compile(rf"[?&]location={location.pk}\b"))  # htmx swapped the filters
        settled(portal)
        portal.get_by_label("Practitioner").select_option(label=practitioner.full_name)
        service = portal.get_by_label("Service", exact=True)
        expect(service.locator("option")).to_have_text([  # only the two ticked services
            "Any service", f"{consultation.name} · 30 min · 437.50 EUR", f"{ecg.name} · 30 min · 150.00 EUR"])
        service.select_option(label=f"{consultation.name} · 30 min · 437.50 EUR")
        portal.get_by_label("Week of").fill(day.isoformat())
        portal.get_by_role("button", name="Show calendars").click()

        calendar = portal.locator("#portal-calendar")
        expect(calendar).to_contain_text(practitioner.full_name)
        settled(portal)  # a free slot opens the booking dialog through htmx
        slot = calendar.get_by_role("link", name=f"Book {practitioner.full_name} on {day.day} {day:%B} at 10:00")
        expect(slot).to_be_visible()
        slot.click()

        dialog = portal.locator("#dialog")
        expect(dialog.get_by_role("heading", name="Book a slot")).to_be_visible()
        settled(portal)
        expect(dialog.locator("#booking-slot")).to_contain_text(f"{long_date(day)} 10:00")
        expect(dialog.get_by_label(re.compile(re.escape(consultation.name)))).to_be_checked()
        expect(dialog.get_by_label(re.compile(re.escape(ecg.name)))).not_to_be_checked()
        dialog.get_by_label("First name").fill("Maria")
        dialog.get_by_label("Last name").fill(f"Cojocaru {short}")
        dialog.get_by_label("Phone").fill(phone)
        dialog.get_by_role("button", name="Book", exact=True).click()

        expect(portal.get_by_role("alert")).to_contain_text("Booked. Your reference is P-")
        reference_text = portal.locator("#booking-reference")
        expect(reference_text).to_have_text(re.compile(r"^P-\d{6}$"))
        reference = reference_text.inner_text()
        expect(portal.get_by_role("alert")).to_contain_text(f"Booked. Your reference is {reference}.")
        facts = portal.locator("#booking-facts")
        expect(facts).to_contain_text(patient)
        expect(facts).to_contain_text(f"{long_date(day)} 10:00 – 10:30")
        expect(facts).to_contain_text(f"{consultation.name} · 437.50 EUR")
    finally:
        context.close()

    # --- 5. The clinic's day view: the booking with its source (the partner) and reference.
    page.locator("#main-nav").get_by_role("link", name="Calendar").click()
    page.get_by_label("Location", exact=True).select_option(label=location.name)
    expect(page).to_have_url(re.compile(rf"location={location.pk}\b"))
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    expect(page).to_have_url(re.compile(rf"date={day.isoformat()}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{location.name} · {long_date(day)}")
    column = page.locator(f'.calendar-column[data-practitioner="{practitioner.pk}"]')
    block = column.locator(".block-appointment", has_text=patient)
    expect(block).to_have_count(1)
    expect(block).to_contain_text("10:00")
    expect(block).to_contain_text(consultation.name)
    expect(block.locator(".block-source")).to_have_text(f"{partner} · Irina Lungu · {reference}")
    block.scroll_into_view_if_needed()
    screenshot(page, "partner-walk-day-view.png")

    # --- 6. Statistics sent by partners for the period: the booking with its commission.
    shown_nav_link(page, "Partners").click()
    page.get_by_role("link", name="Statistics sent by partners").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistics sent by partners")
    # By the day the bookings were made: from the test's first day (the clinic's) to the booked day, so
    # that a walk past midnight still finds its booking.
    today = walk["today"]
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill(day.isoformat())
    page.get_by_label("Partner", exact=True).select_option(label=partner)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"{today.day} {today:%B %Y} – {day.day} {day:%B %Y}")
    booked = page.locator(f'tr[data-reference="{reference}"]')
    expect(booked).to_have_count(1)
    expect(page.locator("#statistics-table tbody tr")).to_have_count(1)
    expect(booked).to_contain_text(partner)
    expect(booked).to_contain_text(patient)
    expect(booked).to_contain_text(consultation.name)
    expect(booked).to_contain_text("437.50 EUR")
    expect(booked.locator("td").nth(9)).to_have_text("10")
    expect(booked.locator(".commission-booked")).to_have_text("43.75 EUR")  # 10 % of 437.50
    expect(booked.locator(".commission-charged")).to_have_text("—")  # not billed yet
    expect(page.locator("#total-bookings")).to_have_text("1")
    expect(page.locator("#total-commission-booked")).to_have_text("43.75 EUR")

    def booking_in_the_database():
        from partners.models import PartnerBooking

        booking = PartnerBooking.objects.select_related("appointment__patient", "partnership").get(
            appointment__practitioner_id=practitioner.pk)
        return (booking.code, booking.value, booking.commission_percent, booking.appointment.source,
                booking.appointment.patient.full_name, booking.appointment.patient.phone,
                sorted(booking.partnership.services.values_list("name", flat=True)))

    assert committed(booking_in_the_database) == (
        reference, Decimal("437.50"), Decimal("10.00"), "partner", patient, phone,
        sorted([consultation.name, ecg.name]))
