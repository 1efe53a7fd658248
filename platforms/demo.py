"""The demo's two platforms (seed 000): an insurer's benefits app and Alipay, their products
of both kinds, the demo clinic enrolled with both and its channel inventory (idempotent).
Orders are seeded with the order flow."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from .catalogue.models import Enrolment, Platform, Product, ProductService, SigningSecret

# code, name, the demo clinic's identifier at the platform
DEMO_PLATFORMS = [
    ("insurer", "Insurer benefits app", "PA-DEMO-0001",
     "Insurer Health Services Co., Ltd.\nTax number 91310000MA1FL0000X", "Insurer Health Services\nSettlement desk\n1000 Lujiazui Ring Road, Shanghai"),
    ("alipay", "Alipay", "2088-DEMO-01", "Alipay (Hangzhou) Information Technology Co., Ltd.",
     "Alipay settlement team\n556 Xixi Road, Hangzhou"),
]
# platform code, product code, name, kind, price, {service code: quantity}
DEMO_PRODUCTS = [
    ("insurer", "PA-ORAL-CHECK", "Oral check-up package", "package", "180.00", {"CON-08": 1, "DIA-01": 1}),
    ("insurer", "PA-CLEAN", "Cleaning package", "package", "260.00", {"DEN-01": 1, "DEN-08": 1}),
    ("alipay", "ALI-CLEAN", "Cleaning and check-up package", "package", "298.00", {"DEN-01": 1, "CON-08": 1}),
    ("alipay", "ALI-WISDOM-200", "Wisdom-tooth extraction voucher, 200", "cash_voucher", "200.00",
     {"DEN-06": 1, "DIA-01": 1}),
]
DEMO_STOCK = 50
# Known secrets (24 bytes, as Standard Webhooks wants), so the README's signed example order
# can be pasted as it is against the demo. Never a real platform's: the operator's console
# makes those at random and shows them once.
DEMO_SECRETS = {code: "whsec_" + base64.b64encode(raw).decode("ascii")
                for code, raw in (("insurer", b"demo-insurer-secret-2026"), ("alipay", b"demo-alipay-secret-2026!"))}


def seed_platforms(clinic) -> None:
    """Both platforms with their products, the demo clinic approved at each with an inventory
    of 50 per product; run again, it adds only what is missing."""
    today = timezone.localdate()
    with schema_context("public"), transaction.atomic():
        platforms = {}
        for code, name, _identifier, invoice, address in DEMO_PLATFORMS:
            platform, created = Platform.objects.get_or_create(
                # The platforms sell in the demo clinic's currency (a clinic sells through
                # platforms of its own currency).
                code=code, defaults={"name": name, "currency": clinic.currency, "invoice_details": invoice,
                                     "mailing_address": address})
            if created or not platform.secrets.exists():
                SigningSecret.objects.create(platform=platform, secret=DEMO_SECRETS[code])
            platforms[code] = platform
        for code, product_code, name, kind, price, contents in DEMO_PRODUCTS:
            product, created = Product.objects.get_or_create(
                platform=platforms[code], code=product_code,
                defaults={"name": name, "kind": kind, "valid_from": today - timedelta(days=365),
                          "settlement_price": Decimal(price) if kind == "package" else None,
                          "face_value": Decimal(price) if kind == "cash_voucher" else None})
            if created:
                for service_code, quantity in contents.items():
                    ProductService.objects.create(product=product, service_code=service_code, quantity=quantity)
        for code, _name, identifier, _invoice, _address in DEMO_PLATFORMS:
            Enrolment.objects.get_or_create(
                clinic=clinic, platform=platforms[code],
                defaults={"status": Enrolment.Status.APPROVED, "identifier": identifier,
                          "note": "Demo clinic", "applied_by": "Mihaela Manager", "decided_at": timezone.now()})
        products = list(Product.objects.filter(platform__code__in=[p[0] for p in DEMO_PLATFORMS]))
    from .models import ChannelStock

    with tenant_context(clinic), transaction.atomic():
        for product in products:
            ChannelStock.objects.get_or_create(product=product, defaults={"available": DEMO_STOCK})
