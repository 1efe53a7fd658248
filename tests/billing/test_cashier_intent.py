"""Money goes where the receptionist means it: the cashier defaults to the visit at the desk,
pays the balance only when chosen and says first which visits a payment settles; one
payment in two methods with one receipt; deposits and their returns have receipts."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing import ledger
from billing.documents import deposit_returns
from billing.models import Payment, Visit
from billing.services import add_line, close_visit, open_visit, receive_deposit, refund_deposit, take_payment

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


@pytest.fixture
def two_visits(desk):
    """An older closed visit still owing 100 and today's open visit owing 250, 100 of it paid in cash."""
    old = open_visit(patient=desk["patient"], location=desk["location"], actor=desk["cashier"])
    add_line(old, service=desk["cleaning"], actor=desk["cashier"])
    close_visit(old, actor=desk["cashier"])
    Visit.objects.filter(pk=old.pk).update(opened_at=timezone.now() - timedelta(days=30))
    today = open_visit(patient=desk["patient"], location=desk["location"], actor=desk["cashier"])
    add_line(today, service=desk["filling"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=today, method="cash", amount="100", actor=desk["cashier"])
    return old, today


def test_the_cashier_opened_from_the_panel_defaults_to_the_open_visit_and_says_what_it_settles(
        desk, two_visits, client_for):
    old, today = two_visits
    client = client_for(desk["cashier"])
    html = client.get(f"/patients/{desk['patient'].pk}/cashier/", **HTMX).content.decode()
    assert f'<option value="{today.pk}" selected>' in html
    assert 'value="150.00"' in html  # what today's visit still owes
    assert f"Visit #{today.number} of" in html and f"Visit #{old.number} of" not in html.split("cashier-settles")[1]
    response = client.post(f"/patients/{desk['patient'].pk}/cashier/",
                           {"visit": today.pk, "method": "card", "amount": "150"}, **HTMX)
    assert response.status_code == 200
    assert ledger.visit_due(today, Payment.objects.first().payer) == 0
    assert ledger.dues_by_visit(desk["patient"])[old.pk] == D("100.00")


def test_the_balance_is_paid_only_when_chosen(desk, two_visits, client_for):
    old, today = two_visits
    client = client_for(desk["cashier"])
    response = client.post(f"/patients/{desk['patient'].pk}/cashier/", {"method": "card", "amount": "150"}, **HTMX)
    assert response.status_code == 422
    assert "Choose the visit this pays, or the patient&#x27;s balance." in response.content.decode()
    assert Payment.objects.count() == 1
    preview = client.get(f"/patients/{desk['patient'].pk}/cashier/?settles=1&visit=balance&amount=120",
                         **HTMX).content.decode()
    assert f"Visit #{old.number} of" in preview and "all it owes" in preview
    assert f"Visit #{today.number} of" in preview and "of 150.00 EUR owed" in preview
    client.post(f"/patients/{desk['patient'].pk}/cashier/", {"visit": "balance", "method": "card", "amount": "120"},
                **HTMX)
    dues = ledger.dues_by_visit(desk["patient"])
    assert dues[old.pk] == 0 and dues[today.pk] == D("130.00")


def test_a_visit_page_cashier_is_for_that_visit_even_when_another_is_open(desk, two_visits, client_for):
    old, today = two_visits
    html = client_for(desk["cashier"]).get(f"/patients/{desk['patient'].pk}/statement/?cashier={old.pk}",
                                           **HTMX).content.decode()
    assert f'<option value="{old.pk}" selected>' in html and 'value="100.00"' in html


def test_one_payment_in_cash_with_change_and_by_card_has_one_receipt_listing_both(desk, two_visits, client_for):
    _old, today = two_visits
    client = client_for(desk["cashier"])
    response = client.post(f"/patients/{desk['patient'].pk}/cashier/", {
        "visit": today.pk, "method": "cash", "amount": "50", "tendered": "100",
        "method_2": "card", "amount_2": "100"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "of 150.00 EUR taken" in html and "Change: 50.00 EUR." in html
    cash, card = Payment.objects.filter(visit=today, cashier=desk["cashier"]).order_by("id")[1:]
    assert (cash.method, cash.change, card.method, card.part_of) == ("cash", D("50.00"), "card", cash)
    assert ledger.dues_by_visit(desk["patient"])[today.pk] == 0
    for payment in (cash, card):  # either part opens the one receipt
        text = pdf_text(client.get(f"/payments/{payment.pk}/receipt.pdf").getvalue())
        assert f"Receipt #{cash.number}" in text and "Cash" in text and "Card" in text
        assert "150.00" in text and "Change given" in text


def test_parts_adding_up_to_more_than_is_due_save_nothing(desk, two_visits, client_for):
    _old, today = two_visits
    response = client_for(desk["cashier"]).post(f"/patients/{desk['patient'].pk}/cashier/", {
        "visit": today.pk, "method": "cash", "amount": "100", "method_2": "card", "amount_2": "100"}, **HTMX)
    assert response.status_code == 422
    assert "the parts add up to 200.00 EUR" in response.content.decode()
    assert Payment.objects.count() == 1


def test_a_deposit_and_its_return_have_receipts(desk, client_for):
    client = client_for(desk["manager"])
    response = client.post(f"/patients/{desk['patient'].pk}/deposits/new/",
                           {"amount": "300", "method": "cash", "note": "Implant"}, **HTMX)
    deposit = desk["patient"].deposits.get()
    assert f"/deposits/{deposit.pk}/receipt.pdf" in response.content.decode()
    text = pdf_text(client.get(f"/deposits/{deposit.pk}/receipt.pdf").getvalue())
    assert f"Deposit #{deposit.number}: receipt" in text and "300.00" in text and "Implant" in text
    response = client.post(f"/deposits/{deposit.pk}/refund/", {"amount": "120", "reason": "moving"}, **HTMX)
    returned = deposit_returns(deposit).get()
    assert f"/deposits/{deposit.pk}/returns/{returned.pk}/receipt.pdf" in response.content.decode()
    text = pdf_text(client.get(f"/deposits/{deposit.pk}/returns/{returned.pk}/receipt.pdf").getvalue())
    assert f"Deposit #{deposit.number}: refund" in text and "120.00" in text and "moving" in text
    tab = client.get(f"/patients/{desk['patient'].pk}/statement/?tab=deposits", **HTMX).content.decode()
    assert f"/deposits/{deposit.pk}/receipt.pdf" in tab and f"/returns/{returned.pk}/receipt.pdf" in tab


def test_another_deposits_return_is_not_found(desk, client_for):
    first = receive_deposit(patient=desk["patient"], amount="10", method="cash", actor=desk["manager"])
    second = receive_deposit(patient=desk["patient"], amount="10", method="cash", actor=desk["manager"])
    refund_deposit(first, amount="5", reason="x", actor=desk["manager"])
    entry = deposit_returns(first).get()
    assert client_for(desk["manager"]).get(f"/deposits/{second.pk}/returns/{entry.pk}/receipt.pdf").status_code == 404
