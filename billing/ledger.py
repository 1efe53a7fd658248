"""The ledger: the one place entries are written, and the sums everything else reads.

Sign conventions, per bucket of a payer account:
- ``debt``: a charge adds what the payer owes; a discount, a voided line and a
  payment take it away; a refund adds it back. Positive: the payer owes.
- ``deposit``: money received ahead (+), used for a visit (−), a use refunded
  back into the deposit (+), returned to the patient (−). Never below zero.
- ``points``: the entry's ``points`` (its amount is zero).
``cash_flow`` is money into (+) or out of (−) the till or the bank.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from clinic.money import ZERO

from .models import CASH_FLOW_METHODS, Bucket, Entry, LedgerEntry, Payer, PayerKind


def post(
    *,
    account: Payer,
    bucket: str,
    kind: str,
    currency: str,
    amount: Decimal = ZERO,
    points: int = 0,
    method: str = "",
    visit=None,
    line=None,
    payment=None,
    deposit=None,
    actor=None,
    note: str = "",
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        cash_flow=_cash_flow(bucket, kind, method, amount),
        account=account,
        bucket=bucket,
        kind=kind,
        amount=amount,
        currency=currency,
        points=points,
        method=method,
        patient_id=account.patient_id,
        visit=visit,
        line=line,
        payment=payment,
        deposit=deposit,
        actor=actor,
        note=note[:200],
    )


def _cash_flow(bucket: str, kind: str, method: str, amount: Decimal) -> Decimal:
    """Money into (+) or out of (−) the till or the bank, decided here only.

    A payment or refund moves money when its method does (cash, card, transfer);
    so does receiving or returning a deposit. Using a deposit or club credit
    spends money received earlier; a platform settlement never counts.
    """
    if method not in CASH_FLOW_METHODS:
        return ZERO
    if bucket == Bucket.DEBT and kind in (Entry.PAYMENT, Entry.REFUND):
        return -amount
    if bucket == Bucket.DEPOSIT and kind in (Entry.DEPOSIT_RECEIVED, Entry.DEPOSIT_REFUNDED):
        return amount
    return ZERO


def _sum(queryset, field: str = "amount"):
    zero = 0 if field == "points" else ZERO
    return queryset.aggregate(total=Coalesce(Sum(field), zero))["total"]


def balance(patient) -> Decimal:
    """What the patient owes the clinic on their own account (negative: in credit)."""
    return _sum(
        LedgerEntry.objects.filter(
            patient=patient, account__kind=PayerKind.PATIENT, bucket=Bucket.DEBT
        )
    )


def visit_due(visit, account: Payer) -> Decimal:
    """What ``account`` still owes for ``visit``."""
    return _sum(LedgerEntry.objects.filter(visit=visit, account=account, bucket=Bucket.DEBT))


def deposit_remaining(deposit) -> Decimal:
    return _sum(LedgerEntry.objects.filter(deposit=deposit, bucket=Bucket.DEPOSIT))


def deposits_held(patient) -> Decimal:
    return _sum(LedgerEntry.objects.filter(patient=patient, bucket=Bucket.DEPOSIT))


def points_balance(patient) -> int:
    return _sum(LedgerEntry.objects.filter(patient=patient, bucket=Bucket.POINTS), "points")


def with_remaining(deposits):
    """Deposits annotated with ``remaining`` (one subquery, no query per deposit)."""
    from django.db.models import DecimalField, OuterRef, Subquery, Value

    remaining = (
        LedgerEntry.objects.filter(deposit=OuterRef("pk"), bucket=Bucket.DEPOSIT)
        .order_by()
        .values("deposit")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return deposits.annotate(
        remaining=Coalesce(Subquery(remaining), Value(ZERO), output_field=DecimalField(max_digits=14,
                                                                                         decimal_places=2))
    )


def dues_by_visit(patient) -> dict[int, Decimal]:
    """What the patient's own account still owes per visit (visits with entries only)."""
    rows = (
        LedgerEntry.objects.filter(patient=patient, account__kind=PayerKind.PATIENT, bucket=Bucket.DEBT,
                                   visit__isnull=False)
        .order_by()
        .values("visit")
        .annotate(due=Sum("amount"))
    )
    return {row["visit"]: row["due"] for row in rows}
