"""Money reports: sums over the ledger, so they cannot disagree with a balance.

- the **cash report** is the movement of the clinic's till accounts (cash, card
  clearing, bank): payments and refunds in cash, by card or transfer, deposits
  received and returned. Deposit use and club credit spend money
  received earlier; a platform settlement is never cash flow (seed 000).
- the **revenue report** is the movement of the clinic's revenue accounts (charges
  − discounts − voided lines of payers whose lines are revenue): platform-order
  lines go to the platform clearing account instead (seed 000).
- **unapplied deposits**: money paid ahead and not used yet, the clinic's liability.

Each report also has what its page and its Excel export need: the period read
from a request (``cash_period``, ``revenue_period``) and the rows of the file
(``*_export_*``, the exporters of ``billing/exporters.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.money import ZERO
from clinic.periods import (  # noqa: F401 - re-exported
    MAX_PERIOD_DAYS,
    clinic_today,
    clinic_zone,
    month_shortcuts,
    month_so_far,
    parse_day,
    parse_period,
    period_bounds,
    period_from_params,
    period_params,
)

from .models import CASH_FLOW_METHODS, Book, Bucket, Deposit, Entry, LedgerEntry, Method

REVENUE_BOOKS = [Book.REVENUE, Book.REVENUE_BARTER, Book.REVENUE_PARTNER]
# Paid from money received earlier, never cash: a deposit, club credit, and a platform's cash
# voucher (its principal the patient paid on the platform, which owes it to the clinic).
NON_CASH_PAYMENT_METHODS = [Method.DEPOSIT, Method.LOYALTY, Method.CASH_VOUCHER]
NO_NAME = "—"


# --- periods: clinic/periods.py (re-exported: billing's callers read them here) ---------------


def cash_period(data: Mapping) -> tuple[date, date]:
    """The cash report's period: a ``day``, or ``first``/``last``; today by default."""
    today = clinic_today()
    return parse_period(data, default=(today, today), day_field="day")


def revenue_period(data: Mapping) -> tuple[date, date]:
    """The revenue report's period: ``first``/``last``; this month so far by default."""
    return parse_period(data, default=month_so_far())


# --- the cash report ---------------------------------------------------------------------


@dataclass
class CashRow:
    method: str
    method_label: str
    cashier: str
    money_in: Decimal
    money_out: Decimal  # negative, or zero
    count: int

    @property
    def net(self) -> Decimal:
        return self.money_in + self.money_out


@dataclass
class CashMethodTotal:
    """One payment method: its cashiers' rows and their sums."""

    method: str
    method_label: str
    rows: list[CashRow]

    @property
    def money_in(self) -> Decimal:
        return sum((row.money_in for row in self.rows), ZERO)

    @property
    def money_out(self) -> Decimal:
        return sum((row.money_out for row in self.rows), ZERO)

    @property
    def net(self) -> Decimal:
        return self.money_in + self.money_out

    @property
    def count(self) -> int:
        return sum(row.count for row in self.rows)


@dataclass
class CashReport:
    first: date
    last: date
    currency: str
    rows: list[CashRow] = field(default_factory=list)
    by_method: dict[str, Decimal] = field(default_factory=dict)
    # Paid from money received earlier (deposits, club credit): not cash flow, shown apart.
    non_cash: dict[str, Decimal] = field(default_factory=dict)
    non_cash_count: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((row.net for row in self.rows), ZERO)

    @property
    def money_in(self) -> Decimal:
        return sum((row.money_in for row in self.rows), ZERO)

    @property
    def money_out(self) -> Decimal:
        return sum((row.money_out for row in self.rows), ZERO)

    @property
    def count(self) -> int:
        return sum(row.count for row in self.rows)

    def methods(self) -> list[CashMethodTotal]:
        """The rows grouped by method, in the order of ``Method`` (cash, card, transfer)."""
        groups: dict[str, CashMethodTotal] = {}
        for row in self.rows:
            groups.setdefault(row.method, CashMethodTotal(row.method, row.method_label, [])).rows.append(row)
        return list(groups.values())

    def non_cash_rows(self) -> list[tuple[str, str, int, Decimal]]:
        """(method, label, count, amount) of what was paid from money received earlier."""
        labels = dict(Method.choices)
        return [
            (method, str(labels.get(method, method)), self.non_cash_count.get(method, 0), amount)
            for method, amount in sorted(self.non_cash.items(), key=lambda item: _method_order(item[0]))
        ]


