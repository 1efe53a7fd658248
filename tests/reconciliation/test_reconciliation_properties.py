"""Property (hypothesis): whatever months of orders, redemptions, refunds and platform-side
errors come, running statement, import, matching, resolution, verification and settlement
settles every redeemed order exactly once, settles exactly what was verified, leaves the
platform's ledger balance at what is redeemed and not yet paid, and changes nothing settled."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import ledger
from clinic.errors import DomainError
from platforms import services as platform_services
from platforms.models import OrderStatus, PlatformOrder
from reconciliation.models import MonthlyStatement, StatementLine
from reconciliation.payouts.models import SettlementRequest
from reconciliation.settlement import BankDetails, pay_settlement, receive_invoice, start_settlement
from reconciliation.statements import (
    generate_statement,
    import_platform_statement,
    open_differences,
    resolve_difference,
    undo_verification,
    verify_statement,
)
from tests.platform_factories import PlatformFactory, enrol, make_order, product_with
from tests.reconciliation.test_monthly_statements import redeemed, xlsx

pytestmark = pytest.mark.django_db

BUCHAREST = ZoneInfo("Europe/Bucharest")
APRIL_3 = date(2030, 4, 3)
BANK = BankDetails("Alpha Clinic SRL", "Banca Transilvania", "RO49AAAA1B31007593840000")

order_spec = st.tuples(
    st.sampled_from(["redeemed", "redeemed", "redeemed", "refunded", "never"]),  # what happens to it
    st.integers(1, 3),  # the month of 2030 it is redeemed in
    st.sampled_from(["none", "none", "omitted", "amount", "duplicated", "elsewhere"]),  # the platform's error
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(specs=st.lists(order_spec, min_size=1, max_size=6),
       strangers=st.integers(0, 2),
       price=st.sampled_from([Decimal("180.00"), Decimal("99.99"), Decimal("0.53")]),
       how=st.sampled_from([("cash", "ordinary"), ("cash", "vat_special"), ("voucher", "")]),
       resolutions=st.lists(st.sampled_from(["platform", "clinic", "disputed"]), min_size=1, max_size=5))
def test_every_redeemed_order_is_settled_once_and_nothing_settled_changes(
        tenant, manager, specs, strangers, price, how, resolutions):
    # Each example has a platform of its own (the test's transaction is rolled back at the end).
    _run(tenant, manager, specs, strangers, price, how, resolutions)


def _run(tenant, manager, specs, strangers, price, how, resolutions):
    platform = PlatformFactory()
    enrol(tenant, platform)
    product = product_with({"PROP-1": 1}, platform=platform, settlement_price=price)
    orders: dict[str, tuple[PlatformOrder, int, str]] = {}
    for index, (fate, month, error) in enumerate(specs):
        number = f"P{index}"
        if fate == "redeemed":
            order = redeemed(product, at=datetime(2030, month, 10, 12, tzinfo=BUCHAREST), actor=manager,
                             number=number)
        else:
            order = make_order(product, number=number)
            if fate == "refunded":
                with transaction.atomic():
                    platform_services.move(platform_services.locked_order(order), OrderStatus.REFUNDED,
                                           action="refunded")
        orders[number] = (order, month, error)
    redeemed_orders = {n: o for n, (o, _m, _e) in orders.items() if o.status == OrderStatus.REDEEMED}
    counterparty = platform_services.platform_counterparty(platform)
    redeemed_total = sum((o.price for o in redeemed_orders.values()), Decimal("0.00"))
    assert ledger.counterparty_balance(counterparty).owes == redeemed_total

    verified = []
    for month in (1, 2, 3):
        today = date(2030, month + 1, 3)
        statement = generate_statement(platform, date(2030, month, 1), actor=manager, today=today)[0]
        rows = [["平台对账单"], ["渠道订单号", "结算金额", "核销时间"]]
        for number, (order, order_month, error) in orders.items():
            if order.status != OrderStatus.REDEEMED or order_month != month or error == "omitted":
                continue
            amount = order.price + Decimal("1.00") if error == "amount" else order.price
            rows.append([number, f"¥{amount:,.2f}", f"2030-{month:02d}-10"])
            if error == "duplicated":
                rows.append([number, f"{amount}", f"2030-{month:02d}-10"])
        for number, (order, order_month, error) in orders.items():
            if error == "elsewhere" and order.status == OrderStatus.REDEEMED and order_month != month:
                rows.append([number, f"{order.price}", f"2030-{order_month:02d}-10"])
        for stranger in range(strangers if month == 1 else 0):
            rows.append([f"X{stranger}", "10.00", "2030-01-15"])
        rows.append(["合计", "", "", ""])
        import_platform_statement(statement, file_name="p.xlsx", content=xlsx(rows), actor=manager,
                                  skip_lines={len(rows)})
        for index, difference in enumerate(open_differences(statement)):
            resolution = resolutions[index % len(resolutions)]
            resolve_difference(difference, resolution=resolution, note="Checked with the platform", actor=manager)
        verified.append(verify_statement(statement, actor=manager))

    # Every redeemed order is on exactly one statement; nothing else is.
    listed = list(StatementLine.objects.filter(statement__platform=platform).values_list("order__number", flat=True))
    assert sorted(listed) == sorted(redeemed_orders)
    verified_total = sum((line.amount for line in StatementLine.objects.filter(statement__in=verified)),
                         Decimal("0.00"))
    assert verified_total == redeemed_total

    if not redeemed_orders:
        with pytest.raises(DomainError):
            start_settlement(platform, method=how[0], invoice_type=how[1], bank=BANK, actor=manager, today=APRIL_3)
        return
    batch = start_settlement(platform, method=how[0], invoice_type=how[1], bank=BANK, actor=manager, today=APRIL_3)
    assert batch.amount == verified_total
    snapshot = sorted(StatementLine.objects.filter(statement__in=verified).values_list("order_id", "amount"))
    if how[0] == "cash":
        assert ledger.counterparty_balance(counterparty).owes == redeemed_total  # requested is not paid
        from django_tenants.utils import schema_context

        with schema_context("public"):
            request = SettlementRequest.objects.get(pk=batch.request_id)
        receive_invoice(request, actor=None)
        pay_settlement(request, transaction_number="TX-PROP", paid_on=timezone.localdate(), actor=None)
        from django.db import connection

        connection.set_tenant(tenant)
        with pytest.raises(DomainError):
            pay_settlement(request, transaction_number="TX-AGAIN", paid_on=timezone.localdate(), actor=None)
        connection.set_tenant(tenant)
    # Settled exactly once: every order owes nothing, the platform owes nothing, nothing is left over.
    assert ledger.counterparty_balance(counterparty).owes == Decimal("0.00")
    assert ledger.unallocated(counterparty) == Decimal("0.00")
    for order in redeemed_orders.values():
        assert ledger.owed_by(order.payer_id) == Decimal("0.00")
    assert sum(ledger.trial_balance().values()) == 0

    # Nothing settled changes afterwards.
    for statement in verified:
        with pytest.raises(DomainError):
            undo_verification(statement, actor=manager, reason="late change")
        with pytest.raises(DomainError):
            import_platform_statement(statement, file_name="again.xlsx", content=xlsx([["订单号", "结算金额"]]),
                                      actor=manager)
    with pytest.raises(DomainError):
        start_settlement(platform, method="voucher", actor=manager, today=APRIL_3 + timedelta(days=1))
    assert sorted(StatementLine.objects.filter(statement__in=verified).values_list("order_id", "amount")) == snapshot
    assert set(MonthlyStatement.objects.filter(platform=platform).values_list("settlement_id", flat=True)) == {
        batch.pk}
