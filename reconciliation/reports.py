"""What the reconciliation screens and files show: the statements per platform with their totals,
a statement's and its differences' sheets, and the clinic's own channel reconciliation report
(seed 000, step 3: one row per redeemed order, one "purchase price" column per platform and
"cash-voucher principal", columns picked and ordered by the user, kept as named presets).

Every amount is the ledger's: a statement line holds what ``platforms.amounts`` said at
generation, and the channel report reads ``with_amounts`` itself; never an order's price.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import Method
from clinic.errors import DomainError
from clinic.periods import (
    clinic_zone,
    month_period,
    period_bounds,
    period_from_params,
    period_params,
    previous_month,
)
from platforms.amounts import with_amounts
from platforms.catalogue.models import Enrolment, Platform
from platforms.models import PlatformOrder

from .models import Category, MonthlyStatement, ReportPreset
from .statements import STATEMENT_STATUSES

ZERO = Decimal("0.00")
CASH_VOUCHER = "cash_voucher"


def enrolled_platforms() -> list[Platform]:
    """The platforms this clinic is enrolled with (approved), by name."""
    return list(Platform.objects.filter(enrolments__clinic_id=connection.tenant.pk,
                                        enrolments__status=Enrolment.Status.APPROVED).order_by("name", "pk"))


def statements_with_totals():
    """Statements annotated with their line count and sum (the ledger's amounts at generation)
    and how many differences of their latest import are still open."""
    return (MonthlyStatement.objects
            .annotate(line_count=Count("lines", distinct=True),
                      line_sum=Coalesce(Sum("lines__amount"), Value(ZERO),
                                        output_field=DecimalField(max_digits=14, decimal_places=2)))
            .select_related("verified_by"))


def statement_totals(statement: MonthlyStatement) -> tuple[int, Decimal]:
    figures = statement.lines.aggregate(count=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO)))
    return figures["count"], figures["total"]


@dataclass
class PlatformStatements:
    platform: Platform
    statements: list[MonthlyStatement]
    due_month: date
    due_exists: bool


def statements_overview(due_month: date) -> list[PlatformStatements]:
    """Per enrolled platform, its statements, newest first (two queries whatever the numbers)."""
    platforms = enrolled_platforms()
    by_platform: dict[int, list] = {platform.pk: [] for platform in platforms}
    for statement in statements_with_totals().filter(platform_id__in=list(by_platform)).order_by("-month"):
        by_platform[statement.platform_id].append(statement)
    return [PlatformStatements(platform, by_platform[platform.pk], due_month,
                               any(s.month == due_month for s in by_platform[platform.pk]))
            for platform in platforms]


def category_totals(upload) -> list[dict]:
    """The import's totals per category, in the categories' order, with their labels."""
    summary = upload.summary if upload is not None else {}
    rows = []
    for value, label in Category.choices:
        figures = summary.get(value)
        if figures:
            rows.append({"category": value, "label": label, "count": figures["count"],
                         "clinic": Decimal(figures["clinic"]), "platform": Decimal(figures["platform"])})
    return rows


# --- the statement's and the differences' sheets ------------------------------------------------


def statement_export_params(data: Mapping) -> dict:
    try:
        pk = int(data.get("statement") or "")
    except ValueError:
        pk = 0
    if not MonthlyStatement.objects.filter(pk=pk).exists():
        raise DomainError(_("No such statement."))
    return {"statement": pk}


def statement_export_rows(params: Mapping) -> Iterator[list]:
    """The monthly statement: a package's settlement price in its column, a cash voucher's face
    value under "cash-voucher principal" (as the platforms' and the seed's sheets have it)."""
    statement = MonthlyStatement.objects.select_related("platform").get(pk=params["statement"])
    yield [_("Platform order number"), _("Product"), _("Redeemed at"), _("Patient"), _("Settlement price"),
           _("Cash-voucher principal")]
    zone = clinic_zone()
    package_total = voucher_total = ZERO
    lines = statement.lines.order_by("redeemed_at", "id").values_list(
        "order_number", "product", "redeemed_at", "patient", "kind", "amount")
    for number, product, redeemed_at, patient, kind, amount in lines.iterator(chunk_size=5000):
        voucher = kind == CASH_VOUCHER
        if voucher:
            voucher_total += amount
        else:
            package_total += amount
        yield [number, product, timezone.localtime(redeemed_at, zone), patient,
               None if voucher else amount, amount if voucher else None]
    yield [_("Total"), "", "", "", package_total, voucher_total]


def statement_export_count(params: Mapping) -> int:
    return MonthlyStatement.objects.get(pk=params["statement"]).lines.count() + 2


def differences_export_rows(params: Mapping) -> Iterator[list]:
    from .statements import open_differences

    statement = MonthlyStatement.objects.get(pk=params["statement"])
    yield [_("Category"), _("Platform order number"), _("Clinic's amount"), _("Platform's amount"),
           _("Lines in the platform's file"), _("Resolution"), _("Note"), _("Resolved by"), _("Resolved")]
    zone = clinic_zone()
    for difference in open_differences(statement).select_related("resolved_by").iterator(chunk_size=5000):
        yield [difference.get_category_display(), difference.order_number, difference.clinic_amount,
               difference.platform_amount, difference.lines, difference.get_resolution_display(), difference.note,
               str(difference.resolved_by or ""),
               timezone.localtime(difference.resolved_at, zone) if difference.resolved_at else None]


def differences_export_count(params: Mapping) -> int:
    from .statements import open_differences

    return open_differences(MonthlyStatement.objects.get(pk=params["statement"])).count() + 1


# --- the channel reconciliation report ----------------------------------------------------------

BASE_COLUMNS = {
    "patient": gettext_lazy("Patient"),
    "order_number": gettext_lazy("Platform order number"),
    "product": gettext_lazy("Product"),
    "redeemed_at": gettext_lazy("Redeemed at"),
    "payment_method": gettext_lazy("Payment method"),
    "amount": gettext_lazy("Amount"),
}
DEFAULT_COLUMNS = ["patient", "order_number", "product", "payment_method", "amount"]


def platform_column(platform: Platform) -> str:
    return f"price:{platform.code}"


def report_columns(platforms: list[Platform] | None = None) -> dict[str, str]:
    """Every column the report can show, key -> heading: the order's, one purchase price per
    enrolled platform, and the cash-voucher principal."""
    platforms = enrolled_platforms() if platforms is None else platforms
    columns = {key: str(label) for key, label in BASE_COLUMNS.items()}
    for platform in platforms:
        columns[platform_column(platform)] = _("%(platform)s purchase price") % {"platform": platform.name}
    columns[CASH_VOUCHER] = str(Method.CASH_VOUCHER.label)
    return columns


def default_columns(available: Mapping[str, str]) -> list[str]:
    return DEFAULT_COLUMNS + [key for key in available if key.startswith("price:")] + [CASH_VOUCHER]


def clean_columns(keys, available: Mapping[str, str]) -> list[str]:
    """The picked columns in their order, each once; unknown ones are refused."""
    picked: list[str] = []
    for key in keys:
        if key not in available:
            raise DomainError(_("Unknown column: %(column)s.") % {"column": key}, field="columns")
        if key not in picked:
            picked.append(key)
    if not picked:
        raise DomainError(_("Pick at least one column."), field="columns")
    return picked


def columns_from(data: Mapping, available: Mapping[str, str]) -> list[str]:
    """The columns a form sent: ``col`` (the ticked ones) ordered by ``pos-<key>`` (a number
    the user typed; a column moved there goes before the one that was there, ``was-<key>``), the
    others after them in the order sent; or a preset's; or the defaults."""
    ticked = data.getlist("col") if hasattr(data, "getlist") else list(data.get("col") or [])
    if ticked:
        def position(key):
            try:
                typed = int(data.get(f"pos-{key}") or 0)
            except (TypeError, ValueError):
                typed = 0
            # A column moved to a taken position goes before the one that stood there.
            moved = bool(typed) and str(typed) != (data.get(f"was-{key}") or "")
            return (typed or 1000, not moved, ticked.index(key))

        return clean_columns(sorted(ticked, key=position), available)
    preset = data.get("preset")
    if preset:
        found = ReportPreset.objects.filter(pk=preset if str(preset).isdigit() else 0).first()
        if found is None:
            raise DomainError(_("No such preset."), field="preset")
        return clean_columns([key for key in found.columns if key in available], available)
    return default_columns(available)


def report_period(data: Mapping) -> tuple[date, date]:
    """The report's period: the days asked for, by default last month (the statement's)."""
    from clinic.periods import clinic_today, parse_period

    default = month_period(previous_month(clinic_today().replace(day=1)))
    return parse_period(data, default=default)


def report_orders(first: date, last: date):
    """The orders redeemed in the period, with what the ledger says each platform owes."""
    starts, ends = period_bounds(first, last)
    return with_amounts(PlatformOrder.objects.filter(status__in=STATEMENT_STATUSES, redeemed_at__gte=starts,
                                                     redeemed_at__lt=ends)
                        .select_related("platform", "product", "patient").order_by("redeemed_at", "id"))


def report_cells(order: PlatformOrder, columns: list[str], *, localise=None) -> list:
    voucher = order.kind == CASH_VOUCHER
    cells = []
    for key in columns:
        if key == "patient":
            cells.append(order.patient.full_name if order.patient_id else order.customer_name)
        elif key == "order_number":
            cells.append(order.number)
        elif key == "product":
            cells.append(order.product.name)
        elif key == "redeemed_at":
            cells.append(timezone.localtime(order.redeemed_at, clinic_zone()))
        elif key == "payment_method":
            cells.append(str(Method.CASH_VOUCHER.label) if voucher else order.platform.name)
        elif key == "amount":
            cells.append(order.owed)
        elif key == CASH_VOUCHER:
            cells.append(order.owed if voucher else None)
        else:  # a platform's purchase price
            cells.append(order.owed if not voucher and key == f"price:{order.platform.code}" else None)
    return cells


def report_totals(orders, columns: list[str]) -> dict[str, Decimal]:
    """The sums of the money columns over the whole period (one query)."""
    sums = {"amount": Sum("owed"), CASH_VOUCHER: Sum("owed", filter=Q(kind=CASH_VOUCHER))}
    for key in columns:
        if key.startswith("price:"):
            sums[key] = Sum("owed", filter=Q(platform__code=key[6:]) & ~Q(kind=CASH_VOUCHER))
    wanted = {key.replace(":", "__"): expression for key, expression in sums.items() if key in columns}
    if not wanted:
        return {}
    figures = orders.order_by().aggregate(**wanted)
    return {key: figures[key.replace(":", "__")] or ZERO for key in columns if key.replace(":", "__") in figures}


def channel_report_params(data: Mapping) -> dict:
    first, last = report_period(data)
    columns = columns_from(data, report_columns())
    return {**period_params(first, last), "columns": columns}


def channel_report_rows(params: Mapping) -> Iterator[list]:
    available = report_columns()
    columns = [key for key in params["columns"] if key in available]
    first, last = period_from_params(params)
    orders = report_orders(first, last)
    yield [available[key] for key in columns]
    for order in orders.iterator(chunk_size=5000):
        yield report_cells(order, columns)
    totals = report_totals(orders, columns)
    if totals:
        yield [totals.get(key, _("Total") if index == 0 else None) for index, key in enumerate(columns)]


def channel_report_count(params: Mapping) -> int:
    first, last = period_from_params(params)
    return report_orders(first, last).count() + 2


def save_preset(name: str, columns: list[str], *, actor) -> ReportPreset:
    """Keep the columns under ``name`` (a preset of that name is replaced)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Name the preset."), field="name")
    columns = clean_columns(columns, report_columns())
    preset, _created = ReportPreset.objects.update_or_create(name=name[:100],
                                                             defaults={"columns": columns, "created_by": actor})
    return preset
