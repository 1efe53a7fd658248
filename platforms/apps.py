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
