"""The monthly reconciliation, done as a manager does it (seed 000, section 十), in chromium.

Last month's redeemed orders are made in the test (committed); the months are computed from the
clinic's today at run time, so the test holds on any date. The manager generates last month's
statement from the page (in the background, with progress), imports the platform's own file — a
title row, Chinese headers, amounts as "¥1,234.50" and a totals row, which is skipped in the
column-mapping step —, resolves the one difference in place and verifies. The three screens are
photographed for the README.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import nav_link


@pytest.fixture
def platform_month(committed, committed_public, unique):
    """A platform the clinic is enrolled with, and two orders redeemed last month (committed);
    everything removed afterwards (the generic clean-up knows no platform rows)."""

    def public():
        from tests.platform_factories import PlatformFactory, product_with

        platform = PlatformFactory(name=f"Weiyibao {unique[:4]}", code=f"wyb{unique}", currency="EUR")
        product = product_with({f"REC-{unique[:6]}": 1}, platform=platform, name="Adult dental check-up",
                               settlement_price=Decimal("1234.50"))
        return platform, product

    platform, product = committed_public(public)

    def clinic():
        from django.db import connection

        from clinic.periods import clinic_today, clinic_zone, previous_month
        from tests.factories import make_staff
        from tests.platform_factories import enrol, redeemed_order

        enrol(connection.tenant, platform)
        month = previous_month(clinic_today().replace(day=1))
        actor = make_staff("manager", email=f"rec-manager-{unique}@browser.example")
        at = datetime(month.year, month.month, 10, 12, tzinfo=clinic_zone())
        first = redeemed_order(product, at=at, actor=actor, number=f"WY{unique}01")
        second = redeemed_order(product, at=at, actor=actor, number=f"WY{unique}02")
        return month, first.number, second.number


    def forget_clinic_side():
        from auditlog.context import disable_auditlog

        from platforms.models import OrderEvent, PlatformOrder
        from reconciliation.models import ColumnMapping, MonthlyStatement, StatementRun

        with disable_auditlog():
            MonthlyStatement.objects.filter(platform_id=platform.pk).delete()  # lines, imports, differences, events
            StatementRun.objects.filter(platform_id=platform.pk).delete()  # the page's "Generate"
            ColumnMapping.objects.filter(platform_id=platform.pk).delete()
            OrderEvent.objects.filter(order__platform_id=platform.pk).delete()
            PlatformOrder.objects.filter(platform_id=platform.pk).delete()

    def forget_public_side():
        from django.db import connection

        with connection.cursor() as cursor:  # Django's cascade would look for clinic tables here
            cursor.execute("DELETE FROM platform_catalogue_enrolment WHERE platform_id = %s", [platform.pk])
            cursor.execute("DELETE FROM platform_catalogue_productservice WHERE product_id = %s", [product.pk])
            cursor.execute("DELETE FROM platform_catalogue_product WHERE id = %s", [product.pk])
            cursor.execute("DELETE FROM platform_catalogue_platform WHERE id = %s", [platform.pk])

    try:
        month, first, second = committed(clinic)
        yield platform, month, first, second
    finally:
        committed(forget_clinic_side)
        committed_public(forget_public_side)


def platform_file(first: str, second: str) -> bytes:
    """The platform's statement as platforms send it: a title, Chinese headers, amounts as text
    with a currency sign, the second order at another amount, a totals row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["微医保 渠道订单结算明细"], ["渠道订单号", "套餐名称", "结算金额", "核销时间"],
                [first, "成人口腔检查套餐", "¥1,234.50", ""], [second, "成人口腔检查套餐", "¥1,200.00", ""],
                ["合计", "", "¥2,434.50", ""]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_manager_reconciles_last_month(page, login, make_alpha_staff, platform_month, screenshot, axe):
    from django.utils import formats, translation

    platform, month, first, second = platform_month
    with translation.override("en"):
        month_label = formats.date_format(month, "YEAR_MONTH_FORMAT")
    manager = make_alpha_staff("manager")
    login(page, manager.email)

    nav_link(page, "Reconciliation").click()
    section = page.locator("section", has=page.get_by_role("heading", name=platform.name))
    section.get_by_role("button", name=f"Generate {month_label}").click()
    expect(section.get_by_text(f"The statement of {month_label} is ready.")).to_be_visible()
    page.reload()
    section = page.locator("section", has=page.get_by_role("heading", name=platform.name))
    expect(section.locator("tbody tr").first).to_contain_text("2,469.00")
    expect(section.get_by_role("button", name=f"Generate {month_label}")).to_have_count(0)
    screenshot(page, "reconciliation-statements.png")

    section.get_by_role("link", name=f"Open {month_label}").click()
    expect(page.get_by_text("Verifying alone settles nothing: start a settlement.")).to_be_visible()
    page.get_by_role("link", name="Import the platform's statement").click()
    page.get_by_label("The platform's statement (.xlsx or .csv)").set_input_files(
        {"name": "wyb-statement.xlsx", "mimeType": "application/octet-stream", "buffer": platform_file(first, second)})
    page.get_by_role("button", name="Import").click()

    # The mapping step: the columns guessed from the Chinese headers, the totals row reported.
    expect(page.get_by_text("1 row could not be read; nothing was saved.")).to_be_visible()
    expect(page.get_by_label("Platform order number")).to_have_value("渠道订单号")
    expect(page.get_by_label("Settlement amount")).to_have_value("结算金额")
    expect(page.locator("#import-problems")).to_contain_text("This looks like a totals row")
    page.get_by_label("Skip line 5").check()
    screenshot(page, "reconciliation-import.png")
    page.get_by_role("button", name="Import with these columns").click()

    expect(page.get_by_text("The platform's statement was imported: 2 rows, 1 difference.")).to_be_visible()
    totals = page.locator("#category-totals")
    expect(totals.locator("tr[data-category=matched]")).to_contain_text("1,234.50")
    expect(totals.locator("tr[data-category=amount_differs]")).to_contain_text("1,200.00")
    expect(page.locator("#open-count")).to_have_text("1 difference is not resolved yet.")
    with page.expect_response(lambda response: "part=differences" in response.url):
        page.get_by_label("Category", exact=True).select_option("amount_differs")
    row = page.locator("#differences-table tbody tr", has_text=second)
    expect(row).to_contain_text("1,234.50")
    row.get_by_label("Resolution").select_option("platform")
    row.get_by_label("Note").fill("Platform applied its March discount")
    row.get_by_role("button", name="Resolve").click()
    resolved = page.locator("#differences-table tbody tr", has_text=second).locator(".resolved")
    expect(resolved).to_contain_text("Accept the platform's amount")
    expect(resolved).to_contain_text("Platform applied its March discount")
    expect(page.locator("#open-count")).to_have_text("Every difference is resolved.")
    page.locator("#match-heading").evaluate("heading => heading.scrollIntoView()")
    screenshot(page, "reconciliation-differences.png")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("The statement is verified.")).to_be_visible(timeout=15_000)
    expect(page.locator("#statement-status")).to_have_text("Verified")
    expect(page.locator("#statement-history")).to_contain_text("Difference resolved")
    expect(page.locator("#statement-history")).to_contain_text(re.compile(r"\.(xlsx|csv): \d+ rows?, \d+ differences?"))
    expect(page.get_by_role("button", name="Undo the verification")).to_be_visible()
    axe(page)


