"""What each redeemed order made the platform owe the clinic: a ledger sum, answered here only
(the monthly statement, the order list and the settlement all read it).

A package's order is a coverage payer: the platform owes what was charged to it (its lines at
the settlement price, less any void). A cash voucher paid towards the patient's own lines: the
platform owes what that payment put on its counterparty.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Bucket, Entry, LedgerEntry

from .models import PlatformOrder

ZERO = Decimal("0.00")
CHARGES = (Entry.CHARGE, Entry.DISCOUNT, Entry.VOID)


def with_amounts(orders: QuerySet[PlatformOrder]) -> QuerySet[PlatformOrder]:
    """The orders annotated with ``owed``: what the platform owes for each (zero until it is
    redeemed). One statement however many orders."""
    package = (LedgerEntry.objects
               .filter(account_id=OuterRef("payer_id"), bucket=Bucket.DEBT, kind__in=CHARGES)
               .order_by().values("account_id").annotate(total=Sum("amount")).values("total"))
    voucher = (LedgerEntry.objects
               .filter(payment_id=OuterRef("voucher_payment_id"), counterparty__isnull=False, bucket=Bucket.DEBT)
               .order_by().values("payment_id").annotate(total=Sum("amount")).values("total"))
    return orders.annotate(owed=Coalesce(Subquery(package), Value(ZERO)) + Coalesce(Subquery(voucher), Value(ZERO)))


def order_amounts(orders: QuerySet[PlatformOrder]) -> dict[int, Decimal]:
    return dict(with_amounts(orders).values_list("pk", "owed"))
