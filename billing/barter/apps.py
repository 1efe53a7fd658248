from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BarterConfig(AppConfig):
    """Barter (seed 002): companies and public persons whose treatment is paid in kind,
    up to a money limit per patient. A barter policy is a payer of the billing app."""

    name = "billing.barter"
    label = "barter"
    verbose_name = _("Barter")

    def ready(self):
        from auditlog.registry import auditlog

        from billing import coverage
        from billing.models import PayerKind

        from .models import Agreement, LimitIncrease, Policy
        from .services import BarterCoverage

        coverage.register(PayerKind.BARTER_POLICY, BarterCoverage())
        from clinic.scheduling.services import duration_rules

        from .services import first_visit_duration

        duration_rules.register(first_visit_duration)

        from clinic.scheduling import extensions

        extensions.panel_top.register("barter/_appointment_panel.html")
        extensions.patient_fragments.register("barter/_booking_patient.html")
        from billing.services import DEFAULT_PAYERS

        from .services import policy_payer

        if policy_payer not in DEFAULT_PAYERS:
            DEFAULT_PAYERS.append(policy_payer)
        for model in (Agreement, Policy, LimitIncrease):
            auditlog.register(model)
        from clinic.audit import register_trail

        register_trail("barterpolicy", Policy, [(LimitIncrease, "policy")])

        from clinic.exports.registry import register

        from .exporters import BarterReportExporter

        register(BarterReportExporter)
