"""Quarterly settlement: only in the settlement months (or an operator's off-cycle window), only
verified unsettled statements, cash against an invoice or a consumables voucher; paying zeroes
the platform's debt on the ledger and nothing settled changes afterwards."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import ledger
from billing.models import Book
from clinic.errors import DomainError
from clinic.periods import clinic_today
from platforms.services import platform_counterparty
from reconciliation.models import MonthlyStatement, SettlementBatch
from reconciliation.payouts.models import ConsumablesVoucher, SettlementRequest, ShopItem
from reconciliation.settlement import (
    BankDetails,
    invoice_amount,
    next_window,
    open_off_cycle_window,
    pay_settlement,
    propose_batches,
    receive_invoice,
    start_settlement,
)
from reconciliation.shop import place_shop_order
from reconciliation.statements import (
    generate_statement,
    import_platform_statement,
    undo_verification,
    verify_statement,
)
from tests.platform_factories import PlatformFactory, enrol, product_with
from tests.reconciliation.test_monthly_statements import redeemed, xlsx

BUCHAREST = ZoneInfo("Europe/Bucharest")
APRIL_3, MAY_3 = date(2030, 4, 3), date(2030, 5, 3)
IBAN = "RO49AAAA1B31007593840000"
BANK = BankDetails("Alpha Clinic SRL", "Banca Transilvania", IBAN)


@pytest.mark.parametrize("amount, kind, expected", [
    ("100.00", "ordinary", "94.34"), ("100.00", "vat_special", "100.00"), ("0.53", "ordinary", "0.50"),
    ("1234.56", "ordinary", "1164.68"),
])
def test_an_ordinary_invoice_is_for_the_amount_divided_by_1_06_rounded_half_up(amount, kind, expected):
    assert invoice_amount(Decimal(amount), kind, "EUR") == Decimal(expected)


@pytest.mark.parametrize("today, window", [(date(2030, 2, 10), date(2030, 4, 1)), (date(2030, 11, 1), date(2031, 1, 1)),
                                           (date(2030, 4, 30), date(2030, 7, 1))])
def test_the_next_window_opens_on_the_first_of_the_next_settlement_month(today, window):
    assert next_window(today) == window


@pytest.fixture
def verified(tenant, manager):
    """March 2030's statement of a platform, matched and verified: two orders of 180.00."""
    platform = PlatformFactory(name="Insurer benefits")
    enrol(tenant, platform)
    product = product_with({"CHK-S": 1}, platform=platform)
    for number in ("S-1", "S-2"):
        redeemed(product, at=datetime(2030, 3, 10, 12, tzinfo=BUCHAREST), actor=manager, number=number)
    statement = generate_statement(platform, date(2030, 3, 1), actor=manager, today=APRIL_3)[0]
    import_platform_statement(statement, file_name="m.xlsx", actor=manager,
                              content=xlsx([["订单号", "结算金额"], ["S-1", "180"], ["S-2", "180"]]))
    return verify_statement(statement, actor=manager)


def test_outside_the_settlement_months_the_page_says_when_the_next_window_opens(verified, manager):
    with pytest.raises(DomainError, match="July"):
        start_settlement(verified.platform, method="voucher", actor=manager, today=MAY_3)


def test_the_operator_can_open_an_off_cycle_window_for_one_clinic_with_a_reason(verified, manager, tenant):
    with pytest.raises(DomainError):
        open_off_cycle_window(tenant, opens_on=MAY_3, closes_on=MAY_3, reason=" ", actor=None)
    open_off_cycle_window(tenant, opens_on=MAY_3, closes_on=MAY_3 + timedelta(days=7), reason="Clinic closing",
                          actor=None)
    batch = start_settlement(verified.platform, method="voucher", actor=manager, today=MAY_3)
    assert batch.status == "voucher_issued"


@pytest.mark.parametrize("bank, field", [
    (BankDetails("", "Bank", IBAN), "account_holder"), (BankDetails("Holder", "", IBAN), "bank_name"),
    (BankDetails("Holder", "Bank", "RO49AAAA1B31007593840001"), "account_number"),
    (BankDetails("Holder", "Bank", "12-34"), "account_number"),
])
def test_incomplete_or_wrong_bank_details_are_refused(verified, manager, bank, field):
    with pytest.raises(DomainError) as refused:
        start_settlement(verified.platform, method="cash", invoice_type="ordinary", bank=bank, actor=manager,
                         today=APRIL_3)
    assert refused.value.field == field
    assert not SettlementBatch.objects.exclude(status="proposed").exists()


