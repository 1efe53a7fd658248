"""What each redeemed order made the platform owe the clinic: a ledger sum, answered here only
(the monthly statement, the order list and the settlement all read it).

Every order is a coverage payer of the platform's counterparty. A package's order is charged
its lines at the settlement price (less any void); a cash voucher's order takes over what it
paid of the patient's lines (a payment leg in "cash-voucher principal"). Either way the
platform owes the order's debt; a settlement's allocations, which pay it, are not counted.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Bucket, Entry, LedgerEntry

from .models import PlatformOrder

ZERO = Decimal("0.00")
SETTLING = (Entry.ALLOCATED, Entry.UNALLOCATED)


def with_amounts(orders: QuerySet[PlatformOrder]) -> QuerySet[PlatformOrder]:
    """The orders annotated with ``owed``: what the platform came to owe for each (zero until it
    is redeemed). One statement however many orders."""
    owed = (LedgerEntry.objects.filter(account_id=OuterRef("payer_id"), bucket=Bucket.DEBT)
            .exclude(kind__in=SETTLING)
            .order_by().values("account_id").annotate(total=Sum("amount")).values("total"))
    return orders.annotate(owed=Coalesce(Subquery(owed), Value(ZERO)))


def order_amounts(orders: QuerySet[PlatformOrder]) -> dict[int, Decimal]:
    return dict(with_amounts(orders).values_list("pk", "owed"))
