"""Statistics sent by partners and the partner account, used as a person would: a manager
finds a partner's bookings in the reports with both commissions, cancels one with a reason and
reads the partner's account of the month (from the ledger); the partner's finance user reads the same account in
the portal, without the patients' names."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, log_in
from tests.browser.conftest import nav_link as shown_nav_link

PASSWORD = "partner-statistics-pass-1"


@pytest.fixture
def partner_bookings(committed, unique, forget_partners):
    """A partner of clinic alpha (commission 10 %, paid at the partner) with two bookings made
    from the portal: one billed at the visit with an extra service, one still to come. Every
    partner row is removed afterwards, before clinic alpha's own clean-up (a partner booking
    protects its appointment)."""
    from decimal import Decimal

    def build():
        from django_tenants.utils import schema_context

        from billing.reports import clinic_today
        from billing.services import add_line, open_visit
        from clinic.patients.services import PatientData
        from clinic.scheduling.availability import aware, clinic_zone
        from partners.organisations.models import PartnerUser
        from partners.organisations.services import accept_terms
        from partners.services import PartnerData, PartnerTerms, add_partner, book_for_partner
        from tests.factories import (
            LocationFactory,
            PractitionerFactory,
            ServiceFactory,
            arrive,
            make_staff,
            open_every_day,
        )

        location = LocationFactory(name=f"Statistics Central {unique}", open_weekdays=False)
        practitioner = PractitionerFactory(full_name=f"Dr Elena Stat {unique}")
        open_every_day(location, practitioner)
        consultation = ServiceFactory(code=f"PS-{unique}", name=f"Consultation {unique}", price=Decimal("400.00"),
                                      duration_minutes=30)
        ecg = ServiceFactory(code=f"PE-{unique}", name=f"ECG {unique}", price=Decimal("150.00"),
                             duration_minutes=15)
        manager = make_staff("manager", email=f"manager-{unique}@partner-statistics.example")
        partnership = add_partner(
            PartnerData(name=f"MedAsist {unique}", registration_number=f"RS-{unique}", kind="medical_provider",
                        contact_name="Irina Lungu", contact_email=f"irina-{unique}@medasist.example"),
            PartnerTerms(location_ids=[location.pk], commission=True, commission_percent="10",
                         payment_place="partner"),
            actor=manager)
        partnership.services.set([consultation])
        with schema_context("public"):
            member = PartnerUser.objects.select_related("user", "organisation").get(
                organisation_id=partnership.organisation_id)
            member.user.set_password(PASSWORD)
            member.user.must_change_password = False
            member.user.save()
        accept_terms(member)
        day = clinic_today() + timedelta(days=2)
        bookings = []
        for hour, last_name in ((10, f"Ceban {unique[:4]}"), (11, f"Rusu {unique[:4]}")):
            bookings.append(book_for_partner(
                member, location=location, practitioner=practitioner,
                starts_at=aware(day, time(hour), clinic_zone()), service_ids=[consultation.pk],
                new_patient=PatientData(first_name="Ana", last_name=last_name, phone=f"+3736912{hour:04d}")))
        billed = bookings[0]
        appointment = arrive(billed.appointment, actor=manager)
        visit = open_visit(patient=appointment.patient, location=None, actor=manager, appointment=appointment)
        add_line(visit, service=ecg, actor=manager)
        return {"partnership_id": partnership.pk, "organisation_id": partnership.organisation_id,
                "partner": partnership.organisation.name, "billed": billed.code, "waiting": bookings[1].code,
                "email": member.user.email}

    made = committed(build)
    yield made

    forget_partners([f"RS-{unique}"])


def test_a_manager_reads_the_statistics_cancels_a_booking_and_reads_the_partner_account(
    page, make_alpha_staff, partner_bookings, browser, public_url, unique, screenshot
):
    world = partner_bookings
    manager = make_alpha_staff("manager")
    log_in(page, manager.email, STAFF_PASSWORD)

    # From the reports area to the statistics, filtered to the partner.
    shown_nav_link(page, "Reports").click()
    page.locator("#report-tabs").get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistics sent by partners")
    page.get_by_label("Partner", exact=True).select_option(label=world["partner"])
    page.get_by_role("button", name="Show").click()

    billed = page.locator(f'tr[data-reference="{world["billed"]}"]')
    expect(billed).to_contain_text(world["partner"])
    expect(billed.locator(".commission-booked")).to_have_text("40.00 EUR")  # 10 % of the booked 400.00
    # Earned on what the visit charged for the booked consultation (400.00), not on the ECG added there.
    expect(billed.locator(".commission-charged")).to_have_text("40.00 EUR")
    waiting = page.locator(f'tr[data-reference="{world["waiting"]}"]')
    expect(waiting.locator(".commission-charged")).to_have_text("—")  # not billed yet
    expect(page.locator("#total-commission-booked")).to_have_text("80.00 EUR")
    page.set_viewport_size({"width": 375, "height": 800})  # on a phone only the table scrolls sideways
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator("#total-commission-charged")).to_have_text("40.00 EUR")
    expect(page.locator("#commission-footnote")).to_contain_text("commission on the charged value")
    screenshot(page, "partner-statistics.png")

    # Cancel the booking still to come, with a reason.
    waiting.get_by_role("button", name="Cancel").click()
    dialog = page.locator("#cancel-booking")
    expect(dialog).to_contain_text(world["waiting"])
    dialog.get_by_label("Reason for cancelling").fill("The practitioner is ill")
    dialog.get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Booking {world['waiting']} was cancelled")
    expect(waiting).to_contain_text("Cancelled")
    expect(waiting.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.locator("#total-commission-booked")).to_have_text("40.00 EUR")

    # The partner's account of the month, read from the ledger: the consultation charged to the
    # partner at the visit with the commission it earned (the cancelled booking had earned none).
    page.get_by_role("link", name="Partner account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world["partner"])
    lines = page.locator("#account-table tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(world["billed"])
    expect(page.locator("#account-owed")).to_have_text("400.00 EUR")
    expect(page.locator("#account-commission")).to_have_text("40.00 EUR")
    expect(page.locator("#account-net-sentence")).to_have_text(f"{world['partner']} pays the clinic 360.00 EUR.")
    expect(page.locator("#account-table")).to_contain_text(f"Ceban {unique[:4]}")  # the clinic's own page
    screenshot(page, "partner-account.png")

    # The partner's finance user reads the same account in the portal, without patient names.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    portal = context.new_page()
    try:
        portal.goto("/portal/login/")
        portal.get_by_label("Email address").fill(world["email"])
        portal.get_by_label("Password").fill(PASSWORD)
        portal.get_by_role("button", name="Log in").click()
        expect(portal).to_have_url(re.compile(r"/portal/$"))
        portal.locator("#main-nav").get_by_role("link", name=re.compile(r"Account$")).click()
        portal.get_by_label("Clinic").select_option(label="Alpha Clinic")
        portal.get_by_role("button", name="Show").click()
        expect(portal.locator("#account-net-sentence")).to_have_text(
            f"{world['partner']} pays the clinic 360.00 EUR.")
        expect(portal.locator("#account-table")).to_contain_text(world["billed"])
        expect(portal.locator("#account-table")).not_to_contain_text(f"Ceban {unique[:4]}")
        screenshot(portal, "portal-account.png")
    finally:
        context.close()
