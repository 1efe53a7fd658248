from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerOrganisationsConfig(AppConfig):
    """Partner companies and their users: public schema, one partner may work with many clinics."""

    name = "partners.organisations"
    label = "partner_organisations"
    verbose_name = _("Partner companies")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import PartnerOrganisation, PartnerUser

        auditlog.register(PartnerOrganisation)
        auditlog.register(PartnerUser)