def _method_order(method: str) -> int:
    try:
        return Method.values.index(method)
    except ValueError:
        return len(Method.values)


def _cashier_name(full_name: str | None, email: str | None) -> str:
    return full_name or email or NO_NAME


def cash_report(first: date, last: date | None = None) -> CashReport:
    """Money in and out by method and cashier over the days ``first``..``last``; and apart,
    what was paid from deposits and club credit.

    One pass over the period's ledger legs, grouped in the database: the movements
    on the clinic's till accounts (cash, card clearing, bank), and the payments and
    refunds made from money received earlier (a deposit, club credit). Its range
    scan uses the ``created`` index of the ledger.
    """
    from clinic.services import clinic_currency

    from .ledger import TILL

    last = last or first
    starts, ends = period_bounds(first, last)
    report = CashReport(first=first, last=last, currency=clinic_currency())
    moved = Q(book__in=list(TILL.values()))
    spent = Q(bucket=Bucket.DEBT, kind__in=[Entry.PAYMENT, Entry.REFUND], method__in=NON_CASH_PAYMENT_METHODS)
    groups = (
        LedgerEntry.objects.filter(created__gte=starts, created__lt=ends,
                                   method__in=[*CASH_FLOW_METHODS, *NON_CASH_PAYMENT_METHODS])
        .filter(moved | spent)
        .values("method", "actor_id", "actor__full_name", "actor__email")
        .annotate(
            money_in=Coalesce(Sum("amount", filter=moved & Q(amount__gt=0)), ZERO),
            money_out=Coalesce(Sum("amount", filter=moved & Q(amount__lt=0)), ZERO),
            # Counted on ``created`` (never null), which an index on it already holds.
            count=Count("created", filter=moved),
            spent=Coalesce(Sum("amount", filter=spent), ZERO),
            spent_count=Count("created", filter=spent),
        )
        .order_by()
    )
    labels = dict(Method.choices)
    for group in groups:
        method = group["method"]
        if group["count"]:
            report.rows.append(
                CashRow(method, str(labels.get(method, method)),
                        _cashier_name(group["actor__full_name"], group["actor__email"]),
                        group["money_in"], group["money_out"], group["count"])
            )
            report.by_method[method] = report.by_method.get(method, ZERO) + group["money_in"] + group["money_out"]
        if group["spent_count"]:
            # A payment's entry is negative on the debt, its refund positive: what was spent is minus their sum.
            report.non_cash[method] = report.non_cash.get(method, ZERO) - group["spent"]
            report.non_cash_count[method] = report.non_cash_count.get(method, 0) + group["spent_count"]
    report.rows.sort(key=lambda row: (_method_order(row.method), row.cashier.casefold()))
    return report


def cash_export_params(data: Mapping) -> dict:
    return period_params(*cash_period(data))


def cash_export_rows(params: Mapping) -> Iterator[list]:
    """The cash report as a sheet: a header, a row per method and cashier, each method's
    total, the grand total; then what was paid from money received earlier, and the period."""
    report = cash_report(*period_from_params(params))
    total = _("Total")
    yield [_("Method"), _("Cashier"), _("Money in"), _("Money out"), _("Net"), _("Count")]
    for group in report.methods():
        for row in group.rows:
            yield [row.method_label, row.cashier, row.money_in, row.money_out, row.net, row.count]
        yield [f"{total} · {group.method_label}", "", group.money_in, group.money_out, group.net, group.count]
    yield [total, "", report.money_in, report.money_out, report.total, report.count]
    non_cash = report.non_cash_rows()
    if non_cash:
        yield []
        yield [_("Paid from money received earlier (not cash)"), "", "", "", _("Amount"), _("Count")]
        for _method, label, count, amount in non_cash:
            yield [label, "", "", "", amount, count]
    yield []
    yield [_("Period"), report.first, report.last]


def cash_export_count(params: Mapping) -> int:
    return sum(1 for _row in cash_export_rows(params))


# --- the revenue report -------------------------------------------------------------------


@dataclass
class RevenueRow:
    category: str
    practitioner: str
    lines: int
    amount: Decimal


@dataclass
class RevenueSubtotal:
    name: str
    lines: int
    amount: Decimal
    share: Decimal  # percent of the total, for the bar; 0 when the total is not positive


