"""Promotions and the customer club's settings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.services import clinic_currency

from ..models import (
    BillingSettings,
    Promotion,
)
from ._common import (
    _amount,
)

# --- promotions, settings ------------------------------------------------------------------


def save_promotion(promotion: Promotion | None, *, actor, data: dict) -> Promotion:
    promotion = promotion or Promotion()
    kind = data.get("kind")
    if kind not in Promotion.Kind.values:
        raise DomainError(_("Choose percent or a fixed amount."), field="kind")
    if kind == Promotion.Kind.PERCENT:  # a percent has two decimals, whatever the currency's minor unit
        value = _amount(data.get("value"), "", field="value")
        if value > 100:
            raise DomainError(_("Enter a percent from 0 to 100."), field="value")
    else:
        value = _amount(data.get("value"), clinic_currency(), field="value")
    if data.get("service") and data.get("category"):
        raise DomainError(_("Choose a service or a category, not both."), field="category")
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if valid_from is None:
        raise DomainError(_("Enter the first day."), field="valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("The last day is before the first."), field="valid_until")
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    promotion.name = name[:120]
    promotion.kind = kind
    promotion.value = value
    promotion.service = data.get("service")
    promotion.category = data.get("category")
    promotion.valid_from, promotion.valid_until = valid_from, valid_until
    promotion.is_active = data.get("is_active", True)
    with transaction.atomic():
        promotion.save()
    return promotion


def update_billing_settings(*, points_per_unit, point_value, actor) -> BillingSettings:
    try:
        rate = Decimal(points_per_unit)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter a number of 0 or more."), field="points_per_unit") from None
    if not rate.is_finite() or rate < 0 or rate > 1000:
        raise DomainError(_("Enter a number of 0 or more."), field="points_per_unit")
    value = _amount(point_value, clinic_currency(), field="point_value")
    with transaction.atomic():
        club = BillingSettings.objects.select_for_update().get(pk=BillingSettings.load().pk)
        club.points_per_unit = rate.quantize(Decimal("0.0001"))
        club.point_value = value
        club.save()
        return club


