"""Quarterly settlement in a real browser (issue 14, seed 000 steps 6-8): a manager with a
verified statement of 100.00 starts a cash settlement with an ordinary invoice (94.34 to be
paid), the operator receives the invoice and pays it with a bank transaction number, the
clinic sees "Paid" and the number; a second platform is settled with a voucher, which the
manager spends in the operator's shop.

The live server checks the settlement window against the real date, so the operator's
off-cycle window is opened around today for the test (whatever today is); the statements
themselves are of March 2030."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, log_in, nav_link

BUCHAREST = ZoneInfo("Europe/Bucharest")
IBAN = "RO49AAAA1B31007593840000"


def _verified_statement(platform, price: str, number: str, actor):
    from reconciliation.statements import generate_statement, import_platform_statement, verify_statement
    from tests.platform_factories import product_with
    from tests.reconciliation.test_monthly_statements import redeemed, xlsx

    product = product_with({f"SET-{number}": 1}, platform=platform, settlement_price=Decimal(price))
    redeemed(product, at=datetime(2030, 3, 10, 12, tzinfo=BUCHAREST), actor=actor, number=number)
    statement = generate_statement(platform, date(2030, 3, 1), actor=actor, today=date(2030, 4, 3))[0]
    import_platform_statement(statement, file_name="march.xlsx", actor=actor,
                              content=xlsx([["订单号", "结算金额"], [number, price]]))
    return verify_statement(statement, actor=actor)


@pytest.fixture
def settlement_world(committed, committed_public, clinic_a, unique):
    """Two platforms alpha takes orders of, each with March 2030's statement verified (100.00 and
    80.00), an off-cycle window open around today, an operator with an authenticator, a shop
    item; all removed afterwards (before alpha's own clean-up: an order holds its patient)."""
    from clinic.accounts.models import User
    from clinic.periods import clinic_today
    from reconciliation.settlement import open_off_cycle_window
    from tests.factories import make_staff
    from tests.platform_factories import PlatformFactory, enrol

    def public_side():
        insurer = PlatformFactory(name=f"Insurer benefits {unique[:4]}", currency=clinic_a.currency,
                                  invoice_details="Insurer Benefits SRL · CUI RO998877 · IBAN RO11BTRL0000000000000001",
                                  mailing_address="Str. Lipscani 1, 030031 Bucharest")
        app = PlatformFactory(name=f"Health app {unique[:4]}", currency=clinic_a.currency)
        for platform in (insurer, app):
            enrol(clinic_a, platform)
        operator = User.objects.create_user(f"settle-op-{unique}@browser.example", "Settlement Operator",
                                            STAFF_PASSWORD, is_operator=True)
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=operator, name="Phone", confirmed=True)
        from reconciliation.payouts.models import ShopItem

        gloves = ShopItem.objects.create(name=f"Nitrile gloves {unique[:4]}", price="12.50",
                                         currency=clinic_a.currency)
        return insurer, app, operator, gloves

    insurer, app, operator, gloves = committed_public(public_side)

    def clinic_side():
        actor = make_staff("manager", email=f"settle-setup-{unique}@browser.example")
        _verified_statement(insurer, "100.00", f"INS-{unique}", actor)
        _verified_statement(app, "80.00", f"APP-{unique}", actor)
        today = clinic_today()
        open_off_cycle_window(clinic_a, opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=1),
                              reason="Browser test of settlement", actor=None)

    try:
        committed(clinic_side)
        yield {"insurer": insurer, "app": app, "operator": operator, "gloves": gloves}
    finally:
        _forget(committed, committed_public, [insurer.pk, app.pk], operator, gloves, clinic_a)


