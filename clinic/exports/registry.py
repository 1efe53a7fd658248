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


EXPORTERS: dict[str, Exporter] = {
    "price_list": Exporter(
        kind="price_list",
        title=_("Price list"),
        permission="clinic.export_services",
        file_stem="price-list",
        rows=_price_list_rows,
        count=_price_list_count,
    ),
}
