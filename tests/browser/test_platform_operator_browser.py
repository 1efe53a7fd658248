"""The operator's side of platforms, used as a person would: an operator signs in with two
factors, creates a platform and copies its signing secret (shown once), adds a package with
its services, and approves clinic alpha's application with its identifier at the platform.
Photographed for the README."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, VIEWPORT
from tests.browser.platforms_cleanup import forget_platforms


@pytest.fixture
def operator_email(unique, committed_public):
    email = f"op-{unique}@browser.example"

    def make():
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from clinic.accounts.models import User

        user = User.objects.create_user(email, "Olga Operator", STAFF_PASSWORD, is_operator=True)
        TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)

    def forget():
        from auditlog.models import LogEntry
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from clinic.accounts.models import User

        LogEntry.objects.filter(actor__email=email).delete()
        TOTPDevice.objects.filter(user__email=email).delete()
        User.objects.filter(email=email)._raw_delete("default")

    committed_public(make)
    yield email
    committed_public(forget)


@pytest.fixture
def platform_code(unique, committed, committed_public, clinic_a):
    """The code of the platform the test creates; Alipay exists already, alpha enrolled with it."""
    code, alipay = f"ins-{unique}", f"ali-{unique}"

    def alipay_with_products():
        from datetime import date

        from tests.platform_factories import PlatformFactory, enrol, product_with

        platform = PlatformFactory(code=alipay, name="Alipay", currency="EUR")
        product_with({"DEN-01": 1, "CON-08": 1}, platform=platform, code="ALI-CLEAN", name="Cleaning package",
                     valid_from=date(2026, 1, 1))
        product_with({"DEN-06": 1}, platform=platform, code="ALI-WISDOM-200", kind="cash_voucher",
                     name="200-yuan wisdom-tooth voucher", valid_from=date(2026, 1, 1))
        enrol(clinic_a, platform, identifier="2088-ALPHA")

    committed_public(alipay_with_products)
    yield code
    forget_platforms(committed, committed_public, [code, alipay])


def sign_in_as_operator(page, email, committed_public):
    def code_now():
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__email=email)
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    page.goto("/operator/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code").fill(committed_public(code_now))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/operator/$"))


def test_an_operator_sets_up_a_platform_and_approves_a_clinic(browser, public_url, committed_public, clinic_a,
                                                              operator_email, platform_code, axe, screenshot):
    context = browser.new_context(viewport=VIEWPORT, base_url=public_url, reduced_motion="reduce")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in_as_operator(page, operator_email, committed_public)

        page.locator("#main-nav").get_by_role("link", name="Platforms").click()
        page.get_by_role("link", name="Add a platform").click()
        page.get_by_label("Code").fill(platform_code)
        page.get_by_label("Name").fill("Insurer benefits app")
        page.get_by_label("Currency").select_option("EUR")
        page.get_by_label("Mailing address").fill("Insurer Health Services\n1000 Lujiazui Ring Road, Shanghai")
        page.get_by_role("button", name="Create the platform").click()

        # The secret, once: a Standard Webhooks secret the spec's library accepts.
        secret = page.get_by_label("Signing secret").input_value()
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", secret)
        expect(page.get_by_text("it is shown only once")).to_be_visible()
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        axe(page)
        page.get_by_role("link", name="I have copied it").click()
        expect(page.get_by_role("heading", name=re.compile("Insurer benefits app"))).to_be_visible()
        assert secret not in page.content()
        expect(page.locator("#secret-table")).to_contain_text("Current")

        page.get_by_role("link", name="Add a product").click()
        page.get_by_label("Standard package").check()
        page.get_by_label("Product code").fill("PA-ORAL-CHECK")
        page.get_by_label("Name").fill("Oral check-up package")
        page.get_by_label("Settlement price or face value").fill("180")
        page.get_by_label("Services").fill("CON-08 × 1\nDIA-01 × 1")
        page.get_by_label("Valid from").fill("2026-01-01")
        page.get_by_label("Description", exact=True).fill("A yearly oral examination with a panoramic X-ray.")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "operator-product.png")
        page.get_by_label("Services").fill("CON-08 × 1\nDIA-01 × 1\nCON-08 × 2")
        page.get_by_role("button", name="Save the product").click()
        expect(page.get_by_text("Line 3: CON-08 is named twice.")).to_be_visible()
        page.get_by_label("Services").fill("CON-08 × 1\nDIA-01 × 1")
        page.get_by_role("button", name="Save the product").click()
        row = page.locator("#product-table tr", has_text="Oral check-up package")
        expect(row).to_contain_text("180.00 EUR")
        expect(row).to_contain_text("DIA-01 × 1")

        page.locator("#main-nav").get_by_role("link", name="Platforms").click()
        expect(page.locator(f'tr[data-platform="{platform_code}"]')).to_contain_text("Insurer benefits app")
        screenshot(page, "operator-platforms.png")

        def clinic_applies():
            from platforms.catalogue.models import Platform
            from platforms.catalogue.services import apply_for_platform

            apply_for_platform(clinic_a, Platform.objects.get(code=platform_code),
                               note="Two dentists do check-ups on weekdays", actor=None)

        committed_public(clinic_applies)
        page.locator("#main-nav").get_by_role("link", name="Enrolments").click()
        row = page.locator(f'tr[data-enrolment="alpha-{platform_code}"]')
        expect(row).to_contain_text("Two dentists do check-ups on weekdays")
        row.get_by_label("Clinic's identifier at the platform").fill("PA-ALPHA-0001")
        screenshot(page, "operator-enrolments.png")
        row.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("Alpha Clinic is enrolled with Insurer benefits app.")).to_be_visible()
        page.get_by_label("Status").select_option("approved")
        row = page.locator(f'tr[data-enrolment="alpha-{platform_code}"]')
        expect(row).to_contain_text("PA-ALPHA-0001")
        expect(row).to_contain_text("Olga Operator")
        axe(page)

        def decided():
            from platforms.catalogue.models import Enrolment

            enrolment = Enrolment.objects.get(platform__code=platform_code)
            return enrolment.status, enrolment.identifier, enrolment.decided_by.email

        assert committed_public(decided) == ("approved", "PA-ALPHA-0001", operator_email)
    finally:
        context.close()