def test_a_manager_picks_the_channel_reports_columns_saves_them_and_exports(page, login, make_alpha_staff,
                                                                            platform_month, committed, screenshot,
                                                                            unique):
    from openpyxl import load_workbook

    platform, _month, first, second = platform_month
    preset_name = f"Finance check {unique[:4]}"
    manager = make_alpha_staff("manager")
    login(page, manager.email)
    try:
        nav_link(page, "Reconciliation").click()
        page.get_by_role("link", name="Channel reconciliation report").click()
        report = page.locator("#channel-report")
        expect(report.locator("tbody tr", has_text=first)).to_contain_text("1,234.50")
        expect(report.locator("thead")).to_contain_text(f"{platform.name} purchase price")

        # Amount moved to the front; the patient and the product left out.
        page.get_by_label("Patient", exact=True).uncheck()
        page.get_by_label("Product", exact=True).uncheck()
        page.get_by_label("Position of Amount").fill("1")
        page.get_by_role("button", name="Show", exact=True).first.click()
        headers = report.locator("thead th")
        expect(headers.nth(0)).to_have_text("Amount")
        expect(headers.nth(1)).to_have_text("Platform order number")
        expect(report.locator("thead")).not_to_contain_text("Product")
        expect(report.locator("tfoot")).to_contain_text("2,469.00")

        page.get_by_label("Save these columns as").fill(preset_name)
        page.get_by_role("button", name="Save preset").click()
        expect(page.get_by_text(f"Preset “{preset_name}” saved.")).to_be_visible()
        expect(page.get_by_label("Preset", exact=True)).to_have_value(
            page.get_by_label("Preset", exact=True).locator("option", has_text=preset_name).get_attribute("value"))
        expect(headers.nth(0)).to_have_text("Amount")
        screenshot(page, "reconciliation-report.png")

        page.get_by_role("button", name="Export to Excel").click()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        with open(download.value.path(), "rb") as handle:
            workbook = load_workbook(io.BytesIO(handle.read()), read_only=True)
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        assert rows[0][:2] == ["Amount", "Platform order number"] and "Product" not in rows[0]
        assert sorted(row[1] for row in rows[1:3]) == sorted([first, second])
        assert [float(row[0]) for row in rows[1:3]] == [1234.5, 1234.5]
    finally:
        def forget_preset():
            from reconciliation.models import ReportPreset

            ReportPreset.objects.filter(name=preset_name).delete()

        committed(forget_preset)
