from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicConfig(AppConfig):
    name = "clinic"
    label = "clinic"
    verbose_name = _("Clinic master data")

    def ready(self):
        from auditlog.registry import auditlog

        from clinic.exports.registry import register

        from . import models
        from .exporters import PriceListExporter

        register(PriceListExporter)

        from .audit import register_trail

        register_trail("service", models.Service)
        register_trail("location", models.Location, [(models.OpeningHours, "location")])
        # A practitioner's hours, breaks and absences are part of their trail.
        register_trail("practitioner", models.Practitioner, [
            (models.WorkingHours, "practitioner"), (models.Break, "practitioner"), (models.Absence, "practitioner")])

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
