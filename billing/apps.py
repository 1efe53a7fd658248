from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Activity, BillingSettings, Deposit, Payment, Promotion, Visit, VisitLine

        # The ledger is its own record of money; these keep who changed what on the documents.
        for model in (Visit, VisitLine, Payment, Deposit, Promotion, BillingSettings, Activity):
            auditlog.register(model)

        from clinic.scheduling.services import STATUS_HOOKS

        from .services import open_visit_on_start

        if open_visit_on_start not in STATUS_HOOKS:
            STATUS_HOOKS.append(open_visit_on_start)
