from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "clinic.scheduling"
    label = "scheduling"
    verbose_name = _("Appointments")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Appointment

        auditlog.register(Appointment, m2m_fields={"services"})
        from clinic.audit import register_trail

        register_trail("appointment", Appointment)

        from clinic.patients.extensions import patient_page

        from .views import patient_appointments

        patient_page.register(patient_appointments)
