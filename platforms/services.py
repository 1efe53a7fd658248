"""The core of a clinic's platform orders, shared by intake, the front desk and redemption:
the order's state machine with its history, the channel inventory, and the platform as the
clinic's counterparty and each order as a payer.

Operations here lock what they change and run inside the caller's transaction
(``transaction.atomic``); each records who did what in the order's history.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.errors import DomainError

from .catalogue.models import Platform, Product
from .models import HOLDS_STOCK, TRANSITIONS, ChannelStock, OrderEvent, OrderStatus, PlatformOrder


class OutOfStock(DomainError):
    """The channel may sell no more of this product for this clinic."""


def _in_transaction() -> None:
    assert connection.in_atomic_block, "call inside transaction.atomic()"


def record_event(order: PlatformOrder, action: str, *, to_status: str, from_status: str = "", actor=None,
                 note: str = "", details: dict | None = None, at=None) -> OrderEvent:
    """One line of the order's history. ``note``: a person's or the platform's own words;
    ``details``: what the event was about, as data, written out when read (``platforms.history``)."""
    return OrderEvent.objects.create(order=order, action=action, from_status=from_status, to_status=to_status,
                                     actor=actor if getattr(actor, "pk", None) else None, note=note[:300],
                                     details=details or {}, created=at or timezone.now())


def move(order: PlatformOrder, to_status: str, *, action: str, actor=None, note: str = "",
         details: dict | None = None) -> PlatformOrder:
    """Change an order's status by the one transitions table (the order is locked by the
    caller), record it in the order's history, and give a unit of inventory back when an
    order that held one ends without being redeemed."""
    _in_transaction()
    before = order.status
    if to_status not in TRANSITIONS[before]:
        raise DomainError(_("This order is %(status)s: it cannot be %(action)s.")
                          % {"status": order.get_status_display().lower(), "action": _action_label(action)})
    order.status = to_status
    order.save(update_fields=["status"])
    if before in HOLDS_STOCK and to_status not in HOLDS_STOCK and to_status != OrderStatus.REDEEMED:
        return_stock(order.product_id)
    record_event(order, action, from_status=before, to_status=to_status, actor=actor, note=note, details=details)
    return order


ACTION_LABELS = {
    "received": gettext_lazy("received"), "imported": gettext_lazy("imported"),
    "confirmed": gettext_lazy("confirmed"), "reconfirmed": gettext_lazy("re-confirmed"),
    "bound": gettext_lazy("bound to a patient"), "redeemed": gettext_lazy("redeemed"),
    "cancelled": gettext_lazy("cancelled"), "refunded": gettext_lazy("refunded"),
    "image": gettext_lazy("X-ray uploaded"),
}


def _action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def locked_order(order: PlatformOrder | int) -> PlatformOrder:
    _in_transaction()
    pk = order.pk if isinstance(order, PlatformOrder) else order
    return PlatformOrder.objects.select_for_update(of=("self",)).get(pk=pk)


# --- channel inventory -------------------------------------------------------------------


def take_stock(product: Product | int) -> None:
    """Take one unit of the channel's inventory for a new order; refused when none is left.
    One conditional update: never oversold, also when orders arrive at once."""
    _in_transaction()
    pk = product.pk if isinstance(product, Product) else product
    taken = ChannelStock.objects.filter(product_id=pk, available__gt=0).update(available=F("available") - 1)
    if not taken:
        raise OutOfStock(_("The channel's inventory of this product is used up."))


def return_stock(product: Product | int) -> None:
    _in_transaction()
    pk = product.pk if isinstance(product, Product) else product
    ChannelStock.objects.filter(product_id=pk).update(available=F("available") + 1)


def set_stock(product: Product, available: int, *, actor) -> ChannelStock:
    """The clinic sets how many of a product the platform may still sell for it."""
    try:
        available = int(available)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number of at least 0."), field="available") from None
    if available < 0 or available > 1_000_000:
        raise DomainError(_("Enter a whole number of at least 0."), field="available")
    with transaction.atomic():
        stock, _created = ChannelStock.objects.select_for_update().get_or_create(product=product)
        stock.available = available
        stock.save(update_fields=["available", "changed"])
        return stock


# --- the platform in the clinic's books -----------------------------------------------------


def platform_counterparty(platform: Platform | int):
    """The platform as the clinic's counterparty, keyed by its code (never by its name)."""
    from billing.models import Counterparty

    if not isinstance(platform, Platform):
        platform = Platform.objects.get(pk=platform)
    counterparty, _created = Counterparty.objects.get_or_create(
        kind=Counterparty.Kind.PLATFORM, reference=f"platform:{platform.code}",
        defaults={"name": platform.name[:200], "currency": platform.currency})
    if counterparty.name != platform.name[:200]:
        Counterparty.objects.filter(pk=counterparty.pk).update(name=platform.name[:200])
        counterparty.name = platform.name[:200]
    return counterparty


def order_payer(order: PlatformOrder):
    """The order as the payer of its package's visit lines: made once, when the order has a
    patient, and belonging to the platform's counterparty."""
    from billing.models import Payer, PayerKind

    _in_transaction()
    if order.payer_id is not None:
        payer = order.payer
        if payer.patient_id != order.patient_id:
            # The order was bound to another patient before anything was charged to it.
            Payer.objects.filter(pk=payer.pk).update(patient_id=order.patient_id)
            payer.patient_id = order.patient_id
        return payer
    if order.patient_id is None:
        raise DomainError(_("Bind the order to a patient first."))
    payer = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient_id=order.patient_id,
                                 counterparty=platform_counterparty(order.platform_id),
                                 name=f"{order.platform.name} {order.number}"[:200])
    order.payer = payer
    order.save(update_fields=["payer"])
    return payer