def _forget(committed, committed_public, platform_ids, operator, item, clinic):
    def clinic_side():
        from auditlog.context import disable_auditlog

        from platforms.models import ChannelStock, OrderEvent, PlatformOrder
        from reconciliation.models import BatchEvent, ColumnMapping, MonthlyStatement, SettlementBatch

        with disable_auditlog():
            BatchEvent.objects.filter(batch__platform_id__in=platform_ids).delete()
            MonthlyStatement.objects.filter(platform_id__in=platform_ids).update(settlement=None)
            SettlementBatch.objects.filter(platform_id__in=platform_ids).delete()
            MonthlyStatement.objects.filter(platform_id__in=platform_ids).delete()
            ColumnMapping.objects.filter(platform_id__in=platform_ids).delete()
            OrderEvent.objects.filter(order__platform_id__in=platform_ids).delete()
            PlatformOrder.objects.filter(platform_id__in=platform_ids).delete()
            ChannelStock.objects.filter(product__platform_id__in=platform_ids).delete()

    def public_side():
        from auditlog.context import disable_auditlog
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from clinic.accounts.models import User
        from platforms.catalogue.models import Enrolment, Platform, Product, ProductService
        from reconciliation.payouts.models import (
            ConsumablesVoucher,
            SettlementRequest,
            SettlementWindow,
            ShopItem,
            ShopOrder,
        )

        with disable_auditlog():
            from auditlog.models import LogEntry

            requests = list(SettlementRequest.objects.filter(platform_id__in=platform_ids).values_list("pk", flat=True))
            vouchers = list(ConsumablesVoucher.objects.filter(request_id__in=requests).values_list("pk", flat=True))
            windows = list(SettlementWindow.objects.filter(clinic=clinic, reason="Browser test of settlement")
                           .values_list("pk", flat=True))
            for model, pks in (("settlementrequest", requests), ("consumablesvoucher", vouchers),
                               ("settlementwindow", windows), ("shopitem", [item.pk])):
                LogEntry.objects.filter(content_type__app_label="payouts", content_type__model=model,
                                        object_pk__in=[str(pk) for pk in pks]).delete()
            LogEntry.objects.filter(actor_id=operator.pk).delete()
            ShopOrder.objects.filter(clinic=clinic, voucher__request__platform_id__in=platform_ids).delete()
            ShopOrder.objects.filter(clinic=clinic, lines__contains=[{"item": item.pk}]).delete()
            ConsumablesVoucher.objects.filter(request__platform_id__in=platform_ids).delete()
            SettlementRequest.objects.filter(platform_id__in=platform_ids).delete()
            SettlementWindow.objects.filter(clinic=clinic, reason="Browser test of settlement").delete()
            ShopItem.objects.filter(pk=item.pk).delete()
            Enrolment.objects.filter(platform_id__in=platform_ids).delete()
            # Not .delete(): its cascade would look for the clinics' tables (channel stock) in the public schema.
            ProductService.objects.filter(product__platform_id__in=platform_ids)._raw_delete("default")
            Product.objects.filter(platform_id__in=platform_ids)._raw_delete("default")
            Platform.objects.filter(pk__in=platform_ids)._raw_delete("default")
            TOTPDevice.objects.filter(user=operator).delete()
            User.objects.filter(pk=operator.pk)._raw_delete("default")

    committed(clinic_side)
    committed_public(public_side)


def _totp_now(committed_public, operator):
    def code():
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user_id=operator.pk)
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    return committed_public(code)


def _platform_section(page, platform):
    return page.locator("section.settlement-platform", has=page.get_by_role("heading", name=platform.name))


