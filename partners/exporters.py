"""The partners' export (registered in ``PartnersConfig.ready()``): the statistics sent by
partners, for the filter shown on the page (``reports.py``); up to a year of bookings, streamed."""

from django.utils.translation import gettext_lazy as _

from clinic.exports.base import BaseExporter


class PartnerStatisticsExporter(BaseExporter):
    identifier = "partner_statistics"
    verbose_name = _("Statistics sent by partners")
    permission = "partners.view_partner_statistics"
    file_stem = "partner-statistics"

    def options(self, data):
        from .reports import statistics_export_params

        return statistics_export_params(data)

    def rows(self, params):
        from .reports import statistics_export_rows

        return statistics_export_rows(params)

    def count(self, params):
        from .reports import statistics_export_count

        return statistics_export_count(params)
