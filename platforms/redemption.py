"""Redemption at the visit (核销, seed 000): a confirmed order is used up on its patient's open visit.

- A **standard package**: each of its services (by the clinic's service code) becomes a visit line
  paid by the order (its payer, a coverage of the platform's counterparty), priced so that the
  lines add up to the order's settlement price exactly: the price is split over the services by
  their price-list prices, each unit rounded half up to the cent, the last line taking what is
  left. The charges post to the platform clearing account (``billing.ledger.counter_leg``):
  neither revenue nor cash. What the platform owes is then its counterparty's balance.
- A **cash voucher**: pays up to its face value towards the patient's own lines of the services
  it names, as a payment of the patient in "cash-voucher principal"; in the same posting the
  order's payer comes to owe as much (``billing.services.pay_from_coverage``). The rest stays
  the patient's.

A panoramic X-ray is uploaded first (``attach_image``, through ``clinic.uploads``), or the order
is redeemed without one for a stated reason. An order is redeemed once: it is locked before
anything is checked, so two desks at once give one redemption and a message for the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing import ledger
from billing import services as billing
from billing.models import Method, Payer, Visit, VisitLine
from clinic.errors import DomainError
from clinic.models import Service
from clinic.money import ZERO, round_money
from clinic.texts import system_text

from . import services
from .catalogue.models import Product
from .models import OrderStatus, PlatformOrder


@dataclass(frozen=True)
class PlannedLine:
    service: Service
    quantity: int
    unit_price: Decimal


# --- what the order contains ---------------------------------------------------------------


def product_services(product: Product) -> list[tuple[Service, int]]:
    """The clinic's services a product names, with their quantities, in the product's order;
    a code the clinic's price list lacks is refused by name."""
    wanted = list(product.services.all())
    found = {service.code.upper(): service
             for service in Service.objects.filter(code__in=_code_variants(item.service_code for item in wanted))}
    missing = [item.service_code for item in wanted if item.service_code.upper() not in found]
    if missing:
        raise DomainError(_("The price list has no service with the code %(codes)s: add it, then redeem.")
                          % {"codes": ", ".join(missing)})
    if not wanted:
        raise DomainError(_("This product names no services."))
    return [(found[item.service_code.upper()], item.quantity) for item in wanted]


def _code_variants(codes) -> list[str]:
    # Codes are unique whatever their case (the price list's constraint): look both ways up.
    variants = set()
    for code in codes:
        variants.update({code, code.upper(), code.lower()})
    return sorted(variants)


def settlement_split(price: Decimal, items: list[tuple[Service, int]], currency: str) -> list[PlannedLine]:
    """The package's lines at prices that add up to ``price`` exactly: each unit's share by its
    service's list price (by quantity alone when every list price is zero), rounded half up to
    the minor unit; the last line takes the remainder (a last service of several units is split
    into one line of all but one unit and one line of the last unit)."""
    list_prices = [round_money(service.price, currency) for service, _quantity in items]
    weights = [lp * quantity for lp, (_service, quantity) in zip(list_prices, items, strict=True)]
    total = sum(weights, ZERO)
    units = []
    for list_price, (_service, _quantity) in zip(list_prices, items, strict=True):
        if total > 0:
            units.append(round_money(price * list_price / total, currency))
        else:
            units.append(round_money(price / sum(quantity for _s, quantity in items), currency))
    plan = [PlannedLine(service, quantity, unit)
            for (service, quantity), unit in zip(items[:-1], units[:-1], strict=True)]
    last_service, last_quantity = items[-1]
    left = price - sum((line.unit_price * line.quantity for line in plan), ZERO)
    if last_quantity == 1:
        plan.append(PlannedLine(last_service, 1, left))
    else:
        unit = units[-1]
        plan.append(PlannedLine(last_service, last_quantity - 1, unit))
        plan.append(PlannedLine(last_service, 1, left - unit * (last_quantity - 1)))
    if any(line.unit_price < 0 for line in plan):  # a settlement price of a few cents over many services
        raise DomainError(_("The settlement price cannot be split over the package's services."))
    return plan


# --- the X-ray ----------------------------------------------------------------------------------


def attach_image(order: PlatformOrder, upload, *, actor) -> PlatformOrder:
    """Store the panoramic X-ray of a confirmed order (``upload``: a ``clinic.uploads.CheckedUpload``
    of the "xray" purpose). A later one replaces it until the order is redeemed."""
    from clinic.uploads import PURPOSES, CheckedUpload, check_content

    if not isinstance(upload, CheckedUpload):
        raise DomainError(_("Choose the X-ray image to upload."), field="image")
    check_content(upload.content, PURPOSES["xray"])  # whoever calls: the bytes are checked here too
    with transaction.atomic(durable=True):
        order = services.locked_order(order)
        if order.status != OrderStatus.CONFIRMED:
            raise DomainError(_("This order is %(status)s: its X-ray can no longer change.")
                              % {"status": order.get_status_display().lower()})
        stored = upload.as_django_file()
        order.image.save(stored.name, stored, save=False)
        order.save(update_fields=["image"])
        services.record_event(order, "image", from_status=order.status, to_status=order.status, actor=actor,
                              details={"xray": True})
        return order


