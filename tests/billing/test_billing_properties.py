"""Property: whatever happens to a patient's account, the balance, the cash report and the
revenue report agree with one another and with what was done (hypothesis)."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import ledger
from billing.models import Method
from billing.reports import cash_report, revenue_report
from billing.services import (
    ManualDiscount,
    add_line,
    open_visit,
    receive_deposit,
    refund_deposit,
    refund_payment,
    take_payment,
    update_billing_settings,
    void_line,
)
from clinic.errors import DomainError

pytestmark = pytest.mark.django_db

CENTS = st.integers(min_value=1, max_value=40_000).map(lambda c: Decimal(c) / 100)
operation = st.one_of(
    st.tuples(st.just("charge"), st.integers(0, 1), st.integers(1, 3), st.sampled_from([None, 0, 10, 33, 100])),
    st.tuples(st.just("pay"), st.sampled_from(["cash", "card", "transfer", "deposit", "loyalty"]), CENTS),
    st.tuples(st.just("refund"), st.integers(0, 20), CENTS),
    st.tuples(st.just("deposit"), st.sampled_from(["cash", "card", "transfer"]), CENTS),
    st.tuples(st.just("refund_deposit"), st.integers(0, 5), CENTS),
    st.tuples(st.just("void"), st.integers(0, 20)),
)


class Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_balance_cash_report_and_revenue_report_always_agree(desk, operations):
    try:
        with transaction.atomic():
            check(desk, operations)
            raise Rollback
    except Rollback:
        pass


def check(desk, operations):
    patient, manager = desk["patient"], desk["manager"]
    services = [desk["cleaning"], desk["filling"]]
    update_billing_settings(points_per_unit="0.05", point_value="1", actor=manager)
    visit = open_visit(patient=patient, location=desk["location"], practitioner=desk["practitioner"], actor=manager)
    lines, payments, deposits = [], [], []
    expected_balance = expected_cash = expected_revenue = Decimal("0.00")
    expected_points = 0
    voided = False
    for op in operations:
        try:
            if op[0] == "charge":
                _, which, quantity, percent = op
                discount = ManualDiscount(percent=Decimal(percent), reason="test") if percent is not None else None
                line = add_line(visit, service=services[which], quantity=quantity, discount=discount, actor=manager)
                lines.append(line)
                expected_balance += line.net
                expected_revenue += line.net
            elif op[0] == "pay":
                _, method, amount = op
                deposit = next((d for d in deposits if ledger.deposit_remaining(d) > 0), None)
                payment = take_payment(patient=patient, visit=visit, method=method, amount=amount, actor=manager,
                                       deposit=deposit if method == Method.DEPOSIT else None)
                payments.append(payment)
                expected_balance -= amount
                if method in ("cash", "card", "transfer"):
                    expected_cash += amount
                if method == "loyalty":
                    expected_points -= payment.points
                else:
                    expected_points += int(amount * Decimal("0.05"))
            elif op[0] == "refund":
                _, index, amount = op
                if not payments:
                    continue
                original = payments[index % len(payments)]
                points_before = ledger.points_balance(patient)
                refund_payment(original, amount=amount, reason="test", actor=manager)
                expected_balance += amount
                if original.method in ("cash", "card", "transfer"):
                    expected_cash -= amount
                expected_points += ledger.points_balance(patient) - points_before
            elif op[0] == "deposit":
                _, method, amount = op
                deposits.append(receive_deposit(patient=patient, amount=amount, method=method, actor=manager))
                expected_cash += amount
            elif op[0] == "refund_deposit":
                _, index, amount = op
                if not deposits:
                    continue
                refund_deposit(deposits[index % len(deposits)], amount=amount, reason="test", actor=manager)
                expected_cash -= amount
            elif op[0] == "void":
                _, index = op
                if not lines:
                    continue
                line = lines[index % len(lines)]
                void_line(line, reason="test", actor=manager)
                voided = True
                expected_balance -= line.net
                expected_revenue -= line.net
        except DomainError:
            pass  # refused: nothing changed, which the sums below check

        assert ledger.balance(patient) == expected_balance
        if not voided:  # a voided line that was paid leaves a credit, to be refunded
            assert ledger.balance(patient) >= 0  # payments never exceed what is due
        assert ledger.points_balance(patient) == expected_points
        assert all(ledger.deposit_remaining(d) >= 0 for d in deposits)

    day = visit.opened_at.astimezone(ZoneInfo(connection.tenant.time_zone)).date()
    assert cash_report(day).total == expected_cash
    assert revenue_report(day, day).total == expected_revenue
    # The balance is what was charged (revenue) less what was paid and not refunded.
    paid = sum((p.amount for p in patient.payments.all()), Decimal("0.00"))
    assert ledger.balance(patient) == expected_revenue - paid
