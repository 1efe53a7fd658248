"""The revenue report's charts (by category and by practitioner, month by month) show the same
figures as each month's revenue report and as the table of figures beside them."""

import re
from datetime import date, datetime, time
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing import reports
from billing.services import add_line, open_visit
from tests.factories import PractitionerFactory, ServiceCategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Europe/Bucharest")


def charge(desk, service, day: date, practitioner=None):
    with mock.patch("django.utils.timezone.now", return_value=datetime.combine(day, time(12), tzinfo=ZONE)):
        visit = open_visit(patient=desk["patient"], location=desk["location"], practitioner=practitioner,
                           actor=desk["cashier"])
        add_line(visit, service=service, actor=desk["cashier"], practitioner=practitioner)


@time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=ZONE), tick=False)
def test_the_month_charts_have_the_reports_figures(desk, client_for):
    dental, lab = ServiceCategoryFactory(name="Dental"), ServiceCategoryFactory(name="Lab")
    filling = ServiceFactory(category=dental, price=Decimal("250.00"))
    blood = ServiceFactory(category=lab, price=Decimal("80.00"))
    doctor = PractitionerFactory(full_name="Dr Ana Rusu")
    charge(desk, filling, date(2026, 10, 3), doctor)
    charge(desk, blood, date(2026, 10, 20), doctor)
    charge(desk, filling, date(2026, 12, 1))
    charge(desk, filling, date(2026, 12, 2))
    html = client_for(desk["manager"]).get("/reports/revenue/?first=2026-12-01&last=2026-12-05").content.decode()
    chart = html.split('id="revenue-months-categories"', 1)[1].split("</figure>", 1)[0]
    months = re.findall(r'<div class="chart-row" data-month="(\d{4}-\d\d)">', chart)
    assert months == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    shown = {(m, name): Decimal(amount) for m, body in re.findall(
        r'<div class="chart-row" data-month="([\d-]+)">(.*?)</div>\s*<div class="chart-value', chart, flags=re.S)
        for name, amount in re.findall(r'data-name="([^"]+)" data-amount="([\d.-]+)"', body)}
    assert shown == {("2026-10", "Dental"): Decimal("250.00"), ("2026-10", "Lab"): Decimal("80.00"),
                     ("2026-12", "Dental"): Decimal("500.00")}
    for month, category in shown:
        first = date.fromisoformat(f"{month}-01")
        report = reports.revenue_report(first, first.replace(day=28))
        assert report.by_category()[category] == shown[(month, category)]
        cell = re.search(rf'<td class="num" data-name="{category}" data-month="{month}">([\d,.]+) EUR</td>', chart)
        assert Decimal(cell.group(1).replace(",", "")) == shown[(month, category)]  # the table beside
    # December is the largest month: its bar is the whole width.
    assert 'data-name="Dental" data-amount="500.00"' in chart and 'style="width: 100.00%"' in chart
    practitioners = html.split('id="revenue-months-practitioners"', 1)[1].split("</figure>", 1)[0]
    assert 'data-name="Dr Ana Rusu" data-amount="330.00"' in practitioners
