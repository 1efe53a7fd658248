"""Visits, lines, discounts, payments, refunds, deposits and points: the rules and their refusals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import ledger
from billing.models import (
    Bucket,
    Deposit,
    Entry,
    LedgerEntry,
    Method,
    Payer,
    PayerKind,
    Payment,
    Promotion,
    Visit,
    VisitLine,
)
from billing.reports import clinic_today
from billing.services import (
    ManualDiscount,
    add_line,
    close_visit,
    open_visit,
    receive_deposit,
    refund_deposit,
    refund_payment,
    take_payment,
    update_billing_settings,
    void_line,
)
from clinic.errors import DomainError
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

D = Decimal


def nothing_saved(before):
    after = (Visit.objects.count(), VisitLine.objects.count(), Payment.objects.count(), Deposit.objects.count(),
             LedgerEntry.objects.count())
    assert after == before


def counts():
    return (Visit.objects.count(), VisitLine.objects.count(), Payment.objects.count(), Deposit.objects.count(),
            LedgerEntry.objects.count())


def test_a_visit_line_is_charged_to_the_patient_at_the_price_list_price(desk, open_visit):
    visit = open_visit()
    line = add_line(visit, service=desk["filling"], quantity=2, actor=desk["cashier"])
    assert (line.list_price, line.unit_price, line.payer.kind) == (D("250.00"), D("250.00"), PayerKind.PATIENT)
    assert line.practitioner == desk["practitioner"]
    assert ledger.balance(desk["patient"]) == D("500.00")
    assert visit.currency == "EUR" and line.currency == "EUR"


def test_a_visit_opened_from_an_arrived_appointment_takes_its_services(desk):
    appointment = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                     practitioner=desk["practitioner"], status="arrived")
    appointment.service_lines.create(service=desk["cleaning"])
    visit = open_visit(patient=desk["patient"], location=None, appointment=appointment, actor=desk["cashier"])
    assert [line.service for line in visit.lines.all()] == [desk["cleaning"]]
    assert visit.practitioner == desk["practitioner"]
    with pytest.raises(DomainError, match="already has a visit"):
        open_visit(patient=desk["patient"], location=None, appointment=appointment, actor=desk["cashier"])


def test_a_visit_is_not_opened_before_the_patient_arrived(desk):
    appointment = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                     practitioner=desk["practitioner"])
    with pytest.raises(DomainError, match="has arrived"):
        open_visit(patient=desk["patient"], location=None, appointment=appointment, actor=desk["cashier"])
    assert Visit.objects.count() == 0


def test_a_changed_price_needs_the_permission_and_records_who_changed_it(desk, open_visit):
    visit = open_visit()
    before = counts()
    with pytest.raises(DomainError, match="may not change the price"):
        add_line(visit, service=desk["cleaning"], unit_price="80", actor=desk["cashier"])
    nothing_saved(before)
    line = add_line(visit, service=desk["cleaning"], unit_price="80", actor=desk["manager"])
    assert (line.list_price, line.unit_price, line.price_changed_by) == (D("100.00"), D("80.00"), desk["manager"])


@pytest.mark.parametrize("quantity", [0, -1, "two", 1000])
def test_a_bad_quantity_is_refused(desk, open_visit, quantity):
    visit = open_visit()
    before = counts()
    with pytest.raises(DomainError) as refused:
        add_line(visit, service=desk["cleaning"], quantity=quantity, actor=desk["cashier"])
    assert refused.value.field == "quantity"
    nothing_saved(before)


def test_a_manual_discount_needs_a_reason_the_permission_and_at_most_100_percent(desk, open_visit):
    visit = open_visit()
    before = counts()
    for actor, discount, message in [
        (desk["cashier"], ManualDiscount(percent=D("10"), reason="loyal"), "may not give discounts"),
        (desk["manager"], ManualDiscount(percent=D("10")), "reason"),
        (desk["manager"], ManualDiscount(percent=D("101"), reason="x"), "0 to 100"),
        (desk["manager"], ManualDiscount(amount=D("100.01"), reason="x"), "cannot be more"),
    ]:
        with pytest.raises(DomainError, match=message):
            add_line(visit, service=desk["cleaning"], discount=discount, actor=actor)
    nothing_saved(before)
    line = add_line(visit, service=desk["cleaning"], discount=ManualDiscount(percent=D("12.5"), reason="Staff"),
                    actor=desk["manager"])
    assert (line.discount, line.net, line.discount_by) == (D("12.50"), D("87.50"), desk["manager"])
    assert ledger.balance(desk["patient"]) == D("87.50")


def test_the_best_valid_promotion_applies_by_service_or_category(desk, open_visit):
    today = clinic_today()
    Promotion.objects.create(name="Spring", category=desk["cleaning"].category, kind="percent", value=10,
                             valid_from=today - timedelta(days=1))
    Promotion.objects.create(name="Cleaning day", service=desk["cleaning"], kind="amount", value=15,
                             valid_from=today, valid_until=today)
    Promotion.objects.create(name="Expired", service=desk["cleaning"], kind="percent", value=50,
                             valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1))
    line = add_line(open_visit(), service=desk["cleaning"], actor=desk["cashier"])
    assert (line.promotion.name, line.discount) == ("Cleaning day", D("15.00"))
    entries = LedgerEntry.objects.filter(line=line, account=line.payer).values_list("kind", "amount")
    assert sorted(entries) == [(Entry.CHARGE, D("100.00")), (Entry.DISCOUNT, D("-15.00"))]


def test_a_payer_that_forbids_discounts_gets_no_promotion_and_refuses_a_manual_one(desk, open_visit, barter_payer):
    visit = open_visit()
    barter = barter_payer(desk["patient"], desk["cleaning"])
    Promotion.objects.create(name="Spring", kind="percent", value=10, valid_from=clinic_today())
    line = add_line(visit, service=desk["cleaning"], payer=barter, actor=desk["cashier"])
    assert (line.discount, line.promotion) == (D("0"), None)
    with pytest.raises(DomainError, match="No promotion or discount applies"):
        add_line(visit, service=desk["cleaning"], payer=barter, actor=desk["manager"],
                 discount=ManualDiscount(percent=D("5"), reason="friend"))
    # The barter company owes the line; the patient owes nothing.
    assert ledger.balance(desk["patient"]) == 0
    assert ledger.visit_due(visit, barter) == D("100.00")


def test_cash_payment_gives_change_and_cannot_pay_more_than_is_due(desk, open_visit):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="200",
                           tendered="500", actor=desk["cashier"])
    assert (payment.amount, payment.change, payment.currency) == (D("200.00"), D("300.00"), "EUR")
    assert ledger.balance(desk["patient"]) == D("50.00")
    before = counts()
    with pytest.raises(DomainError, match="Only 50.00 EUR is due"):
        take_payment(patient=desk["patient"], visit=visit, method=Method.CARD, amount="50.01", actor=desk["cashier"])
    with pytest.raises(DomainError, match="less than the amount"):
        take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="50", tendered="20",
                     actor=desk["cashier"])
    nothing_saved(before)
    take_payment(patient=desk["patient"], visit=visit, method=Method.CARD, amount="50", actor=desk["cashier"])
    assert ledger.balance(desk["patient"]) == 0
    with pytest.raises(DomainError, match="Nothing is due"):
        take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="1", actor=desk["cashier"])


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "USD"}, "currency"),
        ({"method": "cheque"}, "method"),
        ({"method": "platform_settlement"}, "method"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(desk, open_visit, overrides, field):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    before = counts()
    data = {"patient": desk["patient"], "visit": visit, "method": Method.CASH, "amount": "10",
            "actor": desk["cashier"]} | overrides
    with pytest.raises(DomainError) as refused:
        take_payment(**data)
    assert refused.value.field == field
    nothing_saved(before)


def test_a_refund_is_its_own_negative_entry_and_never_exceeds_what_was_paid(desk, open_visit):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], visit=visit, method=Method.CARD, amount="250",
                           actor=desk["cashier"])
    with pytest.raises(DomainError, match="reason"):
        refund_payment(payment, amount="10", reason=" ", actor=desk["manager"])
    refund = refund_payment(payment, amount="100", reason="Tooth not treated", actor=desk["manager"])
    assert (refund.amount, refund.refund_of, refund.method) == (D("-100.00"), payment, Method.CARD)
    with pytest.raises(DomainError, match="At most 150.00 EUR"):
        refund_payment(payment, amount="150.01", reason="again", actor=desk["manager"])
    with pytest.raises(DomainError, match="cannot be refunded"):
        refund_payment(refund, amount="1", reason="x", actor=desk["manager"])
    payment.refresh_from_db()
    assert payment.amount == D("250.00")  # the original is never edited
    assert ledger.balance(desk["patient"]) == D("100.00")


def test_deposits_are_received_applied_refunded_and_never_used_twice(desk, open_visit):
    deposit = receive_deposit(patient=desk["patient"], amount="300", method=Method.TRANSFER,
                              actor=desk["cashier"], note="Implant, spring")
    assert ledger.deposit_remaining(deposit) == D("300.00")
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.DEPOSIT, deposit=deposit, amount="250",
                 actor=desk["cashier"])
    assert ledger.deposit_remaining(deposit) == D("50.00")
    second = open_visit()
    add_line(second, service=desk["filling"], actor=desk["cashier"])
    before = counts()
    with pytest.raises(DomainError, match="50.00 EUR left"):
        take_payment(patient=desk["patient"], visit=second, method=Method.DEPOSIT, deposit=deposit, amount="60",
                     actor=desk["cashier"])
    with pytest.raises(DomainError, match="50.00 EUR left"):
        refund_deposit(deposit, amount="51", reason="moving away", actor=desk["manager"])
    nothing_saved(before)
    refund_deposit(deposit, amount="50", reason="moving away", actor=desk["manager"])
    assert ledger.deposit_remaining(deposit) == 0
    with pytest.raises(DomainError, match="cash, by card or by bank transfer"):
        receive_deposit(patient=desk["patient"], amount="10", method=Method.LOYALTY, actor=desk["cashier"])


def test_a_refunded_deposit_payment_returns_the_money_to_the_deposit(desk, open_visit):
    deposit = receive_deposit(patient=desk["patient"], amount="300", method=Method.CASH, actor=desk["cashier"])
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], visit=visit, method=Method.DEPOSIT, deposit=deposit,
                           amount="250", actor=desk["cashier"])
    refund_payment(payment, amount="250", reason="wrong visit", actor=desk["manager"])
    assert ledger.deposit_remaining(deposit) == D("300.00")
    assert ledger.balance(desk["patient"]) == D("250.00")


def test_points_are_earned_on_what_the_patient_paid_and_redeemed_as_credit(desk, open_visit):
    update_billing_settings(points_per_unit="0.1", point_value="1.00", actor=desk["manager"])
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="205", actor=desk["cashier"])
    assert ledger.points_balance(desk["patient"]) == 20
    with pytest.raises(DomainError, match="needs 45 points"):
        take_payment(patient=desk["patient"], visit=visit, method=Method.LOYALTY, amount="45",
                     actor=desk["cashier"])
    credit = take_payment(patient=desk["patient"], visit=visit, method=Method.LOYALTY, amount="20",
                          actor=desk["cashier"])
    assert credit.points == 20
    assert ledger.points_balance(desk["patient"]) == 0  # club credit earns nothing
    assert ledger.balance(desk["patient"]) == D("25.00")


def test_lines_paid_by_a_coverage_earn_no_points_and_do_not_raise_the_patients_balance(desk, open_visit):
    update_billing_settings(points_per_unit="1", point_value="1", actor=desk["manager"])
    visit = open_visit()
    platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=desk["patient"], name="Order 778")
    add_line(visit, service=desk["cleaning"], payer=platform, actor=desk["cashier"])
    assert ledger.balance(desk["patient"]) == 0
    with pytest.raises(DomainError, match="Nothing is due"):
        take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="100", actor=desk["cashier"])
    assert ledger.points_balance(desk["patient"]) == 0


def test_voiding_a_line_reverses_it_once(desk, open_visit):
    visit = open_visit()
    line = add_line(visit, service=desk["filling"], actor=desk["cashier"])
    with pytest.raises(DomainError, match="reason"):
        void_line(line, reason="", actor=desk["manager"])
    void_line(line, reason="wrong tooth", actor=desk["manager"])
    assert ledger.balance(desk["patient"]) == 0
    with pytest.raises(DomainError, match="already voided"):
        void_line(line, reason="again", actor=desk["manager"])


def test_a_closed_visit_takes_no_more_lines(desk, open_visit):
    visit = open_visit()
    close_visit(visit, actor=desk["cashier"])
    with pytest.raises(DomainError, match="closed"):
        add_line(visit, service=desk["filling"], actor=desk["cashier"])


def test_ledger_entries_are_never_changed_or_deleted(desk, open_visit):
    add_line(open_visit(), service=desk["filling"], actor=desk["cashier"])
    entry = LedgerEntry.objects.first()
    entry.amount = D("1")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.update(amount=0)
    assert LedgerEntry.objects.get(pk=entry.pk).amount == D("250.00")


def test_every_entry_is_in_the_payers_bucket_and_carries_the_currency(desk, open_visit):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="250", actor=desk["cashier"])
    assert set(LedgerEntry.objects.values_list("currency", flat=True)) == {"EUR"}
    assert set(LedgerEntry.objects.values_list("bucket", flat=True)) <= set(Bucket.values)


def test_reports_leave_out_platform_settlements_and_money_received_earlier(desk, open_visit):
    from billing.reports import cash_report, revenue_report, unapplied_deposits
    from billing.services import settle_coverage

    update_billing_settings(points_per_unit="0.1", point_value="1", actor=desk["manager"])
    visit = open_visit()
    platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=desk["patient"], name="Order 778")
    add_line(visit, service=desk["cleaning"], payer=platform, actor=desk["cashier"])  # package item
    add_line(visit, service=desk["filling"], actor=desk["cashier"])  # outside the package
    deposit = receive_deposit(patient=desk["patient"], amount="100", method=Method.CARD, actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.CASH, amount="140", actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.DEPOSIT, deposit=deposit, amount="100",
                 actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.LOYALTY, amount="10", actor=desk["cashier"])
    with pytest.raises(DomainError, match="cashier"):
        settle_coverage(payer=Payer.objects.get(kind=PayerKind.PATIENT), visit=visit, amount="1",
                        method=Method.PLATFORM_SETTLEMENT, actor=desk["manager"])
    settle_coverage(payer=platform, visit=visit, amount="100", method=Method.PLATFORM_SETTLEMENT,
                    actor=desk["manager"])
    assert ledger.visit_due(visit, platform) == 0 and ledger.balance(desk["patient"]) == 0

    day = clinic_today()
    cash = cash_report(day)
    # Cash 140 paid in, card 100 deposit received; deposit use, club credit and the settlement are not cash.
    assert cash.by_method == {"cash": D("140.00"), "card": D("100.00")}
    assert cash.total == D("240.00")
    assert cash.non_cash == {"deposit": D("100.00"), "loyalty": D("10.00")}
    revenue = revenue_report(day, day)
    # The package item is the platform's, not revenue; the filling is.
    assert revenue.total == D("250.00")
    assert revenue.by_category() == {desk["filling"].category.name: D("250.00")}
    assert revenue.by_practitioner() == {desk["practitioner"].full_name: D("250.00")}
    assert unapplied_deposits() == []


def test_unapplied_deposits_show_what_remains_and_how_long(desk):
    from billing.reports import unapplied_deposits

    deposit = receive_deposit(patient=desk["patient"], amount="300", method=Method.CASH, actor=desk["cashier"])
    AppointmentFactory(patient=desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
                       starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3, minutes=-30))
    [row] = unapplied_deposits()
    assert (row, row.remaining, row.days_open) == (deposit, D("300.00"), 0)
    assert row.last_appointment.date() == (timezone.now() - timedelta(days=3)).date()


def test_a_platform_order_is_settled_only_by_a_platform_settlement(desk, open_visit):
    from billing.services import settle_coverage

    visit = open_visit()
    platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=desk["patient"], name="Order 9")
    add_line(visit, service=desk["cleaning"], payer=platform, actor=desk["cashier"])
    for method in (Method.CASH, Method.CARD, Method.TRANSFER, Method.DEPOSIT):
        with pytest.raises(DomainError, match="payment method"):
            settle_coverage(payer=platform, visit=visit, amount="100", method=method, actor=desk["manager"])
    assert Payment.objects.count() == 0
