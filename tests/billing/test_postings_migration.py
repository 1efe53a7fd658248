"""The migration to balanced postings keeps every figure: a clinic's ledger written the old way
(one row per event, ``cash_flow`` on the row) is migrated, and the balance, deposits, points,
the cash report and the revenue report read the same afterwards; every posting balances and
the trial balance is zero."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db

D = Decimal
BEFORE = [("billing", "0005_line_split_quantity"), ("barter", "0002_treatment_plans_and_write_offs"),
          ("partners", "0002_booking_payer")]


def _latest(executor):
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in {"billing", "barter", "partners"}]


def test_every_figure_is_the_same_after_the_migration(tenant):
    from billing import ledger
    from billing.reports import cash_report, clinic_today, revenue_report
    from tests.factories import AppointmentFactory

    appointments = [AppointmentFactory().pk, AppointmentFactory().pk]  # made with today's models, first
    with connection.cursor() as cursor:  # their deferred checks, before the migrations alter tables
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Patient, Payer = old.get_model("patients", "Patient"), old.get_model("billing", "Payer")
    Payment, Deposit = old.get_model("billing", "Payment"), old.get_model("billing", "Deposit")
    Entry = old.get_model("billing", "LedgerEntry")
    now = timezone.now()

    patient = Patient.objects.create(first_name="Old", last_name="Ledger")
    own = Payer.objects.create(kind="patient", patient=patient)
    platform = Payer.objects.create(kind="platform_order", patient=patient, name="Order 1")
    barter = Payer.objects.create(kind="barter_policy", patient=patient, name="Policy 1")

    def entry(account, bucket, kind, amount="0", cash_flow="0", method="", points=0, **refs):
        Entry.objects.create(account=account, patient=patient, bucket=bucket, kind=kind, amount=D(amount),
                             currency="EUR", cash_flow=D(cash_flow), method=method, points=points, created=now,
                             **refs)

    def payment(amount, method, **extra):
        return Payment.objects.create(patient=patient, payer=own, method=method, amount=D(amount), currency="EUR",
                                      created=now, **extra)

    entry(own, "debt", "charge", "250.00")
    entry(own, "debt", "discount", "-25.00")
    entry(own, "debt", "charge", "80.00")
    entry(own, "debt", "void", "-80.00")
    entry(platform, "debt", "charge", "100.00")
    entry(barter, "debt", "charge", "400.00")
    entry(barter, "debt", "write_off", "-400.00")
    cash = payment("150.00", "cash")
    entry(own, "debt", "payment", "-150.00", "150.00", "cash", payment=cash)
    entry(own, "points", "points_earned", points=7, payment=cash)
    deposit = Deposit.objects.create(patient=patient, amount=D("300.00"), currency="EUR", method="card", created=now)
    entry(own, "deposit", "deposit_received", "300.00", "300.00", "card", deposit=deposit)
    used = payment("50.00", "deposit", deposit=deposit)
    entry(own, "debt", "payment", "-50.00", method="deposit", payment=used)
    entry(own, "deposit", "deposit_applied", "-50.00", method="deposit", payment=used, deposit=deposit)
    refund = payment("-20.00", "cash", refund_of=cash)
    entry(own, "debt", "refund", "20.00", "-20.00", "cash", payment=refund)
    loyalty = payment("10.00", "loyalty")
    entry(own, "debt", "payment", "-10.00", method="loyalty", payment=loyalty)
    entry(own, "points", "points_redeemed", points=-10, payment=loyalty)
    settled = Payment.objects.create(patient=patient, payer=platform, method="platform_settlement",
                                     amount=D("100.00"), currency="EUR", created=now)
    entry(platform, "debt", "payment", "-100.00", method="platform_settlement", payment=settled)
    entry(own, "deposit", "deposit_refunded", "-30.00", "-30.00", "card", deposit=deposit)

    # A partner with two bookings this month, one of them cancelled: its account as the old
    # code summed it (commission on the booked value, a cancellation negative).
    from django_tenants.utils import schema_context

    from partners.organisations.models import PartnerOrganisation

    with schema_context("public"):
        organisation = PartnerOrganisation.objects.create(name="Old Partner SRL", registration_number="OLD-1",
                                                          kind="medical_provider", contact_name="Old",
                                                          contact_email="old@partner.example")
    Partnership = old.get_model("partners", "Partnership")
    Booking = old.get_model("partners", "PartnerBooking")
    partnership = Partnership.objects.create(organisation_id=organisation.pk, commission=True,
                                             commission_percent=D("7.50"), payment_place="partner")
    for appointment, value, cancelled in zip(appointments, (D("410.00"), D("150.00")), (None, now), strict=True):
        Booking.objects.create(appointment_id=appointment, partnership=partnership, booked_by_id=1,
                               booked_by_name="Irina", payment_place="partner", value=value,
                               commission_percent=D("7.50"), currency="EUR", cancelled_at=cancelled)
    old_commission = D("30.75") + D("11.25") - D("11.25")  # 7.5 % of 410 and of 150, half up; one cancelled

    # The figures as the old code summed them.
    rows = Entry.objects.filter(patient=patient)
    before = {
        "balance": sum(e.amount for e in rows if e.bucket == "debt" and e.account_id == own.pk),
        "deposits": sum(e.amount for e in rows if e.bucket == "deposit"),
        "points": sum(e.points for e in rows if e.bucket == "points"),
        "cash": {m: sum(e.cash_flow for e in rows if e.method == m and e.cash_flow) for m in ("cash", "card")},
        "revenue": sum(e.amount for e in rows if e.bucket == "debt" and e.kind in ("charge", "discount", "void")
                       and e.account_id != platform.pk),
    }
    assert before == {"balance": D("35.00"), "deposits": D("220.00"), "points": -3,
                      "cash": {"cash": D("130.00"), "card": D("270.00")}, "revenue": D("625.00")}

    with connection.cursor() as cursor:  # the rows' deferred foreign-key checks, before ALTER TABLE
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(_latest(executor))

    from billing.models import LedgerEntry, Posting
    from clinic.patients.models import Patient as Current

    current = Current.objects.get(pk=patient.pk)
    today = clinic_today()
    assert ledger.balance(current) == before["balance"]
    assert ledger.deposits_held(current) == before["deposits"]
    assert ledger.points_balance(current) == before["points"]
    assert cash_report(today).by_method == before["cash"]
    assert revenue_report(today, today).total == before["revenue"]
    for posting in Posting.objects.prefetch_related("legs"):
        assert sum(leg.amount * leg.side for leg in posting.legs.all()) == 0
    assert sum(ledger.trial_balance().values(), D("0")) == 0
    assert LedgerEntry.objects.filter(posting__isnull=True).count() == 0
    from partners import reports
    from partners.models import Partnership as CurrentPartnership

    account = reports.partner_account(CurrentPartnership.objects.get(pk=partnership.pk), today.replace(day=1))
    assert account.commission == old_commission
    assert sorted(line.commission for line in account.lines) == [D("-11.25"), D("11.25"), D("30.75")]
    # What the partner owes the clinic is what its payers were charged (the ledger's, since the
    # partner account reads it): these old bookings' visits were never billed.
    assert sorted(line.kind for line in account.lines) == ["Booking", "Booking", "Cancellation"]
    assert (account.owed_to_clinic, account.net) == (D("0"), -old_commission)
    assert ledger.counterparty_balance(account.partnership.counterparty).owed == old_commission
    with connection.cursor() as cursor:  # the deferred balance check passes too
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
