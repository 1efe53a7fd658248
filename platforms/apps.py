from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    """A clinic's platform orders: channel inventory, orders, their confirmation and redemption
    (each clinic's schema; seed 000)."""

    name = "platforms"
    verbose_name = _("Platform orders")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ChannelStock, PlatformOrder

        auditlog.register(PlatformOrder, exclude_fields=["payload"])
        auditlog.register(ChannelStock)

        # The intake keeps the public rows it reads a few seconds; a change forgets them.
        from django.db.models.signals import post_delete, post_save

        from clinic.tenants.models import Clinic

        from .catalogue.models import Enrolment, Platform, Product, SigningSecret
        from .intake import forget_lookups

        for model in (Platform, SigningSecret, Enrolment, Product, Clinic):
            post_save.connect(forget_lookups, sender=model, dispatch_uid=f"intake-lookups-save-{model.__name__}")
            post_delete.connect(forget_lookups, sender=model, dispatch_uid=f"intake-lookups-delete-{model.__name__}")

        from clinic.patients import extensions as patient_extensions

        from .orders import patient_platform_orders

        patient_extensions.patient_page.register(patient_platform_orders)
        patient_extensions.page_fragments.register("platforms/orders/_patient_orders.html")

        # Redemption at the visit: the order as billing's coverage, its package services' default
        # payer on the visit it was redeemed on, and its panel on the visit page.
        from billing import coverage, extensions
        from billing.models import PayerKind
        from billing.services import DEFAULT_PAYERS

        from .redemption import PlatformOrderCoverage, package_payer
        from .redemption_views import order_panel

        coverage.register(PayerKind.PLATFORM_ORDER, PlatformOrderCoverage())
        if package_payer not in DEFAULT_PAYERS:
            DEFAULT_PAYERS.append(package_payer)
        extensions.visit_panels.register(order_panel)
