"""The partner portal's door, used as a person would: in chromium, on the public host."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

PASSWORD = "portal-browser-pass-1"


@pytest.fixture
def partner(committed_public, unique, forget_partners):
    """A committed partner company with a one-time-password user; removed afterwards."""
    from partners.organisations.services import create_partner

    created = committed_public(
        lambda: create_partner(
            name=f"MedAsist {unique}",
            registration_number=f"RO-{unique}",
            kind="call_centre",
            contact_name="Irina Lungu",
            contact_email=f"irina-{unique}@medasist.example",
        )
    )
    yield created

    forget_partners([f"RO-{unique}"])


def test_a_partner_user_logs_in_to_the_portal_and_replaces_the_one_time_password(
    browser, public_url, partner, screenshot
):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_role("link", name="Partner portal").click()
        expect(page).to_have_url(re.compile(r"/portal/login/"))
        expect(page.get_by_role("heading", level=1, name="Partner portal")).to_be_visible()
        page.get_by_label("Email address").fill(partner.member.user.email)
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".invalid-feedback, .alert-danger").first).to_be_visible()
        screenshot(page, "portal-login.png")

        page.get_by_label("Email address").fill(partner.member.user.email)
        page.get_by_label("Password").fill(partner.one_time_password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1, name="Change password")).to_be_visible()
        page.get_by_label("Old password").fill(partner.one_time_password)
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("New password confirmation").fill(PASSWORD)
        page.get_by_role("button", name="Change password").click()

        # The company has not accepted the terms yet: its first user, who manages its users, does.
        expect(page).to_have_url(re.compile(r"/portal/terms/$"))
        expect(page.get_by_role("alert")).to_contain_text("Your password was changed.")
        expect(page.get_by_role("heading", level=1, name="Terms and conditions")).to_be_visible()
        page.get_by_label(re.compile(r"I accept the terms and conditions")).check()
        screenshot(page, "portal-terms.png")
        page.get_by_role("button", name="Accept the terms").click()

        expect(page).to_have_url(re.compile(r"/portal/$"))
        expect(page.get_by_role("alert")).to_contain_text("accepted the terms and conditions")
        expect(page.get_by_role("heading", level=1, name=partner.organisation.name)).to_be_visible()
        expect(page.get_by_text(partner.organisation.registration_number)).to_be_visible()
        expect(page.locator("#portal-permissions")).to_contain_text("can book at partner clinics")
        expect(page.get_by_text("not linked to any clinic yet")).to_be_visible()

        page.get_by_role("button", name=re.compile("Irina Lungu")).click()
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/portal/login/"))
        page.goto("/portal/")
        expect(page).to_have_url(re.compile(r"/portal/login/\?next=/portal/"))
    finally:
        context.close()