def test_a_cash_settlement_is_paid_by_the_operator_and_a_voucher_spent_in_the_shop(
    page, browser, public_url, settlement_world, make_alpha_staff, committed_public, screenshot, axe
):
    from pypdf import PdfReader

    insurer, app, operator = settlement_world["insurer"], settlement_world["app"], settlement_world["operator"]
    manager = make_alpha_staff("manager")
    log_in(page, manager.email)
    nav_link(page, "Settlement").click()
    expect(page.get_by_role("heading", name="Quarterly settlement")).to_be_visible()
    section = _platform_section(page, insurer)
    expect(section.locator(".waiting-statements")).to_contain_text("March 2030")
    expect(section.locator(".waiting-statements tfoot")).to_contain_text("100.00")
    expect(page.locator("#settlement-window")).to_contain_text("Browser test of settlement")

    # Cash against an ordinary invoice: 100.00 / 1.06 = 94.34 is what the platform pays.
    section.get_by_role("link", name="Start batch settlement").click()
    expect(page.locator("#settlement-amount")).to_contain_text("100.00")
    expect(page.locator('#invoice-amounts tr[data-invoice-type="ordinary"]')).to_contain_text("94.34")
    expect(page.locator('#invoice-amounts tr[data-invoice-type="vat_special"]')).to_contain_text("100.00")
    expect(page.locator("#platform-invoice-details")).to_contain_text("CUI RO998877")
    expect(page.locator("#platform-mailing-address")).to_contain_text("Str. Lipscani 1")
    page.get_by_label("Cash (bank transfer against an invoice)").check()
    page.get_by_label("Account holder").fill("Alpha Clinic SRL")
    page.get_by_label("Bank", exact=True).fill("Banca Transilvania")
    page.get_by_label("Account number or IBAN").fill("RO49 AAAA 1B31 0075 9384 0001")  # one digit wrong
    page.locator("#invoice-amounts").scroll_into_view_if_needed()
    page.get_by_label("Ordinary invoice").check()
    screenshot(page, "settlement-start.png")
    page.get_by_role("button", name="Start batch settlement").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("This IBAN is not valid")
    page.get_by_label("Account number or IBAN").fill("RO49 AAAA 1B31 0075 9384 0000")
    page.get_by_label("Ordinary invoice").check()
    page.get_by_role("button", name="Start batch settlement").click()
    section = _platform_section(page, insurer)
    row = section.locator("tr.settlement-batch")
    expect(row.locator(".batch-status")).to_have_text("Requested")
    expect(row).to_contain_text("94.34")

    summary = row.get_by_role("link", name="Summary (PDF)").get_attribute("href")
    # Fetched by the page itself (with its session): chromium resolves *.localhost, the driver does not.
    fetched = page.evaluate(
        """async (url) => {
            const response = await fetch(url);
            const bytes = new Uint8Array(await response.arrayBuffer());
            return {status: response.status, type: response.headers.get("content-type"), bytes: Array.from(bytes)};
        }""",
        summary,
    )
    assert fetched["status"] == 200 and fetched["type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(fetched["bytes"]))).pages)
    for expected in ("100.00", "94.34", "Ordinary invoice", IBAN, "CUI RO998877", "Lipscani"):
        assert expected in text, expected

    # The operator: two factors, the request, the invoice received, the payment.
    console = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    console.set_default_timeout(10_000)
    try:
        op = console.new_page()
        op.goto("/operator/login/")
        op.get_by_label("Email address").fill(operator.email)
        op.get_by_label("Password").fill(STAFF_PASSWORD)
        op.get_by_role("button", name="Log in").click()
        op.get_by_label("Code").fill(_totp_now(committed_public, operator))
        op.get_by_role("button", name="Sign in").click()
        op.get_by_role("link", name="Settlement requests").click()
        op.get_by_label("Platform").select_option(label=insurer.name)
        op.get_by_role("button", name="Show").click()
        request_row = op.locator("tr.settlement-request", has_text=insurer.name)
        expect(request_row).to_contain_text("94.34")
        expect(request_row).to_contain_text("Requested")
        screenshot(op, "operator-settlements.png")
        request_row.get_by_role("link").click()
        expect(op.locator("#request-facts")).to_contain_text(IBAN)
        op.get_by_role("button", name="Invoice received").click()
        expect(op.locator("#request-status")).to_have_text("Invoice received")
        op.get_by_label("Bank transaction number").fill("TX 20261206-0042")
        op.get_by_role("button", name=re.compile(r"^Paid 94\.34")).click()
        expect(op.locator("#request-status")).to_have_text("Paid")
        expect(op.locator("#request-transaction")).to_have_text("TX 20261206-0042")
        axe(op)
    finally:
        console.close()

    # The clinic sees it paid, with the bank's transaction number.
    page.reload()
    row = _platform_section(page, insurer).locator("tr.settlement-batch")
    expect(row.locator(".batch-status")).to_have_text("Paid")
    expect(row.locator(".batch-transaction")).to_have_text("TX 20261206-0042")
    history = row.locator("xpath=following-sibling::tr[1]")
    history.locator("summary").click()
    expect(history.locator("li")).to_have_count(3)  # requested, invoice received, paid
    expect(history).to_contain_text("Invoice received")
    # What was requested, written out for the reader: the method's name and the amount in its currency.
    expect(history.locator("li").first).to_contain_text(
        re.compile(r"Settlement requested · .+ · Cash \(bank transfer against an invoice\) · 100\.00 [A-Z]{3} · \d+ statements?"))
    history.scroll_into_view_if_needed()
    screenshot(page, "settlement.png")

    # The second platform settles with a voucher of exactly 80.00, spent once in the shop.
    _platform_section(page, app).get_by_role("link", name="Start batch settlement").click()
    page.get_by_label("Consumables voucher").check()
    expect(page.get_by_label("Account holder")).to_be_hidden()  # bank details are for cash only
    page.get_by_role("button", name="Start batch settlement").click()
    row = _platform_section(page, app).locator("tr.settlement-batch")
    expect(row.locator(".batch-status")).to_have_text("Voucher issued")
    code = row.locator(".batch-voucher").inner_text().strip()
    assert re.fullmatch(r"V[0-9A-F]{10}", code)

    page.get_by_role("link", name="My shop → My coupons").click()
    voucher = page.locator(f'tr.voucher-row[data-code="{code}"]')
    expect(voucher.locator(".voucher-status")).to_have_text("Valid")
    expect(voucher).to_contain_text("80.00")
    page.get_by_label(settlement_world["gloves"].name).fill("4")
    page.get_by_label("Use a voucher").select_option(page.locator("#shop-voucher option", has_text=code)
                                                     .get_attribute("value"))
    page.get_by_role("button", name="Place the order").click()
    expect(voucher.locator(".voucher-status")).to_have_text("Used")
    orders = page.locator("#shop-orders tbody tr").first
    expect(orders).to_contain_text(code)
    expect(orders).to_contain_text("50.00")
    screenshot(page, "shop-vouchers.png")


@pytest.fixture
def operator_account(committed_public, unique):
    """An operator with an authenticator (committed); removed afterwards with what they did."""
    def make():
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from clinic.accounts.models import User

        operator = User.objects.create_user(f"shop-op-{unique}@browser.example", "Shop Operator", STAFF_PASSWORD,
                                            is_operator=True)
        TOTPDevice.objects.create(user=operator, name="Phone", confirmed=True)
        return operator

    operator = committed_public(make)
    yield operator

    def forget():
        from auditlog.context import disable_auditlog
        from auditlog.models import LogEntry
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from clinic.accounts.models import User
        from reconciliation.payouts.models import SettlementWindow, ShopItem

        with disable_auditlog():
            LogEntry.objects.filter(actor_id=operator.pk).delete()
            SettlementWindow.objects.filter(opened_by_id=operator.pk).delete()
            ShopItem.objects.filter(name__contains=unique).delete()
            TOTPDevice.objects.filter(user_id=operator.pk).delete()
            User.objects.filter(pk=operator.pk)._raw_delete("default")

    committed_public(forget)


def test_the_operator_opens_a_window_and_keeps_the_shop(browser, public_url, operator_account, committed_public,
                                                       unique, axe):
    console = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    console.set_default_timeout(10_000)
    try:
        op = console.new_page()
        op.goto("/operator/login/")
        op.get_by_label("Email address").fill(operator_account.email)
        op.get_by_label("Password").fill(STAFF_PASSWORD)
        op.get_by_role("button", name="Log in").click()
        op.get_by_label("Code").fill(_totp_now(committed_public, operator_account))
        op.get_by_role("button", name="Sign in").click()

        # An off-cycle window for one clinic, with a reason (none: refused).
        op.get_by_role("link", name="Settlement windows").click()
        op.get_by_label("Clinic").select_option(label="Alpha Clinic")
        op.get_by_label("Opens").fill("2031-02-10")
        op.get_by_label("Closes").fill("2031-02-20")
        op.get_by_role("button", name="Open the window").click()
        expect(op.locator("#window-form .invalid-feedback")).to_be_visible()
        op.get_by_label("Reason").fill(f"Clinic moving premises {unique}")
        op.get_by_role("button", name="Open the window").click()
        expect(op.locator("#window-table")).to_contain_text(f"Clinic moving premises {unique}")
        axe(op)

        # The shop's catalogue: an item added, then its price changed and taken off sale.
        op.get_by_role("link", name="Consumables shop").click()
        op.get_by_label("Name").fill(f"Impression trays {unique}")
        op.get_by_label("Price").fill("0")
        op.get_by_role("button", name="Add the item").click()
        expect(op.locator("#shop-item-form .invalid-feedback")).to_contain_text("above zero")
        op.get_by_label("Price").fill("35.00")
        op.get_by_role("button", name="Add the item").click()
        row = op.locator("#shop-catalogue tr", has_text=f"Impression trays {unique}")
        expect(row).to_contain_text("35.00")
        row.get_by_role("link").click()
        op.get_by_label("Price").fill("38.50")
        op.get_by_label("On sale").uncheck()
        op.get_by_role("button", name="Save").click()
        expect(row).to_contain_text("38.50")
        expect(row).to_contain_text("No")
        axe(op)
    finally:
        console.close()
