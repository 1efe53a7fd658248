"""The operator's consumables shop, where a clinic spends its settlement vouchers (seed 000,
sections 十四–十五: My shop → My coupons; a voucher deducted from a consumables order)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from billing import ledger
from billing.models import Book, Entry
from clinic.audit import audited_in_other_schema
from clinic.errors import DomainError
from clinic.money import ZERO, round_money
from clinic.periods import clinic_today

from .payouts.models import ConsumablesVoucher, ShopItem, ShopOrder


def clinic_vouchers(clinic):
    with schema_context("public"):
        return list(ConsumablesVoucher.objects.filter(clinic=clinic).select_related("request__platform"))


def voucher_status(voucher: ConsumablesVoucher, today=None) -> str:
    today = today or clinic_today()
    if voucher.used_at is not None:
        return "used"
    return "expired" if voucher.expires_on < today else "valid"


def place_shop_order(clinic, *, quantities: dict[int, int], voucher: ConsumablesVoucher | None, actor,
                     today=None) -> ShopOrder:
    """Order consumables, optionally with one voucher: no minimum spend, used whole and once,
    never after it expires. On the clinic's ledger the voucher held becomes consumables bought."""
    today = today or clinic_today()
    wanted = {int(pk): int(n) for pk, n in quantities.items() if int(n) > 0}
    if not wanted:
        raise DomainError(_("Choose at least one item."), field="items")
    if any(n > 999 for n in wanted.values()):
        raise DomainError(_("Order at most 999 of an item."), field="items")
    with transaction.atomic(durable=not connection.in_atomic_block):
        order = _order(clinic, wanted, voucher, actor, today)
        if order.voucher is not None:
            # The whole voucher is spent (used once, whatever the order's total).
            voucher = order.voucher
            ledger.move_between_books(Entry.VOUCHER_USED, source=Book.VOUCHERS, target=Book.CONSUMABLES,
                                      amount=Decimal(voucher.amount), currency=voucher.currency, actor=actor,
                                      note=f"{voucher.code} shop order #{order.pk}")
        return order


def _order(clinic, wanted: dict[int, int], voucher, actor, today) -> ShopOrder:
    with schema_context("public"), audited_in_other_schema(actor):
        items = {item.pk: item for item in ShopItem.objects.filter(pk__in=wanted, is_active=True)}
        if set(items) != set(wanted):
            raise DomainError(_("An item is no longer on sale."), field="items")
        currency = next(iter(items.values())).currency
        lines = [{"item": pk, "name": items[pk].name, "quantity": n, "price": str(items[pk].price)}
                 for pk, n in sorted(wanted.items())]
        total = round_money(sum((items[pk].price * n for pk, n in wanted.items()), ZERO), currency)
        deduction = ZERO
        if voucher is not None:
            voucher = ConsumablesVoucher.objects.select_for_update().get(pk=voucher.pk)
            if voucher.clinic_id != clinic.pk:
                raise DomainError(_("This voucher is not this clinic's."), field="voucher")
            if voucher.used_at is not None:
                raise DomainError(_("This voucher has been used already."), field="voucher")
            if voucher.expires_on < today:
                raise DomainError(_("This voucher expired on %(day)s.") % {"day": voucher.expires_on},
                                  field="voucher")
            if voucher.currency != currency:
                raise DomainError(_("This voucher is in another currency."), field="voucher")
            deduction = min(voucher.amount, total)
            voucher.used_at = timezone.now()
            voucher.save(update_fields=["used_at"])
        order = ShopOrder.objects.create(clinic=clinic, lines=lines, total=total, currency=currency, voucher=voucher,
                                         voucher_deduction=deduction, to_pay=total - deduction,
                                         ordered_at=timezone.now(),
                                         ordered_by=getattr(actor, "full_name", "") or str(actor or ""))
        return order


def save_shop_item(item: ShopItem | None, *, name: str, price: Decimal, currency: str, is_active: bool,
                   actor) -> ShopItem:
    """The operator adds a consumable to the shop or changes one (a price change applies to
    orders placed afterwards: an order keeps the prices it was placed at)."""
    from clinic.money import CURRENCIES

    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Enter the item's name."), field="name")
    if price is None or price <= 0:
        raise DomainError(_("Enter a price above zero."), field="price")
    if currency not in CURRENCIES:
        raise DomainError(_("Choose the currency."), field="currency")
    with schema_context("public"), transaction.atomic():
        if item is not None:
            item = ShopItem.objects.select_for_update().get(pk=item.pk)
        else:
            item = ShopItem()
        item.name, item.price, item.currency, item.is_active = name[:200], round_money(price, currency), currency, \
            is_active
        item.save()
        return item