# --- redemption ----------------------------------------------------------------------------------


def redeem_order(order: PlatformOrder | int, *, visit: Visit, actor, image=None,
                 no_image_reason: str = "") -> PlatformOrder:
    """Redeem a confirmed order on its patient's open visit: a package's lines charged to the
    order at its settlement price, or a cash voucher's payment; the order becomes redeemed,
    with who, when, the visit and the X-ray (or why there is none). All or nothing."""
    no_image_reason = (no_image_reason or "").strip()
    with transaction.atomic(durable=True):
        order = services.locked_order(order)
        if order.status == OrderStatus.REDEEMED:
            raise DomainError(_("This order is already redeemed (visit %(visit)s).")
                              % {"visit": f"#{order.visit.number}" if order.visit_id else "—"})
        if order.status != OrderStatus.CONFIRMED:
            raise DomainError(_("Only a confirmed order can be redeemed; this one is %(status)s.")
                              % {"status": order.get_status_display().lower()})
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if order.patient_id is None or visit.patient_id != order.patient_id:
            raise DomainError(_("This visit is not the order's patient's."), field="visit")
        if visit.status != Visit.Status.OPEN:
            raise DomainError(_("This visit is closed; redeem on an open visit."), field="visit")
        if order.currency != visit.currency:
            raise DomainError(_("This order is in %(order)s; the clinic bills in %(clinic)s.")
                              % {"order": order.currency, "clinic": visit.currency})
        if image is None and not order.image and not no_image_reason:
            raise DomainError(_("Upload the panoramic X-ray first, or redeem without an image and say why."),
                              field="no_image_reason")
        payer = services.order_payer(order)
        # The visit is set first: the order's coverage takes lines on this visit only.
        order.visit = visit
        order.save(update_fields=["visit"])
        if order.kind == Product.Kind.PACKAGE:
            _redeem_package(order, payer, visit, actor=actor)
        else:
            order.voucher_payment = _redeem_voucher(order, payer, visit, actor=actor)
        if image is not None:  # stored once everything else holds (a refusal leaves no file behind)
            attach = image.as_django_file()
            order.image.save(attach.name, attach, save=False)
        order.redeemed_at = timezone.now()
        order.redeemed_by = actor if getattr(actor, "pk", None) else None
        order.no_image_reason = "" if order.image else no_image_reason[:300]
        order.save(update_fields=["redeemed_at", "redeemed_by", "no_image_reason", "voucher_payment", "image"])
        return services.move(order, OrderStatus.REDEEMED, action="redeemed", actor=actor,
                             note="" if order.image else order.no_image_reason, details={"visit": visit.number})


def _redeem_package(order: PlatformOrder, payer: Payer, visit: Visit, *, actor) -> None:
    items = product_services(order.product)
    plan = settlement_split(order.price, items, visit.currency)
    # The package's services already on the visit for the patient (booked with the appointment)
    # are the order's now: voided with the reason, and entered again as the package's lines.
    # A line of more units than the package has: the rest is entered again for the patient.
    account = billing.patient_account(visit.patient)
    for service, quantity in items:
        taken = 0
        for line in (VisitLine.objects.filter(visit=visit, service=service, payer=account, voided_at__isnull=True,
                                              split_of__isnull=True).order_by("created", "id")):
            if taken >= quantity:
                break
            if line.split_rest.exists():
                continue
            billing.void_line(line, reason=system_text(gettext_noop("Paid by platform order %(number)s"),
                                                       number=order.number), actor=actor)
            taken += line.quantity
            if taken > quantity:
                billing.add_line(visit, service=service, quantity=taken - quantity, payer=account, actor=actor)
    for planned in plan:
        billing.add_line(visit, service=planned.service, quantity=planned.quantity, unit_price=planned.unit_price,
                         payer=payer, actor=actor)


def _redeem_voucher(order: PlatformOrder, payer: Payer, visit: Visit, *, actor):
    items = product_services(order.product)
    account = billing.patient_account(visit.patient)
    named = [service for service, _quantity in items]
    lines = list(VisitLine.objects.filter(visit=visit, service__in=named, payer=account, voided_at__isnull=True))
    if not lines:
        # The voucher names a service the visit does not have yet: it is the patient's, at its price.
        for service, quantity in items:
            lines.append(billing.add_line(visit, service=service, quantity=quantity, payer=account, actor=actor))
    towards = sum((line.net for line in lines), ZERO)
    due = min(ledger.visit_due(visit, account), ledger.balance(visit.patient))
    amount = min(order.price, towards, due)
    if amount <= 0:
        raise DomainError(_("Nothing the voucher pays for is due on this visit."))
    return billing.pay_from_coverage(patient=visit.patient, visit=visit, amount=amount, method=Method.CASH_VOUCHER,
                                     coverage_payer=payer, actor=actor,
                                     note=system_text(gettext_noop("Platform order %(number)s"), number=order.number))


