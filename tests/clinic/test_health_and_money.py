from decimal import Decimal

import pytest

from clinic.money import Money, parse_amount, round_money

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_redis(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz", HTTP_HOST="10.0.0.5")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "not configured", "worker": "not configured", "status": "ok"}


def test_healthz_is_503_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz", HTTP_HOST="alpha.localhost")
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"


def test_money_rounds_half_up_to_the_minor_unit():
    assert round_money(Decimal("2.345"), "EUR") == Decimal("2.35")
    assert round_money(Decimal("2.344"), "EUR") == Decimal("2.34")
    assert round_money(Decimal("1500.5"), "IRR") == Decimal("1501")
    assert Money(Decimal("1.005"), "EUR").amount == Decimal("1.01")
    with pytest.raises(ValueError):
        Money(Decimal("1"), "EUR") + Money(Decimal("1"), "RUB")


@pytest.mark.parametrize(
    "text, value",
    [("1 234,50", "1234.50"), ("1,234.50", "1234.50"), ("1234.5", "1234.5"), ("1.234,5", "1234.5"), ("12", "12")],
)
def test_amounts_typed_by_people_are_parsed(text, value):
    assert parse_amount(text) == Decimal(value)


def test_nonsense_amounts_are_refused():
    for text in ("abc", "NaN", "Infinity", ""):
        with pytest.raises(ValueError):
            parse_amount(text)


def test_money_is_shown_in_the_clinics_locale(tenant):
    from django.utils import translation

    from clinic.templatetags.ui import money

    with translation.override("en"):
        assert money(Decimal("1234.5")) == "1,234.50 EUR"
    with translation.override("ru"):
        assert money(Decimal("1234.5")) == "1\xa0234,50 EUR"
