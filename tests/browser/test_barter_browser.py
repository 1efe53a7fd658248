"""Barter, used as a person would: marketing records a company's agreement and an employee
with a 20,000 limit; a manager reviews the policy; the patient is marked pink."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, log_in


def nav_link(page, name: str):
    return page.locator("#main-nav").get_by_role("link", name=name)


def test_marketing_records_a_barter_patient_and_a_manager_reviews_the_policy(
    browser, alpha_url, make_alpha_staff, committed, unique, screenshot
):
    from decimal import Decimal

    from tests.factories import ServiceCategoryFactory, ServiceFactory

    category_name = f"Implants {unique}"
    committed(lambda: ServiceFactory(category=ServiceCategoryFactory(name=category_name), price=Decimal("1500.00")))
    marketing, manager = make_alpha_staff("marketing"), make_alpha_staff("manager")

    def person(user):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=alpha_url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in(page, user.email, STAFF_PASSWORD)
        return context, page

    context, page = person(marketing)
    try:
        nav_link(page, "Barter").click()
        page.get_by_role("link", name="Agreements").click()
        page.get_by_role("link", name="Add an agreement").click()
        company = f"Radio Plus {unique}"
        page.get_by_label("Name", exact=True).fill(company)
        page.get_by_label("Kind").select_option(label="Company")
        page.get_by_label(category_name).check()
        page.get_by_label("Valid from").fill("2026-01-01")
        page.get_by_label("Beyond the limit").select_option(label="The company pays beyond the limit")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text(f"Agreement “{company}” saved.")
        expect(page.locator("#agreement-table")).to_contain_text(company)

        page.get_by_role("link", name="Barter patients").click()
        page.get_by_role("link", name="Record a barter patient").click()
        page.get_by_label("Agreement").select_option(label=company)
        page.get_by_label("First name").fill("Vadim")
        page.get_by_label("Last name").fill(f"Roșca {unique[:4]}")
        page.get_by_label("Policy number").fill(f"RP-{unique[:4]}")
        page.get_by_label("Limit").fill("20000")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text("a manager reviews the policy before the first booking")
        expect(page.locator("#policy-figures")).to_contain_text("20,000.00 EUR")
        expect(page.locator("#policy-figures")).to_contain_text("Waiting for review")
        expect(page.locator(".patient-flag", has_text="Barter")).to_be_visible()  # the pink mark
        policy_url = page.url
    finally:
        context.close()

    context, page = person(manager)
    try:
        page.goto(policy_url)
        page.get_by_role("button", name="Mark as reviewed").click()
        expect(page.get_by_role("alert")).to_contain_text("reviewed: it can be charged now")
        expect(page.locator("#policy-figures")).to_contain_text("Reviewed")
        page.get_by_label("Increase").fill("5000")
        page.get_by_label("Reason").fill("Marketing: second campaign")
        page.get_by_role("button", name="Add to the limit").click()
        expect(page.locator("#policy-remaining")).to_have_text("25,000.00 EUR")
        expect(page.locator("#increase-table")).to_contain_text("Marketing: second campaign")
        screenshot(page, "barter-policy.png")
        nav_link(page, "Barter").click()
        expect(page).to_have_url(re.compile(r"/barter/$"))
        screenshot(page, "barter-list.png")
        page.get_by_role("link", name="Report", exact=True).click()
        expect(page.locator("#barter-report")).to_contain_text(company)
        expect(page.locator("#barter-report")).to_contain_text("25,000.00 EUR")
        screenshot(page, "barter-report.png")
    finally:
        context.close()


def test_a_public_persons_treatment_plan_is_drafted_approved_and_written_off(
    browser, alpha_url, make_alpha_staff, committed, unique, screenshot
):
    from decimal import Decimal

    from tests.factories import ServiceCategoryFactory, ServiceFactory

    def build():
        from billing.barter.services import register_policy, review_policy, save_agreement
        from billing.reports import clinic_today
        from tests.factories import PatientFactory, make_staff

        service = ServiceFactory(name=f"Veneer {unique}", category=ServiceCategoryFactory(name=f"Aesthetics {unique}"),
                                 price=Decimal("2500.00"))
        reviewer = make_staff("manager", email=f"plan-reviewer-{unique}@browser.example")
        agreement = save_agreement(None, actor=reviewer, data={
            "kind": "public_person", "name": f"Ion Brăescu {unique}", "overspend": "patient",
            "valid_from": clinic_today(), "categories": [service.category]})
        policy = review_policy(register_policy(agreement=agreement, patient=PatientFactory(), number=f"PP-{unique[:4]}",
                                               limit="5000", actor=reviewer), actor=reviewer)
        return policy.pk, str(service)

    policy_pk, service_name = committed(build)
    doctor, marketing, finance = make_alpha_staff("doctor"), make_alpha_staff("marketing"), make_alpha_staff("finance")

    def as_person(user, act):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=alpha_url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            log_in(page, user.email, STAFF_PASSWORD)
            page.goto(f"/barter/{policy_pk}/")
            act(page)
        finally:
            context.close()

    def draft(page):
        plan = page.locator("#treatment-plan")
        plan.get_by_label("Service").select_option(label=service_name)
        plan.get_by_label("Quantity").fill("2")
        plan.get_by_role("button", name="Add to the plan").click()
        expect(page.get_by_role("alert")).to_contain_text("Added to the treatment plan.")
        expect(page.locator("#plan-items")).to_contain_text(f"Veneer {unique}")

    def approve(page):
        page.get_by_label("New limit").fill("6000")
        page.get_by_role("button", name="Approve the plan").click()
        expect(page.get_by_role("alert")).to_contain_text("The treatment plan is approved.")
        expect(page.locator("#policy-remaining")).to_have_text("6,000.00 EUR")
        screenshot(page, "barter-plan.png")

    def close(page):
        page.get_by_label("Note").fill("Campaign finished")
        page.get_by_role("button", name="Write off and close the policy").click()
        expect(page.locator("#write-off")).to_contain_text("The policy is closed.")
        expect(page.locator("#write-off").get_by_role("link", name="Write-off document (PDF)")).to_be_visible()

    as_person(doctor, draft)
    as_person(marketing, approve)
    as_person(finance, close)
