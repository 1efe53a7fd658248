"""The books balance: every posting's legs sum to zero, the database refuses one that does not
and any change to a leg; a trial balance is zero whatever happened; counterparties owe, are
paid and age as the ledger says."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from billing import ledger
from billing.counterparties import Share, allocate, record_receipt, undo_allocation
from billing.models import Book, Bucket, Counterparty, Entry, LedgerEntry, Posting
from billing.reports import cash_report, clinic_today, revenue_report
from billing.services import add_line, open_visit, receive_deposit, refund_payment, take_payment, void_line
from clinic.errors import DomainError

pytestmark = pytest.mark.django_db

D = Decimal


def check_now():
    """Fire the deferred balance trigger now (a test's transaction never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def trial_total() -> Decimal:
    return sum(ledger.trial_balance().values(), D("0"))


@pytest.mark.parametrize("amounts, message", [
    ([D("10.00")], "does not balance"),
    ([D("10.00"), D("9.99")], "does not balance"),
    ([D("0.00")], "single leg"),
])
def test_an_unbalanced_posting_is_refused_by_the_database(desk, amounts, message):
    # (Every test's teardown checks the deferred constraints too: a test that left an
    # unbalanced posting behind would fail there.)
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        posting = Posting.objects.create(kind=Entry.CHARGE, created=clinic_now())
        for amount in amounts:
            LedgerEntry.objects.create(posting=posting, book=Book.REVENUE, bucket=Bucket.BOOK, side=-1,
                                       kind=Entry.CHARGE, amount=amount, currency="EUR", created=posting.created)
        check_now()


def test_legs_and_postings_cannot_be_changed_or_deleted_even_in_sql(desk, open_visit):
    add_line(open_visit(), service=desk["cleaning"], actor=desk["cashier"])
    check_now()
    for statement in ("UPDATE billing_ledgerentry SET amount = amount + 1",
                      "DELETE FROM billing_ledgerentry",
                      "UPDATE billing_posting SET kind = 'refund'",
                      "DELETE FROM billing_posting"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(statement)


def clinic_now():
    from django.utils import timezone

    return timezone.now()


def test_every_operation_posts_balanced_legs_and_the_trial_balance_is_zero(desk, open_visit):
    patient, cashier = desk["patient"], desk["cashier"]
    visit = open_visit()
    line = add_line(visit, service=desk["filling"], actor=cashier)  # 250
    add_line(visit, service=desk["cleaning"], actor=cashier)  # 100
    paid = take_payment(patient=patient, method="cash", amount="200", tendered="500", visit=visit, actor=cashier)
    deposit = receive_deposit(patient=patient, amount="300", method="card", actor=cashier)
    take_payment(patient=patient, method="deposit", amount="150", visit=visit, deposit=deposit, actor=cashier)
    refund_payment(paid, amount="50", reason="Goodwill", actor=desk["manager"])
    void_line(line, reason="Entered twice", actor=desk["manager"])
    check_now()

    assert trial_total() == 0
    for posting in Posting.objects.prefetch_related("legs"):
        assert sum(leg.amount * leg.side for leg in posting.legs.all()) == 0, posting
    books = ledger.trial_balance()
    assert books[("book", Book.TILL_CASH)] == D("150.00")  # 200 in, 50 refunded
    assert books[("book", Book.TILL_CARD)] == D("300.00")  # the deposit
    assert books[("book", Book.REVENUE)] == D("-100.00")  # 350 charged, 250 voided (a credit account)
    # The patient's screens read what they always read.
    assert ledger.balance(patient) == D("-200.00")  # 100 owed, 150 + 200 − 50 paid
    assert ledger.deposit_remaining(deposit) == D("150.00")


def test_the_cash_and_revenue_reports_are_movements_on_the_clinics_books(desk, open_visit):
    patient, cashier = desk["patient"], desk["cashier"]
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=cashier)
    take_payment(patient=patient, method="card", amount="250", visit=visit, actor=cashier)
    receive_deposit(patient=patient, amount="40", method="cash", actor=cashier)
    today = clinic_today()
    cash = cash_report(today)
    assert cash.by_method == {"card": D("250.00"), "cash": D("40.00")}
    assert revenue_report(today, today).total == D("250.00")
    books = ledger.trial_balance()
    assert books[("book", Book.TILL_CARD)] + books[("book", Book.TILL_CASH)] == cash.total
    assert -books[("book", Book.REVENUE)] == revenue_report(today, today).total


# --- counterparties -------------------------------------------------------------------------------


@pytest.fixture
def company(desk, barter_payer):
    """A barter company whose policy for the patient has charged 15,000 beyond nothing: an
    overspend bill of 5,000 on the company's own payer."""
    from billing.barter.services import register_policy, review_policy, save_agreement

    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": date(2000, 1, 1),
        "services": [desk["filling"]]})
    policy = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="M-1",
                                           limit="1000", actor=desk["manager"]), actor=desk["manager"])
    visit = open_visit(patient=desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
                       actor=desk["cashier"])
    add_line(visit, service=desk["filling"], quantity=6, payer=policy.payer, actor=desk["cashier"])  # 1,500
    return {"agreement": agreement, "policy": policy, "counterparty": agreement.counterparty, "visit": visit}


