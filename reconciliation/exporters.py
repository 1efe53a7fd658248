"""Reconciliation's exports (registered in ``ReconciliationConfig.ready()``): a monthly statement
(xlsx and csv), its differences (xlsx), and the clinic's channel reconciliation report."""

from django.utils.translation import gettext_lazy as _

from clinic.exports.base import BaseExporter

PERMISSION = "reconciliation.view_monthlystatement"


class MonthlyStatementExporter(BaseExporter):
    identifier = "monthly_statement"
    verbose_name = _("Monthly statement")
    permission = PERMISSION
    file_stem = "monthly-statement"

    def options(self, data):
        from .reports import statement_export_params

        return statement_export_params(data)

    def rows(self, params):
        from .reports import statement_export_rows

        return statement_export_rows(params)

    def count(self, params):
        from .reports import statement_export_count

        return statement_export_count(params)


class MonthlyStatementCsvExporter(MonthlyStatementExporter):
    identifier = "monthly_statement_csv"
    verbose_name = _("Monthly statement (CSV)")
    extension = "csv"


class StatementDifferencesExporter(BaseExporter):
    identifier = "statement_differences"
    verbose_name = _("Statement differences")
    permission = PERMISSION
    file_stem = "statement-differences"

    def options(self, data):
        from .reports import statement_export_params

        return statement_export_params(data)

    def rows(self, params):
        from .reports import differences_export_rows

        return differences_export_rows(params)

    def count(self, params):
        from .reports import differences_export_count

        return differences_export_count(params)


class ChannelReportExporter(BaseExporter):
    identifier = "channel_report"
    verbose_name = _("Channel reconciliation report")
    permission = PERMISSION
    file_stem = "channel-reconciliation"

    def options(self, data):
        from .reports import channel_report_params

        return channel_report_params(data)

    def rows(self, params):
        from .reports import channel_report_rows

        return channel_report_rows(params)

    def count(self, params):
        from .reports import channel_report_count

        return channel_report_count(params)


class ChannelReportCsvExporter(ChannelReportExporter):
    identifier = "channel_report_csv"
    verbose_name = _("Channel reconciliation report (CSV)")
    extension = "csv"


EXPORTERS = [MonthlyStatementExporter, MonthlyStatementCsvExporter, StatementDifferencesExporter,
             ChannelReportExporter, ChannelReportCsvExporter]
