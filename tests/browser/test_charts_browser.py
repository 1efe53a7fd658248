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