def redeemable_order(visit: Visit) -> PlatformOrder | None:
    """The order to show on a visit: the one redeemed on it, else a confirmed order of its
    patient (its appointment's order first, then the oldest)."""
    orders = PlatformOrder.objects.select_related("product", "platform", "visit", "redeemed_by")
    redeemed = orders.filter(visit=visit, status=OrderStatus.REDEEMED).order_by("redeemed_at", "id").first()
    if redeemed is not None:
        return redeemed
    confirmed = orders.filter(patient_id=visit.patient_id, status=OrderStatus.CONFIRMED)
    if visit.appointment_id:
        found = confirmed.filter(appointment_id=visit.appointment_id).first()
        if found is not None:
            return found
    return confirmed.order_by("received_at", "id").first()


# --- the order as billing's coverage ------------------------------------------------------------


def _order_of(payer: Payer) -> PlatformOrder | None:
    return PlatformOrder.objects.select_related("product").filter(payer=payer).first()


def _package_order(payer: Payer) -> PlatformOrder | None:
    order = _order_of(payer)
    return order if order is not None and order.kind == Product.Kind.PACKAGE else None


def _quantity_in_package(order: PlatformOrder, service: Service) -> int:
    return sum(item.quantity for item in order.product.services.all()
               if item.service_code.upper() == service.code.upper())


def package_payer(visit: Visit, service: Service) -> Payer | None:
    """Billing's default payer of a visit's line: the package order redeemed on this visit,
    for a package service it has not been charged in full for (a line voided and entered
    again); otherwise None, and the patient pays (extra services are the patient's)."""
    for order in (PlatformOrder.objects.select_related("product", "payer")
                  .filter(visit=visit, status=OrderStatus.REDEEMED, kind=Product.Kind.PACKAGE, payer__isnull=False)):
        left = _quantity_in_package(order, service) - ledger.charged_quantity(order.payer, service)
        if left > 0:
            return order.payer
    return None


class PlatformOrderCoverage:
    """An order as billing's coverage: a package takes its own services on its own visit, up to
    the package's quantities, at the prices of its settlement split; a voucher takes no lines
    (it pays as a payment)."""

    def split(self, payer: Payer, *, visit, service, quantity: int, gross: Decimal, actor):
        order = _order_of(payer)
        if order is None:  # a platform-order payer recorded without its order (older data): the whole line
            return [(payer, gross)]
        if order.kind != Product.Kind.PACKAGE:
            raise DomainError(_("A cash voucher pays towards the patient's lines; it takes none itself."),
                              field="payer")
        if order.visit_id != visit.pk or order.status not in (OrderStatus.CONFIRMED, OrderStatus.REDEEMED):
            raise DomainError(_("Platform order %(number)s is redeemed on its own visit only.")
                              % {"number": order.number}, field="payer")
        in_package = _quantity_in_package(order, service)
        if in_package == 0:
            raise DomainError(_("Platform order %(number)s does not contain this service.")
                              % {"number": order.number}, field="service")
        left = in_package - ledger.charged_quantity(payer, service)
        if quantity > left:
            raise DomainError(_("Platform order %(number)s covers %(left)s more of this service.")
                              % {"number": order.number, "left": max(left, 0)}, field="quantity")
        return [(payer, gross)]

    def posted(self, payer: Payer, *, actor) -> None:
        return None

    def offers(self, payer: Payer, *, visit, service, quantity: int = 1) -> bool:
        """Only what ``split`` can take: a package's own service, on the visit it is redeemed on,
        as many units as it has left."""
        order = _order_of(payer)
        if order is None:
            return True
        if (order.kind != Product.Kind.PACKAGE or order.visit_id != visit.pk
                or order.status not in (OrderStatus.CONFIRMED, OrderStatus.REDEEMED)):
            return False
        return _quantity_in_package(order, service) - ledger.charged_quantity(payer, service) >= quantity

    def unit_price(self, payer: Payer, *, visit, service) -> Decimal | None:
        """A package service entered again after its line was voided keeps that line's price,
        so the order's lines still add up to its settlement price."""
        voided = (VisitLine.objects.filter(payer=payer, visit=visit, service=service, voided_at__isnull=False)
                  .order_by("-voided_at", "-id").first())
        return voided.unit_price if voided is not None else None

    def accepts_price(self, payer: Payer, *, visit, service, unit_price: Decimal) -> bool:
        """While the order is being redeemed on this visit, the prices of its settlement split."""
        order = _package_order(payer)
        if order is None or order.visit_id != visit.pk or order.status != OrderStatus.CONFIRMED:
            return False
        try:
            plan = settlement_split(order.price, product_services(order.product), visit.currency)
        except DomainError:
            return False
        return any(line.service.pk == service.pk and line.unit_price == unit_price for line in plan)
