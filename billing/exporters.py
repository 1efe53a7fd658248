"""Billing's exports (registered in ``BillingConfig.ready()``): the money reports for the period
shown on their page (``reports.py``), and a patient's account statement (``documents.py``)."""

from django.utils.translation import gettext_lazy as _

from clinic.exports.base import BaseExporter


class CashReportExporter(BaseExporter):
    identifier = "cash_report"
    verbose_name = _("Cash report")
    permission = "billing.view_cash_report"
    file_stem = "cash-report"

    def options(self, data):
        from .reports import cash_export_params

        return cash_export_params(data)

    def rows(self, params):
        from .reports import cash_export_rows

        return cash_export_rows(params)


class RevenueReportExporter(BaseExporter):
    identifier = "revenue_report"
    verbose_name = _("Revenue report")
    permission = "billing.view_revenue_report"
    file_stem = "revenue-report"

    def options(self, data):
        from .reports import revenue_export_params

        return revenue_export_params(data)

    def rows(self, params):
        from .reports import revenue_export_rows

        return revenue_export_rows(params)


class UnappliedDepositsExporter(BaseExporter):
    identifier = "unapplied_deposits"
    verbose_name = _("Unapplied deposits")
    permission = "billing.view_deposit"
    file_stem = "unapplied-deposits"

    def rows(self, params):
        from .reports import deposits_export_rows

        return deposits_export_rows(params)

    def count(self, params):
        from .reports import deposits_export_count

        return deposits_export_count(params)


class StatementXlsxExporter(BaseExporter):
    """A patient's account statement for a period: its rows."""

    identifier = "statement_xlsx"
    verbose_name = _("Account statement")
    permission = "billing.view_payment"
    file_stem = "statement"

    def options(self, data):
        from .documents import clean_statement_params

        return clean_statement_params(data)

    def rows(self, params):
        from .documents import statement_rows

        return statement_rows(params)

    def count(self, params):
        from .documents import statement_row_count

        return statement_row_count(params)


class StatementPdfExporter(StatementXlsxExporter):
    """The same statement as the document (a PDF), built by WeasyPrint."""

    identifier = "statement_pdf"
    extension = "pdf"

    def build(self, params, handle, progress):
        from .documents import build_statement_pdf

        build_statement_pdf(params, handle, progress)


EXPORTERS = [CashReportExporter, RevenueReportExporter, UnappliedDepositsExporter, StatementPdfExporter,
             StatementXlsxExporter]
