from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from auditlog.registry import auditlog

        from clinic.exports.registry import register

        from .exporters import EXPORTERS
        from .models import Activity, BillingSettings, Deposit, Payment, Promotion, Visit, VisitLine

        # The ledger is its own record of money; these keep who changed what on the documents.
        for model in (Visit, VisitLine, Payment, Deposit, Promotion, BillingSettings, Activity):
            auditlog.register(model)
        from clinic.audit import register_trail

        register_trail("visit", Visit, [(VisitLine, "visit"), (Payment, "visit")])
        register_trail("promotion", Promotion)
        for exporter in EXPORTERS:
            register(exporter)

        from clinic.scheduling.events import subscribe

        from .services import open_visit_on_start

        subscribe(open_visit_on_start)
