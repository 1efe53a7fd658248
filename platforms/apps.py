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