@dataclass
class RevenueReport:
    first: date
    last: date
    currency: str
    rows: list[RevenueRow]

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)

    @property
    def lines(self) -> int:
        return sum(row.lines for row in self.rows)

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

    def category_groups(self) -> list[tuple[RevenueSubtotal, list[RevenueRow]]]:
        """The rows by category (in the rows' order), each with its subtotal."""
        subtotals = {subtotal.name: subtotal for subtotal in self.category_subtotals()}
        groups: dict[str, list[RevenueRow]] = {}
        for row in self.rows:
            groups.setdefault(row.category, []).append(row)
        return [(subtotals[name], rows) for name, rows in groups.items()]

    def category_subtotals(self) -> list[RevenueSubtotal]:
        return self._subtotals(lambda row: row.category)

    def practitioner_subtotals(self) -> list[RevenueSubtotal]:
        return self._subtotals(lambda row: row.practitioner)

    def _subtotals(self, key) -> list[RevenueSubtotal]:
        sums: dict[str, list] = {}
        for row in self.rows:
            entry = sums.setdefault(key(row), [0, ZERO])
            entry[0] += row.lines
            entry[1] += row.amount
        total = self.total
        subtotals = [
            RevenueSubtotal(name, lines, amount,
                            (amount * 100 / total).quantize(Decimal("0.1")) if total > 0 and amount > 0 else ZERO)
            for name, (lines, amount) in sums.items()
        ]
        return sorted(subtotals, key=lambda item: (-item.amount, item.name.casefold()))


def _revenue_entries(starts: datetime, ends: datetime):
    """The movements of the clinic's revenue accounts in a period (charges less discounts and
    voided lines of the payers whose lines are revenue)."""
    return LedgerEntry.objects.filter(created__gte=starts, created__lt=ends, book__in=REVENUE_BOOKS)


def revenue_report(first: date, last: date) -> RevenueReport:
    from clinic.services import clinic_currency

    starts, ends = period_bounds(first, last)
    rows = (
        _revenue_entries(starts, ends)
        .values(category=F("line__service__category__name"), practitioner=F("line__practitioner__full_name"))
        .annotate(amount=Sum("amount"), lines=Count("line", distinct=True, filter=Q(kind=Entry.CHARGE)))
        .order_by("category", "practitioner")
    )
    return RevenueReport(
        first=first,
        last=last,
        currency=clinic_currency(),
        rows=[RevenueRow(r["category"] or NO_NAME, r["practitioner"] or NO_NAME, r["lines"], r["amount"])
              for r in rows],
    )


@dataclass
class MonthRevenue:
    """One month of the revenue chart: per category and per practitioner, from that month's
    revenue report (so the chart and the reports cannot disagree)."""

    month: date
    report: RevenueReport
    categories: list[tuple[str, Decimal, float]] = field(default_factory=list)  # name, amount, width %
    practitioners: list[tuple[str, Decimal, float]] = field(default_factory=list)


def revenue_by_month(last: date, months: int = 6) -> list[MonthRevenue]:
    """The ``months`` calendar months up to the one of ``last`` (oldest first), each month's
    revenue by category and by practitioner, with bar widths against the largest month."""
    from calendar import monthrange

    from django.db.models.functions import TruncMonth

    from clinic.scheduling.availability import clinic_zone
    from clinic.services import clinic_currency

    firsts = []
    first = last.replace(day=1)
    for _month in range(months):
        firsts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    firsts.reverse()
    end = firsts[-1].replace(day=monthrange(firsts[-1].year, firsts[-1].month)[1])
    starts, ends = period_bounds(firsts[0], end)
    # One query for all the months: the revenue report's rows, by month in the clinic's zone.
    rows = (
        _revenue_entries(starts, ends)
        .annotate(month=TruncMonth("created", tzinfo=clinic_zone()))
        .values("month", category=F("line__service__category__name"),
                practitioner=F("line__practitioner__full_name"))
        .annotate(amount=Sum("amount"), lines=Count("line", distinct=True, filter=Q(kind=Entry.CHARGE)))
        .order_by("month", "category", "practitioner")
    )
    per_month: dict[date, list[RevenueRow]] = {first: [] for first in firsts}
    for r in rows:
        month = r["month"].date() if isinstance(r["month"], datetime) else r["month"]
        per_month.setdefault(month, []).append(
            RevenueRow(r["category"] or NO_NAME, r["practitioner"] or NO_NAME, r["lines"], r["amount"]))
    currency = clinic_currency()
    result = [MonthRevenue(first, RevenueReport(
        first=first, last=first.replace(day=monthrange(first.year, first.month)[1]), currency=currency,
        rows=per_month[first])) for first in firsts]
    widest = max([max(m.report.total, ZERO) for m in result], default=ZERO)
    for item in result:
        for attr, totals in (("categories", item.report.by_category()), ("practitioners", item.report.by_practitioner())):
            setattr(item, attr, [(name, amount, float(amount * 100 / widest) if widest and amount > 0 else 0.0)
                                 for name, amount in sorted(totals.items())])
    return result


