"""Registering for the partner portal, used as a person would: in chromium, on the public host.

Clinic alpha adds a company new to the system; its contact person opens the link from the
email, chooses a password, accepts the terms and lands on the portal's home page with the
clinic listed; then adds a colleague who may book. Photographed for the README.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from playwright.sync_api import expect

PASSWORD = "portal-register-pass-1"


@pytest.fixture
def added_partner(committed, unique, forget_partners):
    """Clinic alpha (committed) adds a new partner company; the registration email is sent.
    The company, its users and links, and the partnership are removed afterwards."""
    from partners.services import PartnerData, PartnerTerms, add_partner
    from tests.factories import LocationFactory

    def build():
        location = LocationFactory(name=f"Portal room {unique}")
        return add_partner(
            PartnerData(name=f"MedAsist {unique}", registration_number=f"RO-{unique}", kind="call_centre",
                        contact_name="Irina Lungu", contact_email=f"irina-{unique}@medasist.example"),
            PartnerTerms(location_ids=[location.pk]), actor=None)

    partnership = committed(build)
    yield partnership

    forget_partners([f"RO-{unique}"])


def link_in(message) -> str:
    return urlparse(next(word for word in message.body.split() if "/portal/register/" in word)).path


def test_a_new_partner_registers_accepts_the_terms_and_adds_a_user(
    browser, public_url, added_partner, clinic_a, unique, screenshot
):
    invitation = mail.outbox[-1]
    assert invitation.to == [f"irina-{unique}@medasist.example"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(link_in(invitation))
        expect(page.get_by_role("heading", level=1, name="Register for the partner portal")).to_be_visible()
        expect(page.locator("#terms-text")).to_contain_text("No export of patient data")
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("New password confirmation").fill(PASSWORD)
        page.get_by_role("button", name="Register and accept the terms").click()
        expect(page.locator(".invalid-feedback")).to_contain_text("Accept the terms and conditions")

        page.goto(link_in(invitation))  # nothing was changed: the link still works
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("New password confirmation").fill(PASSWORD)
        page.get_by_label(re.compile(r"I accept the terms and conditions \(version")).check()
        screenshot(page, "portal-register.png")
        page.get_by_role("button", name="Register and accept the terms").click()

        expect(page).to_have_url(re.compile(r"/portal/$"))
        expect(page.get_by_role("alert")).to_contain_text("accepted the terms and conditions")
        expect(page.get_by_role("heading", level=1, name=f"MedAsist {unique}")).to_be_visible()
        clinics = page.locator("#portal-clinics")
        expect(clinics).to_contain_text(clinic_a.name)
        expect(clinics.get_by_role("link", name=f"Book at {clinic_a.name}")).to_have_attribute(
            "href", re.compile(r"/portal/book/\?clinic=alpha$"))
        screenshot(page, "portal-home.png")

        page.locator("#main-nav").get_by_role("link", name="Users").click()
        expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
        page.get_by_role("link", name="Add a user").click()
        page.get_by_label("Full name").fill("Bogdan Rusu")
        page.get_by_label("Email address").fill(f"bogdan-{unique}@medasist.example")
        page.get_by_label("Can book at partner clinics").check()
        page.get_by_role("button", name="Add the user").click()

        expect(page.get_by_role("alert")).to_contain_text("Bogdan Rusu was added")
        row = page.locator("#portal-users tbody tr", has_text="Bogdan Rusu")
        expect(row).to_contain_text(f"bogdan-{unique}@medasist.example")
        expect(row).to_contain_text("Invited")
        expect(row.locator("td").nth(2)).to_contain_text("yes")
        expect(row.locator("td").nth(3)).to_contain_text("no")
        screenshot(page, "portal-users.png")
    finally:
        context.close()
    welcome = mail.outbox[-1]
    assert welcome.to == [f"bogdan-{unique}@medasist.example"] and "/portal/register/" in welcome.body
