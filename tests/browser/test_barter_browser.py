"""Barter, used as a person would: marketing records a company's agreement and an employee
with a 20,000 limit; a manager reviews the policy; the patient is marked pink."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, log_in


def nav_link(page, name: str):
    from tests.browser.conftest import nav_link as shown_nav_link

    return shown_nav_link(page, name)


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

        # --- Several employees of the company in one screen; a refused line saves nobody.
        nav_link(page, "Barter").click()
        page.get_by_role("link", name="Record a company's employees").click()
        page.get_by_label("Agreement").select_option(label=company)
        page.get_by_label("Limit").fill("15000")
        employees = page.get_by_label("Employees")
        employees.fill(f"RE-{unique[:4]}-1; Ceban {unique[:4]}; Ana\n"
                       f"RE-{unique[:4]}-1; Lungu {unique[:4]}; Petru")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".invalid-feedback")).to_contain_text("is twice in the list")
        employees.fill(f"RE-{unique[:4]}-1; Ceban {unique[:4]}; Ana\n"
                       f"RE-{unique[:4]}-2; Lungu {unique[:4]}; Petru; ; 30000")
        screenshot(page, "barter-employees.png")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text("2 barter patients are recorded")
        expect(page.locator("main")).to_contain_text(f"Lungu {unique[:4]}")
        expect(page.locator("main")).to_contain_text("30,000.00 EUR")
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


def test_front_desk_treats_a_barter_patient_until_the_limit_runs_out(
    page, login, make_alpha_staff, committed, unique, screenshot
):
    """The seed's walk: the pink mark, a visit charged to the policy, a refused discount, a
    second visit exhausting the limit, the mark gone and the next appointment noted."""

    def build():
        from datetime import datetime, timedelta
        from decimal import Decimal
        from zoneinfo import ZoneInfo

        from billing.barter.services import register_policy, review_policy, save_agreement
        from billing.reports import clinic_today
        from tests.factories import (
            AppointmentFactory,
            LocationFactory,
            PatientFactory,
            PractitionerFactory,
            ServiceCategoryFactory,
            ServiceFactory,
            make_staff,
            open_every_day,
        )

        service = ServiceFactory(name=f"Implant {unique}", category=ServiceCategoryFactory(name=f"Surgery {unique}"),
                                 price=Decimal("7500.00"))
        location, practitioner = LocationFactory(name=f"Barter room {unique}"), PractitionerFactory()
        open_every_day(location, practitioner)  # a free slot any day, for the booking dialog
        patient = PatientFactory(first_name="Marin", last_name=f"Barter {unique[:4]}")
        reviewer = make_staff("manager", email=f"barter-walk-{unique}@browser.example")
        agreement = save_agreement(None, actor=reviewer, data={
            "kind": "company", "name": f"Radio Plus {unique}", "overspend": "company",
            "valid_from": clinic_today(), "categories": [service.category]})
        policy = review_policy(register_policy(agreement=agreement, patient=patient, number=f"RP-{unique[:4]}",
                                               limit="20000", actor=reviewer), actor=reviewer)
        later = datetime.now(ZoneInfo("Europe/Bucharest")) + timedelta(days=7)
        upcoming = AppointmentFactory(patient=patient, location=location, practitioner=practitioner,
                                      starts_at=later, ends_at=later + timedelta(minutes=30))
        return {"patient": patient, "location": location, "practitioner": practitioner, "service": service,
                "booking_day": clinic_today() + timedelta(days=8),
                "payer": f"Barter policy · {policy.payer.name}", "upcoming": upcoming.pk}

    data = committed(build)
    patient = data["patient"]
    login(page, make_alpha_staff("manager").email)

    def new_visit():
        page.goto(f"/patients/{patient.pk}/statement/")
        page.get_by_role("button", name="New visit").click()
        form = page.locator("#statement-action")
        form.get_by_label("Location").select_option(label=data["location"].name)
        form.get_by_role("button", name="Open the visit").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Visit #")

    def add(quantity: str, discount: str = ""):
        line_form = page.locator("#line-form")
        from clinic.templatetags.ui import money  # the price in the page's format, with its currency

        line_form.get_by_label("Service").select_option(label=f"{data['service'].code} · {data['service'].name} · "
                                                              f"{money(data['service'].price, 'EUR')}")
        line_form.get_by_label("Quantity").fill(quantity)
        line_form.get_by_label("Payer").select_option(label=data["payer"])
        if discount:
            line_form.get_by_label("Discount (%)").fill(discount)
            line_form.get_by_label("Reason for the discount").fill("Friend of the clinic")
        line_form.get_by_role("button", name="Add").click()

    # --- The pink mark on the patient; a first visit charges 15,000 to the policy.
    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator(".patient-flag", has_text="Barter").first).to_be_visible()
    # --- While booking, the dialog shows the picked patient's limit, spent and remaining.
    page.goto(f"/calendar/?location={data['location'].pk}&date={data['booking_day'].isoformat()}")
    page.locator(f'.calendar-column[data-practitioner="{data["practitioner"].pk}"] '
                 '.slot-free[data-time="10:00"]').click()
    dialog = page.locator("#dialog")
    page.wait_for_load_state("networkidle")  # the dialog's content is in before anything is typed
    dialog.get_by_label("Find the patient").fill(patient.last_name)
    dialog.get_by_role("option", name=re.compile(re.escape(patient.full_name))).click()
    expect(dialog.locator("#picked-patient-barter")).to_contain_text(f"Radio Plus {unique}")
    expect(dialog.locator("#picked-patient-barter")).to_contain_text("Remaining 20,000.00 EUR")
    screenshot(page, "barter-booking.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    new_visit()
    add("2")
    expect(page.locator("#visit-lines")).to_contain_text("15,000.00 EUR")
    # --- A discount is refused: no promotion or discount for barter patients.
    add("1", discount="10")
    expect(page.locator("#line-form")).to_contain_text("No promotion or discount applies to lines paid by")
    screenshot(page, "barter-visit.png")

    # --- A second visit exhausts the limit: 5,000 to the policy, 2,500 to the company.
    new_visit()
    add("1")
    lines = page.locator("#visit-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(page.locator("#visit-lines")).to_contain_text("5,000.00 EUR")
    expect(page.locator("#visit-lines")).to_contain_text("2,500.00 EUR")

    # --- The mark is gone and the next appointment says the patient pays with money.
    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator(".barter-policy")).to_contain_text("Patient pays with money — barter limit exhausted.")
    expect(page.locator("h1 .patient-flag", has_text="Barter")).to_have_count(0)
    page.goto(f"/appointments/{data['upcoming']}/")
    expect(page.locator("#appointment-panel")).to_contain_text("Patient pays with money — barter limit exhausted.")