def test_a_cash_settlement_is_paid_by_the_operator_and_zeroes_the_platforms_debt(verified, manager, tenant):
    counterparty = platform_counterparty(verified.platform)
    assert ledger.counterparty_balance(counterparty).owes == Decimal("360.00")
    batch = start_settlement(verified.platform, method="cash", invoice_type="ordinary", bank=BANK, actor=manager,
                             today=APRIL_3)
    assert (batch.status, batch.amount, batch.payout) == ("requested", Decimal("360.00"), Decimal("339.62"))
    with pytest.raises(DomainError, match="started already"):
        start_settlement(verified.platform, method="voucher", actor=manager, today=APRIL_3)
    with pytest.raises(DomainError, match="in a settlement"):
        undo_verification(verified, actor=manager, reason="late change")
    with schema_context("public"):
        request = SettlementRequest.objects.get(pk=batch.request_id)
    assert (request.clinic_id, request.status, request.account_number) == (tenant.pk, "requested", IBAN)

    with pytest.raises(DomainError):
        pay_settlement(request, transaction_number="TX-1", paid_on=APRIL_3, actor=None)  # no invoice yet
    receive_invoice(request, actor=None)
    paid_on = timezone.localdate()
    with pytest.raises(DomainError, match="future"):
        pay_settlement(request, transaction_number="TX-1", paid_on=paid_on + timedelta(days=3), actor=None)
    pay_settlement(request, transaction_number=" TX  778899 ", paid_on=paid_on, actor=None)
    connection.set_tenant(tenant)
    batch.refresh_from_db()
    assert (batch.status, batch.transaction_number, batch.paid_on) == ("paid", "TX 778899", paid_on)
    assert ledger.counterparty_balance(counterparty).owes == Decimal("0.00")
    assert ledger.unallocated(counterparty) == Decimal("0.00")
    books = ledger.trial_balance()
    assert books[("book", Book.INVOICE_TAX)] == Decimal("20.38")
    assert sum(books.values()) == 0
    with pytest.raises(DomainError):
        pay_settlement(request, transaction_number="TX-2", paid_on=paid_on, actor=None)  # paid once
    assert list(batch.events.values_list("action", flat=True)) == ["requested", "invoice_received", "paid"]


def test_a_voucher_of_exactly_the_amount_is_issued_and_used_once_in_the_shop(verified, manager, tenant):
    batch = start_settlement(verified.platform, method="voucher", actor=manager, today=APRIL_3)
    counterparty = platform_counterparty(verified.platform)
    assert ledger.counterparty_balance(counterparty).owes == Decimal("0.00")
    with schema_context("public"):
        voucher = ConsumablesVoucher.objects.get(request_id=batch.request_id)
        gloves = ShopItem.objects.create(name="Gloves", price="25.00", currency=tenant.currency)
    today = clinic_today()
    assert voucher.amount == Decimal("360.00") and voucher.expires_on.year == today.year + 3
    order = place_shop_order(tenant, quantities={gloves.pk: 4}, voucher=voucher, actor=manager)
    assert (order.total, order.voucher_deduction, order.to_pay) == (Decimal("100.00"), Decimal("100.00"),
                                                                    Decimal("0.00"))
    with pytest.raises(DomainError, match="used already"):
        place_shop_order(tenant, quantities={gloves.pk: 1}, voucher=voucher, actor=manager)
    books = ledger.trial_balance()
    assert books[("book", Book.CONSUMABLES)] == Decimal("360.00") and books.get(("book", Book.VOUCHERS), 0) == 0


def test_an_expired_voucher_is_refused(verified, manager, tenant):
    batch = start_settlement(verified.platform, method="voucher", actor=manager, today=APRIL_3)
    with schema_context("public"):
        voucher = ConsumablesVoucher.objects.get(request_id=batch.request_id)
        item = ShopItem.objects.create(name="Masks", price="5.00", currency=tenant.currency)
    with pytest.raises(DomainError, match="expired"):
        place_shop_order(tenant, quantities={item.pk: 1}, voucher=voucher, actor=manager,
                         today=voucher.expires_on + timedelta(days=1))


def test_the_quarterly_proposal_is_made_once_per_platform_and_quarter(verified):
    made = propose_batches(today=APRIL_3)
    assert [b.platform_id for b in made] == [verified.platform_id]
    assert propose_batches(today=APRIL_3) == []
    assert propose_batches(today=MAY_3) == []  # outside the window: nothing
    assert SettlementBatch.objects.filter(platform=verified.platform).count() == 1


def test_only_verified_statements_are_settled(tenant, manager):
    platform = PlatformFactory()
    enrol(tenant, platform)
    MonthlyStatement.objects.create(platform=platform, month=date(2030, 2, 1), currency=platform.currency,
                                    generated_at=datetime(2030, 3, 1, tzinfo=BUCHAREST))
    with pytest.raises(DomainError, match="No verified statement"):
        start_settlement(platform, method="voucher", actor=manager, today=APRIL_3)
