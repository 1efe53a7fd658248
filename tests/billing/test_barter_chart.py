"""The barter report's chart (spent against the limit, per agreement) shows the same figures
as the table beside it, in every language and in RTL (bars are widths from the start side)."""

import re
from decimal import Decimal

import pytest

from billing.barter.services import register_policy, review_policy, save_agreement
from billing.reports import clinic_today
from billing.services import add_line, open_visit
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def money_cells(html: str, agreement_name: str) -> list[tuple[Decimal, Decimal]]:
    """(limit, spent) of every patient row of one agreement in the table."""
    table = html.split('id="barter-report"', 1)[1]
    section = table.split(agreement_name, 1)[1].split('class="table-light"', 1)[0]
    rows = []
    for row in re.findall(r"<tr><td>.*?</tr>", section, flags=re.S):
        amounts = [Decimal(m.replace(",", "")) for m in re.findall(r'<td class="text-end[^"]*">([\d,]+\.\d\d) EUR', row)]
        rows.append((amounts[0], amounts[2]))  # limit, increases, spent, remaining, period
    return rows


def test_the_chart_has_the_tables_figures(desk, client_for):
    agreements = {}
    for name, limits, quantities in (("Radio Plus SRL", ("1000", "2000"), (2, 1)), ("TV Nord", ("500",), (3,))):
        agreement = save_agreement(None, actor=desk["manager"], data={
            "kind": "company", "name": name, "overspend": "company", "valid_from": clinic_today(),
            "categories": [desk["filling"].category]})
        for i, (limit, quantity) in enumerate(zip(limits, quantities, strict=True)):
            patient = PatientFactory()
            policy = review_policy(register_policy(agreement=agreement, patient=patient, number=f"{name[:2]}-{i}",
                                                   limit=limit, actor=desk["manager"]), actor=desk["manager"])
            visit = open_visit(patient=patient, location=desk["location"], actor=desk["cashier"])
            add_line(visit, service=desk["filling"], quantity=quantity, payer=policy.payer, actor=desk["cashier"])
        agreements[name] = agreement
    html = client_for(desk["manager"]).get("/barter/report/").content.decode()
    for name, agreement in agreements.items():
        row = re.search(rf'<div class="chart-row" data-agreement="{agreement.pk}" data-limit="([\d.]+)" '
                        rf'data-spent="([\d.]+)">', html)
        assert row, name
        table = money_cells(html, name)
        assert Decimal(row.group(1)) == sum(limit for limit, _spent in table)
        assert Decimal(row.group(2)) == sum(spent for _limit, spent in table)
    # Radio Plus: limit 3000, spent 750 (2 + 1 fillings at 250); TV Nord: its 500 used up (the
    # company pays beyond it), bars against the widest limit (3000).
    radio = html.split(f'data-agreement="{agreements["Radio Plus SRL"].pk}"', 1)[1].split("chart-value", 1)[0]
    assert 'style="width: 100.00%"' in radio and 'style="width: 25.00%"' in radio
    nord = html.split(f'data-agreement="{agreements["TV Nord"].pk}"', 1)[1].split("chart-value", 1)[0]
    assert nord.count('style="width: 16.67%"') == 2 and "100 %" in html.split(nord, 1)[1].split("</div>", 1)[0]


def test_the_chart_reads_in_persian(desk, client_for):
    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    register_policy(agreement=agreement, patient=desk["patient"], number="RP-1", limit="1000", actor=desk["manager"])
    client = client_for(desk["manager"])
    client.cookies["django_language"] = "fa"
    html = client.get("/barter/report/").content.decode()
    assert 'dir="rtl"' in html and 'id="barter-chart"' in html
    assert 'dir="auto"' in html.split('id="barter-chart"', 1)[1]  # a Latin name isolated in the RTL page
