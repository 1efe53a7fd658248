"""The partner on the ledger: a counterparty found by the company's id, its payer one per
patient whatever the company is called, its commission earned when the visit charges the booked
services (in the same posting), reversed with a voided line or a cancellation, and read back by
the account, the statistics and the receivables."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from billing import ledger
from billing.models import Counterparty, LedgerEntry, Payer
from billing.reports import clinic_today
from partners import reports
from partners.models import PartnerBooking
from partners.organisations.models import PartnerOrganisation
from partners.services import cancel_booking, partner_counterparty
from tests.partners.test_partner_services import book

pytestmark = pytest.mark.django_db

D = Decimal


def test_renaming_a_partner_company_keeps_one_counterparty_and_one_payer(world, add_partner, tenant):
    partnership, member = add_partner(payment_place="partner", access=True)
    first = book(world, member, hour=10)
    with schema_context("public"):
        PartnerOrganisation.objects.filter(pk=partnership.organisation_id).update(name="MedAsist Group SRL")
    partnership.refresh_from_db()
    partner_counterparty(partnership, name="MedAsist Group SRL")  # the name follows, the key stays
    second = book(world, member, hour=11, new_patient=None, patient=first.appointment.patient)
    assert second.payer == first.payer  # the same patient, the same partner: one payer
    assert Payer.objects.filter(kind="partner", patient=first.appointment.patient).count() == 1
    assert Counterparty.objects.filter(kind="partner").count() == 1
    counterparty = Counterparty.objects.get(kind="partner")
    assert counterparty.name == "MedAsist Group SRL" and first.payer.counterparty == counterparty
    assert counterparty.reference == f"partner:{partnership.organisation_id}"


def _visit(world, booking):
    """The patient arrives and the visit opens: the booked services become its lines."""
    from billing.services import open_visit
    from tests.factories import arrive

    appointment = arrive(booking.appointment, actor=world["manager"])
    return open_visit(patient=appointment.patient, location=None, actor=world["manager"], appointment=appointment)


def _commission_legs(counterparty):
    return list(LedgerEntry.objects.filter(counterparty=counterparty, bucket="payable").order_by("id"))


def _this_month():
    return clinic_today().replace(day=1)


def test_commission_is_earned_when_the_booked_services_are_charged_in_the_same_posting(world, add_partner, tenant):
    from billing.services import add_line, void_line

    partnership, member = add_partner(percent="10")
    booking = book(world, member, hour=10)  # the consultation, 400.00, paid at the clinic
    counterparty = partner_counterparty(partnership)
    assert ledger.counterparty_balance(counterparty).owed == D("0")  # booked: nothing earned yet
    booking.refresh_from_db()
    assert booking.posting_id is None

    visit = _visit(world, booking)
    [consultation] = visit.lines.all()
    [leg] = _commission_legs(counterparty)
    charge = LedgerEntry.objects.get(line=consultation, kind="charge", account__isnull=False)
    # One posting for the event: the patient's charge, revenue, the partner's commission and its expense.
    assert leg.posting_id == charge.posting_id and leg.amount == D("40.00") and leg.visit_id == visit.pk
    assert sorted(LedgerEntry.objects.filter(posting_id=leg.posting_id).values_list("book", flat=True)) == [
        "", "", "commission", "revenue"]

    extra = add_line(visit, service=world["ecg"], actor=world["manager"])  # not booked: no commission
    assert ledger.counterparty_balance(counterparty).owed == D("40.00")
    void_line(extra, reason="Entered twice", actor=world["manager"])
    assert len(_commission_legs(counterparty)) == 1

    void_line(consultation, reason="Wrong patient", actor=world["manager"])  # reversed with the void
    legs = _commission_legs(counterparty)
    assert [leg.amount for leg in legs] == [D("40.00"), D("-40.00")]
    assert legs[1].posting_id == LedgerEntry.objects.get(line=consultation, kind="void", account__isnull=False).posting_id
    again = add_line(visit, service=world["consultation"], actor=world["manager"])
    assert ledger.counterparty_balance(counterparty).owed == D("40.00")
    assert ledger.payable_for_appointment(counterparty.pk, booking.appointment_id) == D("40.00")

    row = reports.statistics_page(reports.clean_statistics({})).rows[0]
    assert (row.charged, row.commission_charged) == (D("400.00"), D("40.00"))
    account = reports.partner_account(partnership, _this_month())
    assert [(line.kind, line.value, line.commission) for line in account.lines] == [
        ("Charge", D("400.00"), D("40.00")), ("Voided line", D("-400.00"), D("-40.00")),
        ("Charge", D("400.00"), D("40.00"))]
    assert account.commission == D("40.00") == sum(line.commission for line in account.lines)
    assert again.payer.kind == "patient" and account.owed_to_clinic == D("0")
    assert sum(ledger.trial_balance().values()) == 0


def test_a_discount_lowers_the_commission_rounded_once_per_booking(world, add_partner, tenant):
    from billing.services import ManualDiscount, add_line

    partnership, member = add_partner(percent="2.5")
    booking = book(world, member, hour=10, service_ids=[world["consultation"].pk, world["ecg"].pk])
    visit = _visit(world, booking)  # 400 + 150 charged: 2.5 % of 550 = 13.75
    counterparty = partner_counterparty(partnership)
    assert ledger.counterparty_balance(counterparty).owed == D("13.75")
    # Another ECG with 9.00 off (both booked services count): 550 + 141 = 691 -> 17.275 -> 17.28
    add_line(visit, service=world["ecg"], actor=world["manager"],
             discount=ManualDiscount(amount="9.00", reason="Loyal patient"))
    assert ledger.counterparty_balance(counterparty).owed == D("17.28")
    assert ledger.booked_services_charged(booking.appointment_id) == D("691.00")


def test_a_partner_paid_at_the_partner_owes_the_clinic_what_its_payer_was_charged(world, add_partner, tenant):
    partnership, member = add_partner(payment_place="partner", percent="10")
    booking = book(world, member, hour=10, service_ids=[world["consultation"].pk, world["ecg"].pk])
    _visit(world, booking)
    account = reports.partner_account(partnership, _this_month())
    # A line per posting: each booked service charged to the partner when the visit opened.
    assert [(line.code, line.value, line.owed_to_clinic, line.commission) for line in account.lines] == [
        (booking.code, D("400.00"), D("400.00"), D("40.00")), (booking.code, D("150.00"), D("150.00"), D("15.00"))]
    assert (account.owed_to_clinic, account.commission, account.net) == (D("550.00"), D("55.00"), D("495.00"))
    [row] = ledger.receivables([partner_counterparty(partnership)])
    assert (row.owes, row.owed, row.net) == (D("550.00"), D("55.00"), D("495.00"))


def _commission_at_booking(booking):
    """A booking as earlier versions left it: its commission posted at booking, on its booked value."""
    from billing.models import Book, Bucket, Entry

    counterparty = partner_counterparty(booking.partnership)
    with ledger.posting(Entry.COMMISSION) as posting:
        ledger.post(counterparty=counterparty, bucket=Bucket.PAYABLE, kind=Entry.COMMISSION,
                    amount=reports.commission_on(booking.value, booking.commission_percent, booking.currency),
                    currency=booking.currency, against=Book.COMMISSION, note=booking.code)
    PartnerBooking.objects.filter(pk=booking.pk).update(posting=posting)
    booking.refresh_from_db()
    return booking


def test_a_booking_with_its_commission_posted_at_booking_ends_on_what_it_earned(world, add_partner, tenant):
    partnership, member = add_partner(percent="10")
    counterparty = partner_counterparty(partnership)
    gone = _commission_at_booking(book(world, member, hour=10))  # 40.00 on the booked 400.00
    billed = _commission_at_booking(book(world, member, hour=11, service_ids=[world["consultation"].pk,
                                                                            world["ecg"].pk]))  # 55.00
    assert ledger.counterparty_balance(counterparty).owed == D("95.00")

    cancel_booking(gone, by_name="Irina", reason="Changed plans")  # reversed at cancellation
    gone.refresh_from_db()
    assert gone.cancel_posting_id and ledger.counterparty_balance(counterparty).owed == D("55.00")

    from billing.services import void_line

    visit = _visit(world, billed)  # charged 550: already held, nothing posted
    assert ledger.counterparty_balance(counterparty).owed == D("55.00")
    void_line(visit.lines.get(service=world["ecg"]), reason="Not done", actor=world["manager"])
    assert ledger.counterparty_balance(counterparty).owed == D("40.00")  # 10 % of the 400 charged

    account = reports.partner_account(partnership, _this_month())
    # Opening the visit charged the consultation first (40.00 earned of the 55.00 held), then the
    # ECG: each posting moves the commission to what the visit has charged so far.
    assert [(line.code, line.kind, line.is_cancellation, line.value, line.commission) for line in account.lines] == [
        (gone.code, "Booking", False, D("400.00"), D("40.00")),
        (billed.code, "Booking", False, D("550.00"), D("55.00")),
        (gone.code, "Cancellation", True, D("-400.00"), D("-40.00")),
        (billed.code, "Charge", False, D("400.00"), D("-15.00")),
        (billed.code, "Charge", False, D("150.00"), D("15.00")),
        (billed.code, "Voided line", False, D("-150.00"), D("-15.00"))]
    assert account.commission == D("40.00")
    page = reports.statistics_page(reports.clean_statistics({}))
    assert {row.booking.code: row.commission_charged for row in page.rows} == {
        gone.code: None, billed.code: D("40.00")}
    assert page.totals.commission_charged == D("40.00") and page.totals.charged == D("400.00")
