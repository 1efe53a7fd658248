from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"

    def ready(self):
        from auditlog.registry import auditlog

        from clinic.exports.registry import register

        from .exporters import EXPORTERS
        from .models import ColumnMapping, Difference, MonthlyStatement, ReportPreset

        # Who changed a statement's status, a resolution, a mapping or a preset (the statement's
        # own history, StatementEvent, says it in the clinic's words).
        for model in (MonthlyStatement, Difference, ColumnMapping, ReportPreset):
            auditlog.register(model)
        for exporter in EXPORTERS:
            register(exporter)
