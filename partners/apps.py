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

        from clinic.scheduling.events import subscribe

        from .services import appointment_changed

        subscribe(appointment_changed)

        from clinic.scheduling import extensions

        from .services import appointment_annotations

        extensions.annotators.register(appointment_annotations)
        extensions.panel_details.register("partners/_appointment_panel.html")

        from billing.services import DEFAULT_PAYERS

        from .services import visit_payer

        if visit_payer not in DEFAULT_PAYERS:
            DEFAULT_PAYERS.append(visit_payer)

        from billing.ledger import on_charges_changed

        from .services import charges_changed

        on_charges_changed(charges_changed)  # a booking's commission is earned as its visit charges

        from clinic.exports.registry import register

        from .exporters import PartnerStatisticsExporter

        register(PartnerStatisticsExporter)
