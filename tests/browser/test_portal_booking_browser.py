"""Booking from the partner portal, used as a person would: a partner's user filters the
calendars, books a free slot for a new patient, finds the booking in "Bookings" and cancels it."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

PASSWORD = "portal-booking-pass-1"


@pytest.fixture
def partner_at_alpha(committed, committed_public, unique, forget_partners):
    """Clinic alpha (committed) with a location of its own, a practitioner working there every
    day 9-17 and one service; a partner added by its manager, the service ticked, the terms
    accepted by its user. Every partner row is removed afterwards, before clinic alpha's
    own clean-up (a partner booking protects its appointment)."""
    from decimal import Decimal

    def build():
        from billing.reports import clinic_today
        from clinic.models import Break
        from clinic.scheduling.availability import aware, clinic_zone
        from clinic.scheduling.services import book_appointment
        from partners.services import PartnerData, PartnerTerms, add_partner
        from tests.factories import (
            LocationFactory,
            PatientFactory,
            PractitionerFactory,
            ServiceFactory,
            make_staff,
            open_every_day,
        )

        location = LocationFactory(name=f"Portal Central {unique}", open_weekdays=False)
        practitioner = PractitionerFactory(full_name=f"Dr Irina Portal {unique}")
        open_every_day(location, practitioner)
        service = ServiceFactory(code=f"PB-{unique}", name=f"Partner consultation {unique}",
                                 price=Decimal("300.00"), duration_minutes=30)
        manager = make_staff("manager", email=f"manager-{unique}@portal-booking.example")
        partnership = add_partner(
            PartnerData(name=f"MedAsist {unique}", registration_number=f"RB-{unique}", kind="call_centre",
                        contact_name="Irina Lungu", contact_email=f"irina-{unique}@medasist.example"),
            PartnerTerms(location_ids=[location.pk], commission=True, commission_percent="10"),
            actor=manager)
        partnership.services.set([service])
        # The front desk's bookings and a break that day: red and grey in the partner's calendar.
        day = clinic_today() + timedelta(days=2)
        Break.objects.create(practitioner=practitioner, weekday=day.weekday(), starts=time(13), ends=time(13, 30))
        for hour in (11, 15):
            book_appointment(actor=manager, patient=PatientFactory(first_name="Hidden", last_name=f"Front {unique}"),
                             location=location, practitioner=practitioner, starts_at=aware(day, time(hour), clinic_zone()),
                             service_ids=[service.pk])
        return {"location": location, "practitioner": practitioner, "service": service,
                "partnership_id": partnership.pk, "organisation_id": partnership.organisation_id,
                "day": day}

    made = committed(build)

    def member():
        from partners.organisations.models import PartnerUser
        from partners.organisations.services import accept_terms

        member = PartnerUser.objects.select_related("user", "organisation").get(
            organisation_id=made["organisation_id"])
        member.user.set_password(PASSWORD)
        member.user.must_change_password = False
        member.user.save()
        accept_terms(member)
        return member

    made["member"] = committed_public(member)
    yield made

    forget_partners([f"RB-{unique}"])


def test_a_partner_user_books_a_free_slot_sees_it_and_cancels_it(
    browser, public_url, partner_at_alpha, unique, screenshot
):
    world = partner_at_alpha
    day = world["day"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/portal/login/")
        page.get_by_label("Email address").fill(world["member"].user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))

        page.locator("#main-nav").get_by_role("link", name=re.compile(r"Book$")).click()
        expect(page.get_by_role("heading", level=1, name="Book")).to_be_visible()
        page.get_by_label("Clinic").select_option(label="Alpha Clinic")
        page.get_by_label("Location").select_option(label=world["location"].name)
        page.wait_for_load_state("networkidle")
        page.get_by_label("Practitioner").select_option(label=world["practitioner"].full_name)
        page.get_by_label("Service").select_option(label=f"{world['service'].name} · 30 min · 300.00 EUR")
        page.get_by_label("Week of").fill(day.isoformat())
        page.get_by_role("button", name="Show calendars").click()

        calendar = page.locator("#portal-calendar")
        expect(calendar).to_contain_text(world["practitioner"].full_name)
        slot = calendar.locator(f'a[href*="start={day.isoformat()}T10:00"]')
        expect(slot).to_be_visible()
        expect(calendar.locator(".portal-booked").first).to_have_text("booked")
        expect(calendar).not_to_contain_text(f"Front {unique}")  # booked, never by whom
        assert calendar.locator(f'a[href*="start={day.isoformat()}T11:00"]').count() == 0
        screenshot(page, "portal-book.png")

        slot.click()
        dialog = page.locator("#dialog")
        expect(dialog.get_by_role("heading", name="Book a slot")).to_be_visible()
        expect(dialog.get_by_label(re.compile(world["service"].name))).to_be_checked()
        dialog.get_by_label("First name").fill("Maria")
        dialog.get_by_label("Last name").fill(f"Cojocaru {unique[:4]}")
        dialog.get_by_label("Phone").fill("+37369555123")
        dialog.get_by_label("Birth date").fill("1986-03-14")
        dialog.get_by_role("button", name="Book").click()

        expect(page.get_by_role("alert")).to_contain_text("Booked. Your reference is P-")
        reference = page.locator("#booking-reference").inner_text()
        expect(page.locator("#booking-facts")).to_contain_text(f"Maria Cojocaru {unique[:4]}")
        expect(page.locator("#booking-facts")).to_contain_text("10:00")

        page.locator("#main-nav").get_by_role("link", name=re.compile(r"Bookings$")).click()
        table = page.locator("#booking-table")
        expect(table).to_contain_text(reference)
        expect(table).to_contain_text(f"Maria Cojocaru {unique[:4]}")
        expect(table).to_contain_text(world["service"].name)
        screenshot(page, "portal-bookings.png")

        table.get_by_role("link", name=reference).click()
        page.get_by_label("Reason for cancelling").fill("The patient cannot come")
        page.get_by_role("button", name="Cancel the booking").click()
        expect(page.get_by_role("alert")).to_contain_text(f"Booking {reference} was cancelled.")
        expect(page.locator("#booking-status")).to_have_text("Cancelled")

        # The slot is free again in the calendar.
        page.locator("#main-nav").get_by_role("link", name=re.compile(r"Book$")).click()
        page.get_by_label("Location").select_option(label=world["location"].name)
        page.wait_for_load_state("networkidle")  # the location's htmx swap lands before the week is typed
        page.get_by_label("Week of").fill(day.isoformat())
        page.get_by_role("button", name="Show calendars").click()
        expect(page.locator(f'#portal-calendar a[href*="start={day.isoformat()}T10:00"]')).to_be_visible()
    finally:
        context.close()
