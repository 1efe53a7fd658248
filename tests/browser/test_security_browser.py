"""Issue 16, defect 1 in a real browser: marketing uploads an SVG with a script as a barter
agreement's signed document; it is refused, and an SVG stored before the checks only
downloads — no script of it runs with the manager's session; the pages' own scripts still
work under the Content-Security-Policy."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, log_in

SVG = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'xss\')">'
       "<script>fetch('/staff/?stolen=' + document.cookie); alert('xss');</script></svg>")


def test_an_svg_with_a_script_is_refused_and_a_stored_one_never_runs(
    browser, alpha_url, make_alpha_staff, committed, unique, screenshot, tmp_path
):
    marketing, manager = make_alpha_staff("marketing"), make_alpha_staff("manager")
    from tests.factories import ServiceCategoryFactory, ServiceFactory

    category_name = f"Implants {unique}"
    committed(lambda: ServiceFactory(category=ServiceCategoryFactory(name=category_name)))
    svg = tmp_path / "signed-agreement.svg"
    svg.write_text(SVG)

    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=alpha_url, accept_downloads=True)
    context.set_default_timeout(10_000)
    dialogs, stolen = [], []
    context.on("request", lambda request: stolen.append(request.url) if "stolen" in request.url else None)
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        log_in(page, marketing.email, STAFF_PASSWORD)
        page.goto("/barter/agreements/new/")
        page.get_by_label("Name", exact=True).fill(f"Radio Plus {unique}")
        page.get_by_label("Kind").select_option(label="Company")
        page.get_by_label(category_name).check()
        page.get_by_label("Valid from").fill("2026-01-01")
        page.get_by_label("Beyond the limit").select_option(label="The company pays beyond the limit")
        page.get_by_label("Signed agreement").set_input_files(str(svg))
        page.get_by_role("button", name="Save").click()
        expect(page.locator("main form")).to_contain_text("This file is not a PDF, PNG or JPEG file.")
        screenshot(page, "upload-refused.png")

        # One stored before the checks existed: the manager opens it from the agreements.
        def stored():
            from django.core.files.base import ContentFile

            from billing.barter.models import Agreement

            agreement = Agreement.objects.create(kind="company", name=f"Old {unique}", overspend="company",
                                                 valid_from="2026-01-01")
            agreement.document.save("old.svg", ContentFile(SVG.encode()))
            return agreement.pk

        pk = committed(stored)
        context.close()
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=alpha_url,
                                      accept_downloads=True)
        context.set_default_timeout(10_000)
        context.on("request", lambda request: stolen.append(request.url) if "stolen" in request.url else None)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        log_in(page, manager.email, STAFF_PASSWORD)
        page.goto("/barter/agreements/")
        with page.expect_download() as download:
            page.locator(f'a[href="/barter/agreements/{pk}/document/"]').click()
        assert download.value.suggested_filename == f"agreement-{pk}.bin"
        page.wait_for_timeout(500)
        assert page.url.endswith("/barter/agreements/")  # still the list: the file was never shown

        # Even opened directly in a tab, it is a download, and the page's scripts are only its own.
        policy, disposition = page.evaluate(
            "url => fetch(url).then(r => [r.headers.get('content-security-policy'),"
            " r.headers.get('content-disposition')])", f"/barter/agreements/{pk}/document/")
        assert policy == "sandbox" and disposition.startswith("attachment")
        assert dialogs == [] and stolen == []
    finally:
        context.close()


def test_an_operator_sets_up_two_factor_sign_in(browser, public_url, committed_public, unique, screenshot):
    email = f"op-{unique}@browser.example"

    def make_operator():
        from clinic.accounts.models import User

        return User.objects.create_user(email, "Browser Operator", STAFF_PASSWORD, is_operator=True).pk

    def code_now():
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__email=email)
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    def forget():
        from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from clinic.accounts.models import User

        StaticToken.objects.filter(device__user__email=email).delete()
        StaticDevice.objects.filter(user__email=email).delete()
        TOTPDevice.objects.filter(user__email=email).delete()
        User.objects.filter(email=email)._raw_delete("default")

    committed_public(make_operator)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/operator/login/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
        expect(page.locator("#totp-secret")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
        screenshot(page, "two-factor-setup.png")
        page.get_by_label("Code").fill(committed_public(code_now))
        page.get_by_role("button", name="Confirm").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        screenshot(page, "two-factor-recovery-codes.png")
        page.get_by_role("link", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/operator/$"))
    finally:
        context.close()
        committed_public(forget)
