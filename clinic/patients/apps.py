from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "clinic.patients"
    label = "patients"
    verbose_name = _("Patients")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Patient, PatientFlag

        auditlog.register(Patient, exclude_fields=["search_text"])
        auditlog.register(PatientFlag)
        from clinic.audit import register_trail

        register_trail("patient", Patient, [(PatientFlag, "patient")])
