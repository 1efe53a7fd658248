from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicConfig(AppConfig):
    name = "clinic"
    label = "clinic"
    verbose_name = _("Clinic master data")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        # Prices, opening and working hours are what money and bookings stand on.
        for model in (
            models.ClinicProfile,
            models.Location,
            models.OpeningHours,
            models.Practitioner,
            models.WorkingHours,
            models.Break,
            models.Absence,
            models.ServiceCategory,
            models.Service,
        ):
            auditlog.register(model)
