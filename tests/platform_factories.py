"""Factories for platforms, their products and a clinic's platform orders (tests/factories.py
covers the clinic's master data). Platforms and products live in the public schema and are
seen from every clinic's schema; orders live in the clinic's."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import factory
from django.db import connection, transaction
from django.utils import timezone

from platforms.catalogue.models import Enrolment, Platform, Product, ProductService, SigningSecret
from platforms.models import OrderStatus, PlatformOrder

_numbers = itertools.count(1)


def _unique() -> int:
    return next(_numbers) * 1000 + (timezone.now().microsecond % 1000)


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    code = factory.LazyFunction(lambda: f"p{_unique()}")
    name = factory.LazyAttribute(lambda o: f"Platform {o.code}")
    # A platform sells in the currency of the clinics it serves (the test clinic's, when in one).
    currency = factory.LazyFunction(lambda: getattr(connection.tenant, "currency", "") or "CNY")


class ProductFactory(factory.django.DjangoModelFactory):
    """A standard package unless ``kind="cash_voucher"`` (then ``face_value``)."""

    class Meta:
        model = Product

    platform = factory.SubFactory(PlatformFactory)
    code = factory.LazyFunction(lambda: f"PKG-{_unique()}")
    name = factory.LazyAttribute(lambda o: f"Package {o.code}")
    kind = Product.Kind.PACKAGE
    settlement_price = factory.LazyAttribute(lambda o: Decimal("180.00") if o.kind == "package" else None)
    face_value = factory.LazyAttribute(lambda o: Decimal("200.00") if o.kind == "cash_voucher" else None)
    valid_from = date(2020, 1, 1)


def product_with(services: dict[str, int], **kwargs) -> Product:
    """A product containing (or paying towards) these service codes with their quantities."""
    product = ProductFactory(**kwargs)
    for code, quantity in services.items():
        ProductService.objects.create(product=product, service_code=code, quantity=quantity)
    return product


def enrol(clinic, platform: Platform, *, identifier: str | None = None) -> Enrolment:
    """Enrol ``clinic`` with ``platform`` (approved), as the operator does."""
    from django_tenants.utils import schema_context

    with schema_context("public"):
        enrolment, _created = Enrolment.objects.update_or_create(
            clinic=clinic, platform=platform,
            defaults={"status": Enrolment.Status.APPROVED, "identifier": identifier or f"{clinic.slug}-{platform.code}",
                      "decided_at": timezone.now()})
    return enrolment


def signing_secret(platform: Platform, secret: str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") -> SigningSecret:
    return SigningSecret.objects.create(platform=platform, secret=secret)


def make_order(product: Product, *, status: str = OrderStatus.NEW, patient=None, appointment=None, number=None,
               customer_name="Li Wei", customer_phone="+8613800138000", received_at=None, price=None) -> PlatformOrder:
    """An order as intake stores it (inside a clinic's schema), without taking inventory;
    with ``patient`` it is bound (and its payer made), ``status`` is set as given."""
    from platforms import services

    with transaction.atomic():
        order = PlatformOrder.objects.create(
            platform=product.platform, product=product, number=number or f"ORD-{_unique()}", kind=product.kind,
            price=price or product.price, currency=product.platform.currency, customer_name=customer_name,
            customer_phone=customer_phone, received_at=received_at or timezone.now(), status=status,
            patient=patient, appointment=appointment)
        services.record_event(order, "received", to_status=OrderStatus.NEW)
        if patient is not None:
            services.order_payer(order)
    return order


def redeemed_order(product: Product, *, at, actor, number=None, price=None, patient=None) -> PlatformOrder:
    """An order confirmed for a patient and redeemed at ``at`` on a visit through
    ``redeem_order``, the real path (so ``platforms.amounts`` finds what the platform owes on
    the ledger). ``price``: the order was sold at another price than the product's today."""
    import time_machine

    from billing import services as billing
    from clinic.models import Service
    from platforms.redemption import redeem_order
    from tests.factories import LocationFactory, PatientFactory, ServiceFactory

    for item in product.services.all():
        if not Service.objects.filter(code__iexact=item.service_code).exists():
            ServiceFactory(code=item.service_code)
    patient = patient or PatientFactory()
    order = make_order(product, patient=patient, status=OrderStatus.CONFIRMED, number=number, price=price)
    with time_machine.travel(at, tick=False):
        visit = billing.open_visit(patient=patient, location=LocationFactory(), actor=actor)
        redeem_order(order, visit=visit, actor=actor, no_image_reason="Taken at the imaging centre")
    order.refresh_from_db()
    return order
