"""The money reports, used as a person would: in chromium.

A finance member of clinic alpha opens Reports from the navigation, reads the
day's cash report (a payment taken today by a cashier of the test's own is
there; the platform's settlement is not), switches to the revenue report and
exports it to Excel. Both reports are photographed for the README.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")  # clinic alpha's time zone (tests/conftest.py)
# Children before parents; refunds before the payments they point to.
BILLING_TABLES = ["billing_ledgerentry", "billing_posting", "billing_payment", "billing_deposit", "billing_visitline", "billing_visit",
                  "billing_payer"]


def nav_link(page, name: str):
    from tests.browser.conftest import nav_link as shown_nav_link

    return shown_nav_link(page, name)


def long_date(day) -> str:
    """Django's "l, j F Y" in English, e.g. "Tuesday, 3 June 2025"."""
    return f"{day:%A}, {day.day} {day:%B %Y}"


@pytest.fixture
def billing_rows(committed):
    """Delete the committed billing rows a test adds to clinic alpha, afterwards.

    The ledger refuses to be deleted through the ORM (by design), so the rows
    with an id above the ones found before go with raw SQL, children first.
    """
    from django.db import connection

    from billing.models import BillingSettings

    def snapshot():
        with connection.cursor() as cursor:
            tops = {}
            for table in BILLING_TABLES:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                tops[table] = cursor.fetchone()[0]
        return tops, BillingSettings.objects.exists()

    def remove(tops, had_settings):
        with connection.cursor() as cursor:
            cursor.execute("SET clinic.ledger_purge = 'on'")  # the ledger's triggers let a test's clean-up delete
            for table in BILLING_TABLES:
                if table == "billing_payment":
                    cursor.execute("DELETE FROM billing_payment WHERE id > %s AND refund_of_id IS NOT NULL",
                                   [tops[table]])
                cursor.execute(f"DELETE FROM {table} WHERE id > %s", [tops[table]])
            cursor.execute("RESET clinic.ledger_purge")
        if not had_settings:
            BillingSettings.objects.all().delete()

    tops, had_settings = committed(snapshot)
    yield
    committed(lambda: remove(tops, had_settings))


