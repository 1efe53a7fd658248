from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    """What the operator sees of every clinic's settlements (public schema): the requests and
    their payment, consumables vouchers, the operator's shop, off-cycle settlement windows."""

    name = "reconciliation.payouts"
    label = "payouts"
    verbose_name = _("Settlement payouts")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ConsumablesVoucher, SettlementRequest, SettlementWindow, ShopItem

        auditlog.register(SettlementRequest)
        auditlog.register(ConsumablesVoucher)
        auditlog.register(SettlementWindow)
        auditlog.register(ShopItem)
