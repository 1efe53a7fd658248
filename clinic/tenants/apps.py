from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "clinic.tenants"
    label = "tenants"
    verbose_name = _("Clinics")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Clinic

        auditlog.register(Clinic, exclude_fields=["schema_name"])