def revenue_export_params(data: Mapping) -> dict:
    return period_params(*revenue_period(data))


def revenue_export_rows(params: Mapping) -> Iterator[list]:
    """The revenue report as a sheet: a header, a row per category and practitioner,
    the total, and the period."""
    report = revenue_report(*period_from_params(params))
    yield [_("Category"), _("Practitioner"), _("Lines"), _("Amount")]
    for row in report.rows:
        yield [row.category, row.practitioner, row.lines, row.amount]
    yield [_("Total"), "", report.lines, report.total]
    yield []
    yield [_("Period"), report.first, report.last]


def revenue_export_count(params: Mapping) -> int:
    return sum(1 for _row in revenue_export_rows(params))


# --- unapplied deposits -------------------------------------------------------------------


def unapplied_deposits():
    """Deposits with money left: a liability the clinic must see.

    Each with its patient, what remains, the days since it was received and the
    patient's last appointment (one that was not cancelled or missed) up to now.
    """
    from clinic.scheduling.models import LIVE_STATUSES, Appointment

    remaining = (
        LedgerEntry.objects.filter(deposit=OuterRef("pk"), bucket=Bucket.DEPOSIT)
        .values("deposit")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    last_appointment = (
        Appointment.objects.filter(patient=OuterRef("patient"), starts_at__lte=timezone.now(),
                                   status__in=LIVE_STATUSES)
        .order_by()
        .values("patient")
        .annotate(last=Max("starts_at"))
        .values("last")
    )
    deposits = (
        Deposit.objects.select_related("patient")
        .prefetch_related("patient__flags")
        .annotate(
            remaining=Coalesce(Subquery(remaining), Value(ZERO), output_field=DecimalField(max_digits=14,
                                                                                             decimal_places=2)),
            last_appointment=Subquery(last_appointment),
        )
        .filter(remaining__gt=0)
        .order_by("created", "id")
    )
    zone = clinic_zone()
    today = clinic_today()
    rows = list(deposits)
    for deposit in rows:
        deposit.days_open = (today - deposit.created.astimezone(zone).date()).days
    return rows


@dataclass
class DepositsReport:
    rows: list
    currency: str

    @property
    def total_remaining(self) -> Decimal:
        return sum((deposit.remaining for deposit in self.rows), ZERO)

    @property
    def total_amount(self) -> Decimal:
        return sum((deposit.amount for deposit in self.rows), ZERO)


def unapplied_deposits_report() -> DepositsReport:
    from clinic.services import clinic_currency

    return DepositsReport(rows=unapplied_deposits(), currency=clinic_currency())


def deposits_export_rows(params: Mapping) -> Iterator[list]:
    """Unapplied deposits as a sheet: a header, a row per deposit, the total remaining."""
    report = unapplied_deposits_report()
    zone = clinic_zone()
    yield [_("Patient"), _("Patient number"), _("Deposit"), _("Received"), _("Amount"), _("Remaining"),
           _("Days open"), _("Last appointment")]
    for deposit in report.rows:
        last = deposit.last_appointment.astimezone(zone).date() if deposit.last_appointment else None
        yield [deposit.patient.full_name, deposit.patient.number, deposit.number,
               deposit.created.astimezone(zone).date(), deposit.amount, deposit.remaining, deposit.days_open, last]
    yield [_("Total"), "", "", "", report.total_amount, report.total_remaining, "", ""]


def deposits_export_count(params: Mapping) -> int:
    # An upper bound (every deposit, used or not) is enough for the progress bar.
    return Deposit.objects.count() + 2
