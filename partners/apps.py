from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import PartnerBooking, Partnership

        auditlog.register(Partnership, m2m_fields={"locations", "services"})
        auditlog.register(PartnerBooking)

        from clinic.scheduling.services import STATUS_HOOKS

        from .services import appointment_changed

        if appointment_changed not in STATUS_HOOKS:
            STATUS_HOOKS.append(appointment_changed)
