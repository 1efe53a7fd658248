"""What can be exported, who may, and how its rows are produced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


def _no_params(data) -> dict:
    return {}


@dataclass(frozen=True)
class Exporter:
    """One kind of file built in the background.

    ``clean(data)`` turns the request's parameters (a query dict) into the
    export's ``params`` (JSON), raising ``DomainError`` on bad input; ``rows``
    and ``count`` take those params. A workbook is written from ``rows``;
    an exporter with ``build`` writes its own file instead (e.g. a PDF):
    ``build(params, handle, progress)`` writes to the binary ``handle`` and
    calls ``progress(percent)`` now and then.
    """

    kind: str
    title: object
    permission: str
    file_stem: str
    rows: Callable[[dict], Iterator[list]]
    count: Callable[[dict], int]
    clean: Callable[[object], dict] = _no_params
    build: Callable | None = None
    extension: str = "xlsx"


def _price_list_rows(params):
    from clinic.pricelist import price_list_rows

    return price_list_rows()


def _price_list_count(params):
    from clinic.models import Service

    return Service.objects.count() + 1


def _later(dotted: str) -> Callable:
    """A function of another app, imported when first called (this module loads early)."""

    def call(*args):
        from django.utils.module_loading import import_string

        return import_string(dotted)(*args)

    return call


EXPORTERS: dict[str, Exporter] = {
    "price_list": Exporter(
        kind="price_list",
        title=_("Price list"),
        permission="clinic.export_services",
        file_stem="price-list",
        rows=_price_list_rows,
        count=_price_list_count,
    ),
    # Money reports: the period shown on the page (billing/reports.py).
    "cash_report": Exporter(
        kind="cash_report",
        title=_("Cash report"),
        permission="billing.view_cash_report",
        file_stem="cash-report",
        clean=_later("billing.reports.cash_export_params"),
        rows=_later("billing.reports.cash_export_rows"),
        count=_later("billing.reports.cash_export_count"),
    ),
    "revenue_report": Exporter(
        kind="revenue_report",
        title=_("Revenue report"),
        permission="billing.view_revenue_report",
        file_stem="revenue-report",
        clean=_later("billing.reports.revenue_export_params"),
        rows=_later("billing.reports.revenue_export_rows"),
        count=_later("billing.reports.revenue_export_count"),
    ),
    "unapplied_deposits": Exporter(
        kind="unapplied_deposits",
        title=_("Unapplied deposits"),
        permission="billing.view_deposit",
        file_stem="unapplied-deposits",
        rows=_later("billing.reports.deposits_export_rows"),
        count=_later("billing.reports.deposits_export_count"),
    ),
    # Barter per agreement and patient for a period (billing/barter/reports.py).
    "barter_report": Exporter(
        kind="barter_report",
        title=_("Barter report"),
        permission="barter.view_policy",
        file_stem="barter-report",
        clean=_later("billing.barter.reports.barter_export_params"),
        rows=_later("billing.barter.reports.barter_export_rows"),
        count=_later("billing.barter.reports.barter_export_count"),
    ),
    # A patient's account statement for a period (billing/documents.py): the document, and its rows.
    "statement_pdf": Exporter(
        kind="statement_pdf",
        title=_("Account statement"),
        permission="billing.view_payment",
        file_stem="statement",
        clean=_later("billing.documents.clean_statement_params"),
        rows=_later("billing.documents.statement_rows"),
        count=_later("billing.documents.statement_row_count"),
        build=_later("billing.documents.build_statement_pdf"),
        extension="pdf",
    ),
    "statement_xlsx": Exporter(
        kind="statement_xlsx",
        title=_("Account statement"),
        permission="billing.view_payment",
        file_stem="statement",
        clean=_later("billing.documents.clean_statement_params"),
        rows=_later("billing.documents.statement_rows"),
        count=_later("billing.documents.statement_row_count"),
    ),
    # Statistics sent by partners: the filter shown on the page (partners/reports.py).
    "partner_statistics": Exporter(
        kind="partner_statistics",
        title=_("Statistics sent by partners"),
        permission="partners.view_partner_statistics",
        file_stem="partner-statistics",
        clean=_later("partners.reports.statistics_export_params"),
        rows=_later("partners.reports.statistics_export_rows"),
        count=_later("partners.reports.statistics_export_count"),
        build=_later("partners.reports.build_statistics_workbook"),
    ),
}
