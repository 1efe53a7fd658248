"""What can be exported, who may, and how its rows are produced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Exporter:
    kind: str
    title: object
    permission: str
    file_stem: str
    rows: Callable[[], Iterator[list]]
    count: Callable[[], int]


def _price_list_rows():
    from clinic.pricelist import price_list_rows

    return price_list_rows()


def _price_list_count():
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
