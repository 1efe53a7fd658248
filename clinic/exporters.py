"""The master data's exports (registered in ``ClinicConfig.ready()``)."""

from django.utils.translation import gettext_lazy as _

from clinic.exports.base import BaseExporter


class PriceListExporter(BaseExporter):
    identifier = "price_list"
    verbose_name = _("Price list")
    permission = "clinic.export_services"
    file_stem = "price-list"

    def rows(self, params):
        from clinic.pricelist import price_list_rows

        return price_list_rows()

    def count(self, params):
        from clinic.models import Service

        return Service.objects.count() + 1