def build_a_day_at_the_till(unique: str, cashier_id: int):
    """Today in clinic alpha: a visit with a package item (the platform's) and a filling,
    paid in cash and from a deposit taken by card; a small cash refund; the platform settles."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from billing import services as billing
    from billing.models import Method, Payer, PayerKind
    from clinic.accounts.models import User
    from clinic.tenants.models import Clinic
    from tests.factories import (
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
    )

    # The clinic itself, not only its schema: the services read its currency and time zone.
    with tenant_context(Clinic.objects.get(schema_name=connection.schema_name)):
        cashier = User.objects.get(pk=cashier_id)
        location = LocationFactory(name=f"Reports clinic {unique[:4]}")
        practitioner = PractitionerFactory(full_name=f"Dr Mihai Rotaru {unique[:4]}")
        category = ServiceCategoryFactory(name=f"Dentistry {unique[:4]}")
        filling = ServiceFactory(category=category, name="Composite filling", price=Decimal("850.00"))
        check_up = ServiceFactory(category=category, name="Check-up package", price=Decimal("300.00"))
        patient = PatientFactory(first_name="Teodora", last_name=f"Cazacu {unique[:4]}")
        visit = billing.open_visit(patient=patient, location=location, practitioner=practitioner, actor=cashier)
        platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=patient, name=f"Order {unique[:6]}")
        billing.add_line(visit, service=check_up, payer=platform, actor=cashier)
        billing.add_line(visit, service=filling, actor=cashier)
        deposit = billing.receive_deposit(patient=patient, amount="500", method=Method.CARD, actor=cashier)
        cash = billing.take_payment(patient=patient, visit=visit, method=Method.CASH, amount="450", actor=cashier)
        billing.take_payment(patient=patient, visit=visit, method=Method.DEPOSIT, deposit=deposit, amount="400",
                             actor=cashier)
        billing.refund_payment(cash, amount="50", reason="Overcharged", actor=cashier)
        billing.settle_coverage(payer=platform, visit=visit, amount="300", method=Method.PLATFORM_SETTLEMENT,
                                actor=cashier)
        # A second patient, practitioner and category, paid by bank transfer: the reports have more than one row.
        hygienist = PractitionerFactory(full_name=f"Dr Ana Ceban {unique[:4]}")
        hygiene = ServiceCategoryFactory(name=f"Hygiene {unique[:4]}")
        cleaning = ServiceFactory(category=hygiene, name="Professional cleaning", price=Decimal("400.00"))
        other = PatientFactory(first_name="Victor", last_name=f"Lungu {unique[:4]}")
        second = billing.open_visit(patient=other, location=location, practitioner=hygienist, actor=cashier)
        billing.add_line(second, service=cleaning, quantity=2, actor=cashier)
        billing.take_payment(patient=other, visit=second, method=Method.TRANSFER, amount="800", actor=cashier)
        return {"category": category.name, "practitioner": practitioner.full_name}


def test_finance_reads_the_cash_and_revenue_reports_and_exports_revenue(
    page, login, make_alpha_staff, committed, billing_rows, unique, screenshot, tmp_path
):
    from openpyxl import load_workbook

    from clinic.accounts.models import User

    cashier = make_alpha_staff("front_desk")
    cashier_name = f"Irina Popa {unique[:4]}"
    committed(lambda: User.objects.filter(pk=cashier.pk).update(full_name=cashier_name))
    data = committed(lambda: build_a_day_at_the_till(unique, cashier.pk))
    finance = make_alpha_staff("finance")
    login(page, finance.email)

    # --- Reports opens the day's cash report.
    nav_link(page, "Reports").click()
    today = datetime.now(ALPHA_ZONE).date()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cash report · {long_date(today)}")
    expect(page.locator("#report-tabs").get_by_role("link", name="Cash report")).to_have_attribute("aria-current", "page")
    mine = page.locator("#cash-table tbody tr.cash-row", has=page.get_by_role("cell", name=cashier_name, exact=True))
    expect(mine).to_have_count(3)  # cash, card (the deposit received), transfer
    expect(mine.nth(0).locator("td")).to_have_text(["Cash", cashier_name, "450.00 EUR", "-50.00 EUR", "400.00 EUR", "2"])
    expect(mine.nth(1).locator("td")).to_have_text(["Card", cashier_name, "500.00 EUR", "0.00 EUR", "500.00 EUR", "1"])
    expect(mine.nth(2).locator("td")).to_have_text(
        ["Bank transfer", cashier_name, "800.00 EUR", "0.00 EUR", "800.00 EUR", "1"]
    )
    expect(page.locator("#cash-table")).not_to_contain_text("Platform settlement")
    expect(page.locator("#non-cash-table")).to_contain_text("From a deposit")
    expect(page.locator("#cash-footnote")).to_contain_text("Platform settlements are never in this report")
    screenshot(page, "cash-report.png")

    # --- A bad period in the address: a clear message, and today's report.
    page.goto("/reports/cash/?first=2025-03-10&last=2025-03-01")
    expect(page.locator("#period-error")).to_have_text(
        re.compile(r"The last day is before the first\. Showing today's report instead\.")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cash report · {long_date(today)}")

    # --- The revenue report: this month so far; the platform's package item is not revenue.
    page.locator("#report-tabs").get_by_role("link", name="Revenue report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revenue report")
    expect(page.get_by_label("First day")).to_have_value(today.replace(day=1).isoformat())
    row = page.locator("#revenue-table tbody tr.revenue-row", has=page.get_by_role("cell", name=data["category"], exact=True))
    expect(row.locator("td")).to_have_text([data["category"], data["practitioner"], "1", "850.00 EUR"])
    expect(page.locator("#revenue-footnote")).to_contain_text("Lines paid by platform orders are not revenue")
    screenshot(page, "revenue-report.png")

    # --- Export to Excel: the progress shows, then the file.
    page.get_by_role("button", name="Export to Excel").click()
    progress = page.locator("#export-progress")
    download_link = progress.get_by_role("link", name="Download")
    expect(download_link).to_be_visible()
    expect(progress).to_contain_text("Revenue report: Ready")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert re.fullmatch(r"revenue-report-alpha-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path, read_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    assert rows[0] == ["Category", "Practitioner", "Lines", "Amount"]
    [exported] = [r for r in rows if r and r[0] == data["category"]]
    assert exported[1:3] == [data["practitioner"], 1] and Decimal(str(exported[3])) == Decimal("850.00")
