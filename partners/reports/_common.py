"""What the statistics and the partner account share: commission, the ledger's figures per booking."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import DecimalField, OuterRef, Subquery

from billing import ledger
from clinic.money import round_money
from clinic.scheduling.models import AppointmentService, Status

HUNDRED = Decimal(100)
PAGE_SIZE = 50
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
# Only these can still be cancelled (the appointment's state machine says so).
CANCELLABLE_STATUSES = (Status.BOOKED, Status.CONFIRMED, Status.NO_SHOW)


def commission_on(amount: Decimal | None, percent: Decimal, currency: str) -> Decimal | None:
    """The commission at ``percent`` of ``amount``, rounded half up to the currency's minor unit."""
    if amount is None:
        return None
    return round_money(amount * percent / HUNDRED, currency)


def _charged():
    """What the visit of the booking's appointment charged for the booked services, whoever pays
    (the ledger's answer); None before billing."""
    return ledger.booked_services_charged_expression(OuterRef("appointment_id"))


def _commission():
    """The commission the booking earned, as the ledger holds it (its visit's commission legs
    and its own postings)."""
    return ledger.payable_for_appointment_expression(
        OuterRef("partnership__counterparty_id"), OuterRef("appointment_id"),
        postings=(OuterRef("posting_id"), OuterRef("cancel_posting_id")))


def _service_names():
    names = (AppointmentService.objects.filter(appointment_id=OuterRef("appointment_id")).order_by()
             .values("appointment_id")
             .annotate(names=StringAgg("service__name", ", ", order_by=("position", "id"))).values("names"))
    return Subquery(names)


def _local(moment: datetime | None, zone) -> datetime | None:
    """A time as Excel takes it: the clinic's wall clock, without a zone."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0) if moment else None
