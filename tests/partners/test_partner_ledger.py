"""The partner on the ledger: a counterparty found by the company's id, its payer one per
patient whatever the company is called, its commission posted at booking and reversed at
cancellation, read back by the account and the receivables."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from billing import ledger
from billing.models import Counterparty, Payer
from clinic.scheduling.availability import clinic_zone
from partners import reports
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


def test_commission_is_posted_at_booking_reversed_at_cancellation_and_read_back(world, add_partner, tenant):
    partnership, member = add_partner(percent="10")
    kept = book(world, member, hour=10)  # 400.00 -> 40.00
    gone = book(world, member, hour=11)
    counterparty = partner_counterparty(partnership)
    assert ledger.counterparty_balance(counterparty).owed == D("80.00")
    cancel_booking(gone, by_name="Irina", reason="Changed plans")
    assert ledger.counterparty_balance(counterparty).owed == D("40.00")
    gone.refresh_from_db()
    assert gone.posting_id and gone.cancel_posting_id
    account = reports.partner_account(partnership, kept.created.astimezone(clinic_zone()).date().replace(day=1))
    assert account.commission == D("40.00")  # 40 + 40 − 40, each line from its posting
    assert sorted(line.commission for line in account.lines) == [D("-40.00"), D("40.00"), D("40.00")]
    [row] = ledger.receivables([counterparty])
    assert (row.owes, row.owed, row.net) == (D("0.00"), D("40.00"), D("-40.00"))