def test_a_barter_company_is_a_counterparty_and_its_payers_belong_to_it(company):
    counterparty = company["counterparty"]
    assert counterparty.kind == Counterparty.Kind.BARTER_COMPANY and counterparty.name == "Radio Plus SRL"
    assert company["policy"].payer.counterparty == counterparty
    assert company["policy"].overspend_payer.counterparty == counterparty
    # 1,000 on the policy (its limit) and 500 beyond it on the company's own payer.
    assert ledger.counterparty_balance(counterparty).owes == D("1500.00")


def test_a_barter_company_pays_its_bill_in_two_transfers_and_owes_nothing(company, desk):
    counterparty, finance = company["counterparty"], desk["manager"]
    record_receipt(counterparty, amount="900", currency="EUR", received_on=clinic_today(), reference="TR-1",
                   actor=finance)
    assert ledger.counterparty_balance(counterparty).owes == D("600.00")
    assert ledger.unallocated(counterparty) == 0  # allocated oldest first
    record_receipt(counterparty, amount="600", currency="EUR", received_on=clinic_today(), reference="TR-2",
                   actor=finance)
    check_now()
    assert ledger.counterparty_balance(counterparty).owes == 0
    assert ledger.owed_by(company["policy"].payer) == 0 and ledger.owed_by(company["policy"].overspend_payer) == 0
    assert trial_total() == 0
    assert ledger.trial_balance()[("book", Book.TILL_TRANSFER)] == D("1500.00")


def test_an_over_payment_is_held_as_credit_and_an_allocation_can_be_undone(company, desk):
    counterparty, finance = company["counterparty"], desk["manager"]
    receipt = record_receipt(counterparty, amount="2000", currency="EUR", received_on=clinic_today(),
                             reference="TR-9", actor=finance)
    assert ledger.counterparty_balance(counterparty).owes == D("-500.00")  # in credit
    assert ledger.unallocated(counterparty) == D("500.00")
    allocation = receipt.allocations.order_by("id").first()
    undo_allocation(allocation, reason="Meant for another policy", actor=finance)
    check_now()
    assert ledger.unallocated(counterparty) == D("500.00") + allocation.amount
    assert ledger.counterparty_balance(counterparty).owes == D("-500.00")  # the balance does not move
    with pytest.raises(DomainError, match="already undone"):
        undo_allocation(allocation, reason="again", actor=finance)


def test_allocation_refusals_change_nothing(company, desk, barter_payer):
    counterparty, finance = company["counterparty"], desk["manager"]
    receipt = record_receipt(counterparty, amount="100", currency="EUR", received_on=clinic_today(),
                             reference="TR-3", actor=finance, allocate_oldest_first=False)
    policy_payer = company["policy"].payer
    before = LedgerEntry.objects.count()
    with pytest.raises(DomainError, match="left to allocate"):
        allocate(receipt, [Share(policy_payer.pk, company["visit"].pk, D("100.01"))], actor=finance)
    other = barter_payer(desk["patient"], desk["filling"])  # another company's policy
    with pytest.raises(DomainError, match="another counterparty"):
        allocate(receipt, [Share(other.pk, company["visit"].pk, D("10"))], actor=finance)
    with pytest.raises(DomainError, match="settles in EUR"):
        record_receipt(counterparty, amount="10", currency="CNY", received_on=clinic_today(), reference="X",
                       actor=finance)
    with pytest.raises(DomainError, match="future"):
        record_receipt(counterparty, amount="10", currency="EUR", received_on=clinic_today() + timedelta(days=2),
                       reference="X", actor=finance)
    assert LedgerEntry.objects.count() == before


def test_ageing_puts_open_debt_in_its_band_and_credit_pays_the_oldest(company, desk):
    counterparty = company["counterparty"]
    today = clinic_today()
    [row] = ledger.receivables([counterparty], on=today + timedelta(days=45))
    assert row.owes == D("1500.00") and row.bands == [D("0"), D("1500.00"), D("0"), D("0")]
    [row] = ledger.receivables([counterparty], on=today + timedelta(days=10))
    assert row.bands[0] == D("1500.00")
    record_receipt(counterparty, amount="1000", currency="EUR", received_on=today, reference="TR-4",
                   actor=desk["manager"], allocate_oldest_first=False)
    [row] = ledger.receivables([counterparty], on=today + timedelta(days=100))
    assert row.owes == D("500.00") and row.bands == [D("0"), D("0"), D("0"), D("500.00")]


def test_ageing_after_an_allocated_transfer_keeps_the_rest_in_its_own_band(company, desk):
    """The counterparty's own legs (a transfer and its allocations) are one item, never a new debt."""
    counterparty = company["counterparty"]
    today = clinic_today()
    record_receipt(counterparty, amount="1000", currency="EUR", received_on=today, reference="TR-5",
                   actor=desk["manager"])
    [row] = ledger.receivables([counterparty], on=today + timedelta(days=45))
    assert row.owes == D("500.00") and row.bands == [D("0"), D("500.00"), D("0"), D("0")]


def test_deleting_a_staff_account_only_forgets_who_posted(desk, open_visit):
    from tests.factories import make_staff

    cashier = make_staff("front_desk")
    add_line(open_visit(), service=desk["cleaning"], actor=cashier)
    cashier.delete()
    assert not LedgerEntry.objects.filter(actor__isnull=False, kind=Entry.CHARGE).exists()
    assert Posting.objects.filter(actor__isnull=True).exists()
