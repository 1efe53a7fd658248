from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformCatalogueConfig(AppConfig):
    """Platforms, the products they sell and the clinics enrolled with them: public schema,
    kept by the operator; one platform sells for many clinics."""

    name = "platforms.catalogue"
    label = "platform_catalogue"
    verbose_name = _("Platforms")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Enrolment, Platform, Product, ProductService, SigningSecret

        auditlog.register(Platform, exclude_fields=["secrets"])
        auditlog.register(Product)
        auditlog.register(Enrolment)
        auditlog.register(ProductService)
        # Who rotated a secret, and when the old one retires; never the secret itself.
        auditlog.register(SigningSecret, exclude_fields=["secret"])

        from clinic.context_processors import register_door

        from .navigation import operator_items

        register_door("/operator/", "operator", operator_items)
