"""Money: Decimal amounts with a currency, rounded ROUND_HALF_UP to the minor unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 codes the product serves, with their minor units in everyday use.
CURRENCIES: dict[str, int] = {
    "CNY": 2,
    "EUR": 2,
    "GBP": 2,
    "IRR": 0,
    "KZT": 2,
    "MDL": 2,
    "RON": 2,
    "RUB": 2,
    "UAH": 2,
    "USD": 2,
}

ZERO = Decimal("0.00")


def minor_unit(currency: str) -> int:
    return CURRENCIES[currency]


def round_money(amount: Decimal | int | str, currency: str | None = None) -> Decimal:
    """Round to the currency's minor unit (two places when no currency is given)."""
    places = minor_unit(currency) if currency else 2
    quantum = Decimal(1).scaleb(-places)
    return Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Parse a user-typed amount ("1 234,50", "1,234.50", "1234.5"); raise ValueError."""
    cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in cleaned and "." in cleaned:
        # The right-most separator is the decimal one.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if self.currency not in CURRENCIES:
            raise ValueError(f"Unknown currency {self.currency}")
        object.__setattr__(self, "amount", round_money(self.amount, self.currency))

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError("Amounts in different currencies cannot be combined.")

    def __str__(self):
        return f"{self.amount} {self.currency}"
