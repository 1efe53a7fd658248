"""The demo's reconciliation (seed 000, section 十): statements of the earlier months generated,
checked against the platforms' own and verified, ready to settle; last month's left for the
manager to generate, with the platform's statement of it written beside the demo's data
(``var/demo/``) with a difference of every kind; an off-cycle settlement window (December is
not a settlement month) and the operator's consumables shop."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from clinic.periods import clinic_today, month_period, next_month, previous_month

DEMO_FILES = Path(settings.BASE_DIR) / "var" / "demo"
SHOP = [("Nitrile gloves, box of 100", "45.00"), ("Disposable prophylaxis angles, 100", "120.00"),
        ("Fluoride varnish, 50 doses", "260.00"), ("Impression alginate, 500 g", "38.00")]


def platform_file(statement_lines, *, month: date, plant: bool) -> bytes:
    """A platform's statement as platforms send them: a title row, Chinese headers, amounts as
    "¥" text, a totals row; with ``plant``, one difference of each kind."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([f"流量大使对账单 {month:%Y}年{month.month}月"])
    sheet.append(["序号", "渠道订单号", "产品名称", "核销时间", "结算金额"])
    lines = list(statement_lines)
    rows = [[line.order_number, line.product, line.redeemed_at.date().isoformat(), line.amount] for line in lines]
    if plant and len(rows) >= 3:
        rows[0][3] = rows[0][3] - Decimal("20.00")  # amount differs
        rows.append(list(rows[1]))  # duplicated on the platform's side
        del rows[2]  # only on the clinic's side
        rows.append([f"{month:%Y%m}99990001", "口腔检查套餐", f"{month:%Y-%m}-15", Decimal("180.00")])  # platform only
    total = Decimal("0.00")
    for index, (number, product, day, amount) in enumerate(rows, start=1):
        sheet.append([index, number, product, day, f"¥{amount:,.2f}"])
        total += amount
    sheet.append(["合计", None, None, None, f"¥{total:,.2f}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def seed_reconciliation(clinic, manager) -> list[Path]:
    """Idempotent. Returns the platform files written for last month."""
    from platforms.catalogue.models import Enrolment, Platform
    from reconciliation.models import MonthlyStatement
    from reconciliation.payouts.models import SettlementWindow, ShopItem
    from reconciliation.statements import generate_statement, import_platform_statement, verify_statement

    today = clinic_today()
    last = previous_month(today.replace(day=1))
    earlier = [previous_month(previous_month(last)), previous_month(last)]
    platforms = Platform.objects.filter(enrolments__clinic_id=clinic.pk, enrolments__status=Enrolment.Status.APPROVED)
    written = []
    for platform in platforms:
        for month in earlier:
            if MonthlyStatement.objects.filter(platform=platform, month=month).exists():
                continue
            statement, _created = generate_statement(platform, month, actor=manager,
                                                     today=next_month(month) + timedelta(days=2))
            content = platform_file(statement.lines.all(), month=month, plant=False)
            import_platform_statement(statement, file_name=f"{platform.code}-{month:%Y-%m}.xlsx", content=content,
                                      actor=manager, skip_lines={statement.lines.count() + 3})
            verify_statement(statement, actor=manager)
        # Last month: the manager generates it; the platform's file waits in var/demo.
        from clinic.periods import period_bounds
        from platforms.amounts import with_amounts
        from platforms.models import PlatformOrder

        starts, ends = period_bounds(*month_period(last))
        orders = with_amounts(PlatformOrder.objects.filter(platform=platform, status="redeemed",
                                                           redeemed_at__gte=starts, redeemed_at__lt=ends)
                              .select_related("product").order_by("redeemed_at"))
        lines = [_Line(o.number, o.product.name, o.redeemed_at, o.owed) for o in orders]
        before = PlatformOrder.objects.filter(platform=platform, status="redeemed", redeemed_at__lt=starts).first()
        if before is not None:  # the platform lists an order redeemed the month before: another month's
            lines.append(_Line(before.number, before.product.name, starts, before.price))
        DEMO_FILES.mkdir(parents=True, exist_ok=True)
        path = DEMO_FILES / f"{platform.code}-statement-{last:%Y-%m}.xlsx"
        path.write_bytes(platform_file(lines, month=last, plant=True))
        written.append(path)
    with schema_context("public"):
        if not SettlementWindow.objects.filter(clinic=clinic, closes_on__gte=today).exists():
            SettlementWindow.objects.create(clinic=clinic, opens_on=today - timedelta(days=1),
                                            closes_on=today + timedelta(days=30),
                                            reason="Demo: a settlement outside January, April, July and October")
        if not ShopItem.objects.exists():
            for name, price in SHOP:
                ShopItem.objects.create(name=name, price=Decimal(price), currency=clinic.currency)
    connection.set_tenant(clinic)
    return written


class _Line:
    def __init__(self, order_number, product, redeemed_at, amount):
        self.order_number, self.product, self.redeemed_at, self.amount = order_number, product, redeemed_at, amount
