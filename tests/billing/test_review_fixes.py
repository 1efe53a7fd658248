"""Rules found in review: what they guard against is in each test's name."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing import ledger, statement
from billing.models import Method, Promotion
from billing.reports import clinic_today
from billing.services import (
    add_line,
    refund_payment,
    save_promotion,
    take_payment,
    update_billing_settings,
)
from clinic.errors import DomainError
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_visit_paid_towards_the_balance_cannot_be_paid_again(desk, open_visit):
    first, second = open_visit(), open_visit()
    add_line(first, service=desk["cleaning"], actor=desk["cashier"])  # 100
    add_line(second, service=desk["filling"], actor=desk["cashier"])  # 250
    take_payment(patient=desk["patient"], method=Method.CARD, amount="150", actor=desk["cashier"])
    # Towards the balance: the oldest visit first, so each visit's due stays true.
    from billing.services import patient_account

    account = patient_account(desk["patient"])
    assert ledger.visit_due(first, account) == 0 and ledger.visit_due(second, account) == D("200.00")
    with pytest.raises(DomainError, match="Nothing is due"):
        take_payment(patient=desk["patient"], visit=first, method=Method.CARD, amount="100", actor=desk["cashier"])
    take_payment(patient=desk["patient"], method=Method.CARD, amount="200", actor=desk["cashier"])
    with pytest.raises(DomainError, match="Nothing is due"):
        take_payment(patient=desk["patient"], visit=second, method=Method.CASH, amount="1", actor=desk["cashier"])
    assert ledger.balance(desk["patient"]) == 0


def test_a_refund_of_a_balance_payment_goes_back_to_the_visits_it_paid(desk, open_visit):
    from billing.services import patient_account

    first, second = open_visit(), open_visit()
    add_line(first, service=desk["cleaning"], actor=desk["cashier"])
    add_line(second, service=desk["filling"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], method=Method.CARD, amount="350", actor=desk["cashier"])
    refund_payment(payment, amount="300", reason="Plan changed", actor=desk["manager"])
    account = patient_account(desk["patient"])
    assert ledger.visit_due(second, account) == D("250.00") and ledger.visit_due(first, account) == D("50.00")
    assert ledger.balance(desk["patient"]) == D("300.00")


def test_a_credit_elsewhere_caps_a_visit_payment(desk, open_visit):
    from billing.services import void_line

    first, second = open_visit(), open_visit()
    line = add_line(first, service=desk["cleaning"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=first, method=Method.CARD, amount="100", actor=desk["cashier"])
    void_line(line, reason="not done", actor=desk["manager"])  # 100 in credit now
    add_line(second, service=desk["filling"], actor=desk["cashier"])
    with pytest.raises(DomainError, match="Only 150.00 EUR is due"):
        take_payment(patient=desk["patient"], visit=second, method=Method.CARD, amount="250", actor=desk["cashier"])


def test_a_doctor_sees_the_visit_but_not_its_money(desk, open_visit, client_for):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.CARD, amount="40", actor=desk["cashier"])
    doctor = client_for(make_staff("doctor"))
    page = doctor.get(f"/visits/{visit.pk}/").content.decode()
    assert "visit-payments" not in page and "still owes" not in page and "Still due from" not in page
    tab = doctor.get(f"/patients/{desk['patient'].pk}/statement/?tab=visits", **HTMX).content.decode()
    assert "210.00" not in tab and f"#{visit.number}" in tab


def test_the_timeline_leaves_money_out_before_it_counts(desk, open_visit):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    for _ in range(3):
        take_payment(patient=desk["patient"], visit=visit, method=Method.CARD, amount="10", actor=desk["cashier"])
    events, more = statement.timeline(desk["patient"], limit=2, money=False)
    assert [event.kind for event in events] == ["visit"] and not more
    events, more = statement.timeline(desk["patient"], limit=2)
    assert [event.kind for event in events] == ["payment", "payment"] and more


def test_an_impossible_older_events_date_is_a_404_not_a_500(desk, client_for):
    client = client_for(desk["cashier"])
    for before in ("2024-02-30T10:00:00%2B00:00", "2024-02-01T10:00:00", "yesterday"):
        response = client.get(f"/patients/{desk['patient'].pk}/statement/?tab=summary&before={before}&rows=1",
                              **HTMX)
        assert response.status_code == 404


def test_a_line_too_large_for_the_ledger_is_refused(desk, open_visit):
    visit = open_visit()
    with pytest.raises(DomainError, match="too large"):
        add_line(visit, service=desk["filling"], unit_price="999999999999", quantity=999, actor=desk["manager"])
    assert visit.lines.count() == 0


def test_points_on_a_very_large_payment(desk, open_visit):
    update_billing_settings(points_per_unit="1", point_value="1", actor=desk["manager"])
    visit = open_visit()
    add_line(visit, service=desk["filling"], unit_price="2500000000", actor=desk["manager"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.TRANSFER, amount="2500000000",
                 actor=desk["cashier"])
    assert ledger.points_balance(desk["patient"]) == 2_500_000_000


def test_refunding_club_credit_in_parts_never_returns_more_points_than_were_used(desk, open_visit):
    update_billing_settings(points_per_unit="1", point_value="3.34", actor=desk["manager"])
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method=Method.CARD, amount="100", actor=desk["cashier"])
    before = ledger.points_balance(desk["patient"])  # 100 earned
    credit = take_payment(patient=desk["patient"], visit=visit, method=Method.LOYALTY, amount="10",
                          actor=desk["cashier"])
    assert credit.points == 3
    refund_payment(credit, amount="5", reason="a", actor=desk["manager"])
    refund_payment(credit, amount="5", reason="b", actor=desk["manager"])
    assert ledger.points_balance(desk["patient"]) == before


def test_a_percent_promotion_keeps_its_decimals_in_a_currency_without_minor_units(desk, monkeypatch):
    monkeypatch.setattr("billing.services.promotions.clinic_currency", lambda: "IRR")
    today = clinic_today()
    promotion = save_promotion(None, actor=desk["manager"], data={
        "name": "Autumn", "kind": "percent", "value": D("12.5"), "valid_from": today, "valid_until": None})
    assert promotion.value == D("12.50")
    small = save_promotion(None, actor=desk["manager"], data={
        "name": "Tiny", "kind": "percent", "value": D("0.4"), "valid_from": today,
        "valid_until": today + timedelta(days=1)})
    assert small.value == D("0.40") and Promotion.objects.count() == 2
