"""What every billing operation shares: reading an amount, the clinic's currency, the day."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.money import round_money
from clinic.scheduling.states import ATTENDED
from clinic.services import clinic_currency
from clinic.templatetags.ui import money as format_money

from ..models import (
    Method,
)

HUNDRED = Decimal(100)
# Methods a coverage pays with, never taken or refunded at the cashier: a platform's
# settlement, a platform's cash voucher.
COVERAGE_METHODS = (Method.PLATFORM_SETTLEMENT, Method.CASH_VOUCHER)
# Appointment statuses a visit can be opened from: scheduling's state machine says which.
VISIT_STATUSES = ATTENDED


def _amount(value, currency: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter an amount."), field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount."), field=field)
    amount = round_money(amount, currency)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError(_("Enter an amount greater than zero."), field=field)
    if amount >= Decimal("1e12"):
        raise DomainError(_("This amount is too large."), field=field)
    return amount


# The check of an amount typed by a person, public for the apps above billing (barter).
parse_amount = _amount


def whole_quantity(value) -> int:
    """A line's or a plan item's quantity: a whole number from 1 to 999, or a refusal on the field."""
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number of at least 1."), field="quantity") from None
    if quantity < 1 or quantity > 999:
        raise DomainError(_("Enter a whole number of at least 1."), field="quantity")
    return quantity


def _check_currency(currency: str) -> str:
    clinic = clinic_currency()
    if currency and currency != clinic:
        raise DomainError(
            _("This clinic takes payments in %(currency)s only.") % {"currency": clinic}, field="currency"
        )
    return clinic


def _shown(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def clinic_today():
    """Today in the clinic's time zone, whoever calls (a request, a task, a test)."""
    from ..reports import clinic_today as today

    return today()
