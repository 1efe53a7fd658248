"""Barter's export (registered in ``BarterConfig.ready()``): per agreement and patient for a period."""

from django.utils.translation import gettext_lazy as _

from clinic.exports.base import BaseExporter


class BarterReportExporter(BaseExporter):
    identifier = "barter_report"
    verbose_name = _("Barter report")
    permission = "barter.view_policy"
    file_stem = "barter-report"

    def options(self, data):
        from .reports import barter_export_params

        return barter_export_params(data)

    def rows(self, params):
        from .reports import barter_export_rows

        return barter_export_rows(params)

    def count(self, params):
        from .reports import barter_export_count

        return barter_export_count(params)
