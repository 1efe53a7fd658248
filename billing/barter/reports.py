"""The barter report: per agreement and per patient, the limit, its increases, what was
spent, what remains, and the lines charged in a period; two queries for all policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from billing import ledger
from billing.reports import revenue_period
from clinic.money import ZERO
from clinic.periods import period_bounds, period_from_params, period_params

from .models import Policy

MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class PolicyRow:
    policy: Policy
    limit: Decimal
    increases: Decimal
    spent: Decimal
    period_lines: int
    period_amount: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.limit - self.spent, ZERO)


@dataclass
class AgreementBar:
    """One agreement in the "spent against limit" chart: the sums of its rows in the table."""

    agreement: object
    limit: Decimal
    spent: Decimal
    currency: str
    limit_width: float = 0.0  # percent of the widest limit
    spent_width: float = 0.0

    @property
    def spent_percent(self) -> int:
        return int((self.spent * 100 / self.limit).to_integral_value()) if self.limit else 0


def spent_against_limit(agreements: Mapping) -> list[AgreementBar]:
    """Per agreement, the limit and the spending of its policies (the same rows as the table),
    with the bars' widths against the largest limit — drawn on the server, no chart script."""
    bars = [AgreementBar(agreement, sum((r.limit for r in rows), ZERO), sum((r.spent for r in rows), ZERO),
                         rows[0].policy.currency)
            for agreement, rows in agreements.items() if rows]
    widest = max([max(b.limit, b.spent) for b in bars], default=ZERO)
    for bar in bars:
        if widest:
            bar.limit_width = float(bar.limit * 100 / widest)
            bar.spent_width = float(bar.spent * 100 / widest)
    return bars


def barter_report(first: date, last: date) -> list[PolicyRow]:
    """Per policy: limit, increases, and what it spent ever and in the period (the ledger's
    ``coverage_use``, the same sums the policy page shows). Two queries."""
    starts, ends = period_bounds(first, last)
    from .models import LimitIncrease

    increases = (LimitIncrease.objects.filter(policy=OuterRef("pk")).order_by().values("policy")
                 .annotate(total=Sum("amount")).values("total"))
    policies = list(
        Policy.objects.select_related("agreement", "patient")
        .annotate(increases_total=Coalesce(Subquery(increases, output_field=MONEY), Value(ZERO),
                                           output_field=MONEY))
        .order_by("agreement__name", "number")
    )
    use = ledger.coverage_use([p.payer_id for p in policies], starts=starts, ends=ends)
    rows = []
    for p in policies:
        used = use.get(p.payer_id, ledger.CoverageUse())
        rows.append(PolicyRow(policy=p, limit=p.initial_limit + p.increases_total, increases=p.increases_total,
                              spent=used.spent, period_lines=used.period_lines, period_amount=used.period_amount))
    return rows


def barter_export_params(data: Mapping) -> dict:
    return period_params(*revenue_period(data))


def barter_export_rows(params: Mapping) -> Iterator[list]:
    first, last = period_from_params(params)
    yield [_("Agreement"), _("Patient"), _("Policy number"), _("Limit"), _("Increases"), _("Spent"),
           _("Remaining"), _("Lines charged in the period"), _("Charged in the period")]
    for row in barter_report(first, last):
        yield [str(row.policy.agreement), row.policy.patient.full_name, row.policy.number, row.limit,
               row.increases, row.spent, row.remaining, row.period_lines, row.period_amount]
    yield []
    yield [_("Period"), first, last]


def barter_export_count(params: Mapping) -> int:
    return Policy.objects.count() + 3
