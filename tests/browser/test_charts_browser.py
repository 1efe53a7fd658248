"""Charts drawn on the server read in every language and right to left: the barter report's
"spent against the limit" and the revenue report's months in Persian, their bars growing from the
right. Screenshots for the README."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def build(unique: str):
    from billing.barter.services import register_policy, review_policy, save_agreement
    from billing.reports import clinic_today
    from billing.services import add_line, open_visit
    from tests.factories import LocationFactory, PatientFactory, ServiceFactory, make_staff

    manager = make_staff("manager")
    service = ServiceFactory(price=Decimal("250.00"))
    agreement = save_agreement(None, actor=manager, data={
        "kind": "company", "name": f"Radio Plus {unique[:4]}", "overspend": "company",
        "valid_from": clinic_today(), "services": [service]})
    patient = PatientFactory()
    policy = review_policy(register_policy(agreement=agreement, patient=patient, number=f"RP-{unique[:4]}",
                                           limit="1000", actor=manager), actor=manager)
    visit = open_visit(patient=patient, location=LocationFactory(), actor=manager)
    add_line(visit, service=service, quantity=2, payer=policy.payer, actor=manager)
    return agreement.pk


def test_the_barter_chart_in_persian(page, make_alpha_staff, committed, unique, alpha_url, screenshot):
    agreement = committed(lambda: build(unique))
    log_in(page, make_alpha_staff("manager").email)
    host = alpha_url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "fa", "domain": host, "path": "/"}])
    page.goto("/barter/report/")
    row = page.locator(f'#barter-chart .chart-row[data-agreement="{agreement}"]')
    expect(row).to_be_visible()
    assert row.get_attribute("data-spent") == "500.00"
    track = row.locator(".chart-track").bounding_box()
    spent = row.locator(".chart-spent").bounding_box()
    # Right to left: the bar starts at the track's right end.
    assert abs((spent["x"] + spent["width"]) - (track["x"] + track["width"])) < 2 and spent["width"] > 10
    page.locator("#barter-chart").scroll_into_view_if_needed()
    screenshot(page, "barter-chart-fa.png")

    # The revenue report's month-by-month charts, in Persian too: this month's bar from the right.
    page.goto("/reports/revenue/")
    chart = page.locator("#revenue-months-categories")
    expect(chart.locator(".chart-row")).to_have_count(6)
    segment = chart.locator(".chart-row").last.locator(".chart-segment").first
    expect(segment).to_be_visible()
    track = chart.locator(".chart-row").last.locator(".chart-track").bounding_box()
    box = segment.bounding_box()
    assert abs((box["x"] + box["width"]) - (track["x"] + track["width"])) < 2
    chart.scroll_into_view_if_needed()
    screenshot(page, "revenue-months-fa.png")


from tests.browser.test_partner_statistics_browser import partner_bookings  # noqa: E402,F401 - the fixture

CHART_FIGURES = """canvas => {
  const chart = Chart.getChart(canvas);
  return chart && {labels: chart.data.labels, series: chart.data.datasets.map(d => [d.label, d.data]),
                   reverse: !!chart.options.scales.x.reverse, yPosition: chart.options.scales.y.position};
}"""


def table_figures(page, key: str) -> list[list[float]]:
    """The figures table beside a chart: per partner (column), its value per week (row)."""
    rows = page.locator(f'table.chart-table[data-series="{key}"] tbody tr')
    columns = []
    for row in range(rows.count()):
        for column, cell in enumerate(rows.nth(row).locator("td").all()):
            if len(columns) <= column:
                columns.append([])
            columns[column].append(float(cell.get_attribute("data-value")))
    return columns


def test_the_partner_statistics_charts_in_english_and_persian(page, make_alpha_staff, partner_bookings,  # noqa: F811
                                                              screenshot):
    world = partner_bookings
    log_in(page, make_alpha_staff("manager").email)
    page.goto(f"/partners/statistics/?partner={world['partnership_id']}")
    bookings = page.locator('canvas[data-series="bookings"]')
    expect(bookings).to_have_attribute("data-drawn", "1")
    drawn = bookings.evaluate(CHART_FIGURES)
    # The chart holds the table's figures, and they add up to the page's totals.
    assert [data for _name, data in drawn["series"]] == table_figures(page, "bookings")
    assert [name for name, _data in drawn["series"]] == [world["partner"]]
    assert sum(drawn["series"][0][1]) == 2 == int(page.locator("#total-bookings").inner_text())
    commission = page.locator('canvas[data-series="commission"]').evaluate(CHART_FIGURES)
    assert [data for _name, data in commission["series"]] == table_figures(page, "commission")
    assert sum(commission["series"][0][1]) == 80.0  # what #total-commission-booked says: 80.00 EUR
    expect(page.locator("#total-commission-booked")).to_have_text("80.00 EUR")
    assert not drawn["reverse"] and drawn["yPosition"] == "left"
    box = bookings.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    page.locator("#statistics-charts").scroll_into_view_if_needed()
    screenshot(page, "partner-statistics-chart.png")

    # In Persian the weeks run right to left, the axis stands on the right, labels in Persian.
    host = page.url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "fa", "domain": host, "path": "/"}])
    page.reload()
    expect(bookings).to_have_attribute("data-drawn", "1")
    drawn = bookings.evaluate(CHART_FIGURES)
    assert drawn["reverse"] and drawn["yPosition"] == "right"
    headers = page.locator('table.chart-table[data-series="bookings"] tbody th').all_text_contents()
    assert drawn["labels"] == headers
    assert [data for _name, data in drawn["series"]] == table_figures(page, "bookings")
    page.set_viewport_size({"width": 375, "height": 800})  # on a phone the charts fit the screen
    # Chart.js redraws at the new width (it watches its box): the bars fit the phone's screen.
    page.wait_for_function("() => document.querySelector('#chart-bookings canvas').getBoundingClientRect().width < 375")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#statistics-charts").scroll_into_view_if_needed()
    screenshot(page, "partner-statistics-chart-fa.png")
