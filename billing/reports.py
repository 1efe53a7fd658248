"""Money reports: sums over the ledger, so they cannot disagree with a balance.

- the **cash report** counts money that moved into or out of the till or the
  bank (``cash_flow``): payments and refunds in cash, by card or transfer,
  deposits received and returned. Deposit use and club credit spend money
  received earlier; a platform settlement is never cash flow (seed 000).
- the **revenue report** counts what was charged (charges − discounts − voided
  lines) for payers whose lines are the clinic's revenue: platform-order lines
  are settled by the platform and left out (seed 000).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.money import ZERO
from clinic.scheduling.availability import clinic_zone

from .models import PAYER_RULES, Bucket, Deposit, Entry, LedgerEntry, Method

REVENUE_PAYERS = [kind for kind, rules in PAYER_RULES.items() if rules.counts_as_revenue]
NON_CASH_PAYMENT_METHODS = [Method.DEPOSIT, Method.LOYALTY]


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants that begin ``first`` and end ``last`` in the clinic's time zone."""
    zone = clinic_zone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


@dataclass
class CashRow:
    method: str
    method_label: str
    cashier: str
    money_in: Decimal
    money_out: Decimal
    count: int

    @property
    def net(self) -> Decimal:
        return self.money_in + self.money_out


@dataclass
class CashReport:
    first: date
    last: date
    currency: str
    rows: list[CashRow] = field(default_factory=list)
    by_method: dict[str, Decimal] = field(default_factory=dict)
    # Paid from money received earlier (deposits, club credit): not cash flow, shown apart.
    non_cash: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((row.net for row in self.rows), ZERO)


def cash_report(first: date, last: date | None = None) -> CashReport:
    from clinic.services import clinic_currency

    last = last or first
    starts, ends = period_bounds(first, last)
    report = CashReport(first=first, last=last, currency=clinic_currency())
    labels = dict(Method.choices)
    moved = (
        LedgerEntry.objects.filter(created__gte=starts, created__lt=ends)
        .exclude(cash_flow=0)
        .values("method", "actor__full_name", "actor__email")
        .annotate(
            money_in=Coalesce(Sum("cash_flow", filter=Q(cash_flow__gt=0)), ZERO),
            money_out=Coalesce(Sum("cash_flow", filter=Q(cash_flow__lt=0)), ZERO),
            count=Count("id"),
        )
        .order_by("method", "actor__full_name")
    )
    for row in moved:
        cashier = row["actor__full_name"] or row["actor__email"] or "—"
        report.rows.append(
            CashRow(row["method"], labels.get(row["method"], row["method"]), cashier, row["money_in"],
                    row["money_out"], row["count"])
        )
        report.by_method[row["method"]] = report.by_method.get(row["method"], ZERO) + row["money_in"] + row[
            "money_out"]
    spent = (
        LedgerEntry.objects.filter(
            created__gte=starts, created__lt=ends, bucket=Bucket.DEBT, kind__in=[Entry.PAYMENT, Entry.REFUND],
            method__in=NON_CASH_PAYMENT_METHODS,
        )
        .values("method")
        .annotate(total=Sum("amount"))
    )
    for row in spent:
        report.non_cash[row["method"]] = -row["total"]
    return report


@dataclass
class RevenueRow:
    category: str
    practitioner: str
    lines: int
    amount: Decimal


@dataclass
class RevenueReport:
    first: date
    last: date
    currency: str
    rows: list[RevenueRow]

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)

    def by_category(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for row in self.rows:
            totals[row.category] = totals.get(row.category, ZERO) + row.amount
        return totals

    def by_practitioner(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for row in self.rows:
            totals[row.practitioner] = totals.get(row.practitioner, ZERO) + row.amount
        return totals


def revenue_report(first: date, last: date) -> RevenueReport:
    from clinic.services import clinic_currency

    starts, ends = period_bounds(first, last)
    rows = (
        LedgerEntry.objects.filter(
            created__gte=starts, created__lt=ends, bucket=Bucket.DEBT,
            kind__in=[Entry.CHARGE, Entry.DISCOUNT, Entry.VOID], account__kind__in=REVENUE_PAYERS,
        )
        .values(category=F("line__service__category__name"), practitioner=F("line__practitioner__full_name"))
        .annotate(amount=Sum("amount"), lines=Count("line", distinct=True, filter=Q(kind=Entry.CHARGE)))
        .order_by("category", "practitioner")
    )
    return RevenueReport(
        first=first,
        last=last,
        currency=clinic_currency(),
        rows=[RevenueRow(r["category"], r["practitioner"] or "—", r["lines"], r["amount"]) for r in rows],
    )


def unapplied_deposits():
    """Deposits with money left: a liability the clinic must see.

    Each with its patient, what remains, the days since it was received and the
    patient's last appointment date.
    """
    from clinic.scheduling.models import Appointment

    remaining = (
        LedgerEntry.objects.filter(deposit=OuterRef("pk"), bucket=Bucket.DEPOSIT)
        .values("deposit")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    last_appointment = (
        Appointment.objects.filter(patient=OuterRef("patient"), starts_at__lte=timezone.now())
        .order_by()
        .values("patient")
        .annotate(last=Max("starts_at"))
        .values("last")
    )
    deposits = (
        Deposit.objects.select_related("patient")
        .annotate(
            remaining=Coalesce(Subquery(remaining), Value(ZERO), output_field=DecimalField(max_digits=14,
                                                                                             decimal_places=2)),
            last_appointment=Subquery(last_appointment),
        )
        .filter(remaining__gt=0)
        .order_by("created")
    )
    zone = clinic_zone()
    today = timezone.now().astimezone(zone).date()
    rows = list(deposits)
    for deposit in rows:
        deposit.days_open = (today - deposit.created.astimezone(zone).date()).days
    return rows
