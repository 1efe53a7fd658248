"""Receivables, used as finance would: in chromium.

A barter company's policy was charged 40 and 60 days ago; finance opens Reports →
Receivables, finds the company with its debt in the 31–60 band, opens its statement
(PDF linked), records a bank transfer and sees the debt and the ageing move.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import nav_link

pytestmark = pytest.mark.browser


def build_a_company_that_owes(unique: str, cashier_id: int) -> dict:
    """Clinic alpha: a barter company whose employee's policy was charged 300 (45 days ago)
    and 200 (75 days ago)."""
    import time_machine
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from billing import services as billing
    from billing.barter.services import register_policy, review_policy, save_agreement
    from clinic.accounts.models import User
    from clinic.tenants.models import Clinic
    from tests.factories import LocationFactory, PatientFactory, PractitionerFactory, ServiceFactory

    with tenant_context(Clinic.objects.get(schema_name=connection.schema_name)):
        cashier = User.objects.get(pk=cashier_id)
        service = ServiceFactory(name=f"Barter check-up {unique[:4]}", price=Decimal("100.00"))
        agreement = save_agreement(None, actor=cashier, data={
            "kind": "company", "name": f"Radio Nord {unique[:6]}", "overspend": "company",
            "valid_from": date(2000, 1, 1), "services": [service]})
        patient = PatientFactory(first_name="Ion", last_name=f"Barbu {unique[:4]}")
        policy = review_policy(register_policy(agreement=agreement, patient=patient, number="RN-1", limit="5000",
                                               actor=cashier), actor=cashier)
        location, practitioner = LocationFactory(), PractitionerFactory()
        for days, quantity in ((75, 2), (45, 3)):
            with time_machine.travel(timezone.now() - timedelta(days=days), tick=False):
                visit = billing.open_visit(patient=patient, location=location, practitioner=practitioner,
                                           actor=cashier)
                billing.add_line(visit, service=service, quantity=quantity, payer=policy.payer, actor=cashier)
        return {"name": agreement.name, "counterparty": agreement.counterparty_id}


def test_finance_settles_a_barter_company_from_the_receivables_screen(
    page, login, make_alpha_staff, committed, unique, screenshot
):
    cashier = make_alpha_staff("manager")
    data = committed(lambda: build_a_company_that_owes(unique, cashier.pk))
    finance = make_alpha_staff("finance")
    login(page, finance.email)

    nav_link(page, "Reports").click()
    page.locator("#report-tabs").get_by_role("link", name="Receivables").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Receivables")
    row = page.locator(f"#receivables-table tr.receivable-row[data-counterparty='{data['counterparty']}']")
    expect(row.locator("th")).to_have_text(data["name"])
    expect(row.locator("td")).to_have_text(
        ["Barter company", "500.00 EUR", "0.00 EUR", "0.00 EUR", "300.00 EUR", "200.00 EUR", "0.00 EUR"])
    screenshot(page, "receivables.png")

    row.get_by_role("link", name=data["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(data["name"])
    expect(page.locator("#counterparty-owes")).to_have_text("500.00 EUR")
    expect(page.get_by_role("link", name="Statement (PDF)")).to_have_attribute(
        "href", re.compile(rf"^/finance/counterparties/{data['counterparty']}/statement\.pdf\?first=\d{{4}}-"))

    # A transfer of 250: the oldest debt (200, 75 days) is paid, 50 of the next.
    form = page.locator("#receipt-form")
    form.get_by_label("Amount received").fill("250")
    form.get_by_label("Bank reference").fill(f"TR-{unique[:6]}")
    form.get_by_role("button", name="Record the transfer").click()
    expect(page.locator("body")).to_contain_text(f"Transfer TR-{unique[:6]} recorded")
    expect(page.locator("#counterparty-owes")).to_have_text("250.00 EUR")
    expect(page.locator("#counterparty-ageing td")).to_have_text(["0.00 EUR", "250.00 EUR", "0.00 EUR", "0.00 EUR"])
    expect(page.locator(".receipt").first).to_contain_text(f"TR-{unique[:6]}")
    screenshot(page, "counterparty-statement.png")

    # A refused transfer: nothing recorded, the field says why.
    form = page.locator("#receipt-form")
    form.get_by_label("Amount received").fill("10")
    form.get_by_label("Bank reference").fill("")
    form.get_by_role("button", name="Record the transfer").click()
    expect(page.locator("#receipt-form")).to_contain_text("This field is required.")
    expect(page.locator("#counterparty-owes")).to_have_text("250.00 EUR")

    status, kind = page.evaluate(
        "url => fetch(url).then(r => [r.status, r.headers.get('content-type')])",
        f"/finance/counterparties/{data['counterparty']}/statement.pdf")
    assert (status, kind) == (200, "application/pdf")
