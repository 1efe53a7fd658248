"""The partner statistics' charts (issue 15): bookings and commission per week per partner,
drawn by the vendored Chart.js from figures the page also shows as a table. The chart's
figures are the totals' (live bookings, commission on the booked value rounded per booking),
weeks begin on the language's first day of the week, and the JSON the chart reads is the
table beside it."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.http import QueryDict
from django.utils import translation

from partners import reports
from partners.services import cancel_booking
from tests.factories import make_staff
from tests.partners.test_partner_reports import book, booked_on

pytestmark = pytest.mark.django_db

PERIOD = "first=2026-03-01&last=2026-03-14"  # a Sunday to a Saturday


@pytest.fixture
def march(world, add_partner):
    """MedAsist (10 %): 400.00 booked on Monday 2 March, 150.00 on Wednesday 4 March, 400.00 on
    Tuesday 10 March, and one booked on Tuesday 3 March and cancelled. Call Centre Nord (5 %):
    550.00 on Wednesday 11 March."""
    first, first_member = add_partner(percent="10")
    second, second_member = add_partner("Call Centre Nord", "RO999", percent="5", locations=("there",))
    with booked_on(date(2026, 3, 2)):
        book(world, first_member, hour=10)
    with booked_on(date(2026, 3, 3)):
        cancelled = book(world, first_member, hour=11)
    cancel_booking(cancelled, by_name="Irina", reason="No longer needed")
    with booked_on(date(2026, 3, 4)):
        book(world, first_member, hour=12, services=("ecg",))
    with booked_on(date(2026, 3, 10)):
        book(world, first_member, hour=10)
    with booked_on(date(2026, 3, 11)):
        book(world, second_member, hour=10, location=world["there"], practitioner=world["other"],
             services=("consultation", "ecg"))
    return first, second


def chart_in(language):
    with translation.override(language):
        return reports.statistics_by_week(reports.clean_statistics(QueryDict(PERIOD)))


def test_the_chart_counts_what_the_totals_count(march):
    chart = chart_in("ro")
    totals = reports.statistics_totals(reports.clean_statistics(QueryDict(PERIOD)))
    assert chart.bookings == totals.live == 4
    assert chart.commission == totals.commission_booked == D("40.00") + D("15.00") + D("40.00") + D("27.50")


def test_weeks_begin_on_the_languages_first_day(march):
    first, second = march
    monday = chart_in("ro")  # Monday
    assert monday.weeks == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 9)]  # the first from the 1st
    assert [(p.partnership_id, p.bookings, p.commission) for p in monday.partners] == [
        (second.pk, [0, 0, 1], [D("0.00"), D("0.00"), D("27.50")]),  # by name: Call Centre Nord first
        (first.pk, [0, 2, 1], [D("0.00"), D("55.00"), D("40.00")]),
    ]
    sunday = chart_in("en")
    assert sunday.weeks == [date(2026, 3, 1), date(2026, 3, 8)]
    assert [p.bookings for p in sunday.partners] == [[0, 1], [2, 1]]
    saturday = chart_in("fa")
    assert saturday.weeks == [date(2026, 3, 1), date(2026, 3, 7), date(2026, 3, 14)]
    assert [p.bookings for p in saturday.partners] == [[0, 1, 0], [2, 1, 0]]


def test_one_partner_only(march):
    first, _second = march
    with translation.override("ro"):
        chart = reports.statistics_by_week(reports.clean_statistics(QueryDict(f"{PERIOD}&partner={first.pk}")))
    assert [p.partnership_id for p in chart.partners] == [first.pk] and chart.bookings == 3


def test_the_page_draws_the_chart_from_the_figures_of_its_table(march, client_for):
    client = client_for(make_staff("manager"))
    client.cookies["django_language"] = "en"
    html = client.get(f"/partners/statistics/?{PERIOD}").content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/charts.js" in html
    assert "<script>" not in html  # the figures are a JSON data block, no inline code
    data = json.loads(re.search(r'<script id="statistics-chart-data" type="application/json">(.*?)</script>',
                                html, re.S).group(1))
    assert data["labels"] == ["1 Mar", "8 Mar"]
    assert [series["name"] for series in data["series"]] == ["Call Centre Nord", "MedAsist SRL"]
    for key in ("bookings", "commission"):
        table = html[html.index(f'<table class="table table-sm small chart-table" data-series="{key}">'):]
        table = table[:table.index("</table>")]
        cells = re.findall(r'data-partner="(\d+)" data-week="([\d-]+)" data-value="([\d.]+)"', table)
        shown = [value for _partner, _week, value in cells]
        # Row by row (week), column by column (partner), as the JSON's series hold them.
        drawn = [str(series[key][week]) for week in range(len(data["labels"])) for series in data["series"]]
        assert shown == drawn
    assert data["series"][1]["commission_text"] == ["55.00 EUR", "40.00 EUR"]
    assert 'role="img" aria-labelledby="chart-bookings-title"' in html


def test_no_bookings_no_chart(world, client_for):
    client = client_for(make_staff("manager"))
    html = client.get(f"/partners/statistics/?{PERIOD}").content.decode()
    assert "statistics-chart-data" not in html and "No partner sent a booking in this period." in html


def test_the_front_desk_may_not_read_the_statistics(world, client_for):
    assert client_for(make_staff("front_desk")).get(f"/partners/statistics/?{PERIOD}").status_code == 403
