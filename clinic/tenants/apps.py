from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "clinic.tenants"
    label = "tenants"
    verbose_name = _("Clinics")

    def ready(self):
        from auditlog.registry import auditlog
        from django.db.models.signals import post_delete, post_save

        from .middleware import forget_tenants
        from .models import Clinic, Domain

        auditlog.register(Clinic, exclude_fields=["schema_name"])
        for model in (Clinic, Domain):
            post_save.connect(forget_tenants, sender=model, dispatch_uid=f"forget-tenants-save-{model.__name__}")
            post_delete.connect(forget_tenants, sender=model, dispatch_uid=f"forget-tenants-delete-{model.__name__}")
