"""Orders of a platform without an API, imported from its xlsx/csv export (seed 000).

All rows or none: every row is checked first (line, column, reason for each problem), then
inside one transaction the numbers already recorded and the channel's inventory (locked) are
checked, and only a file without a single problem is stored: each row an order (source
"import", history "imported"), each taking one unit of inventory, as intake does. The file is
read with the one table reader (``clinic.spreadsheets``), after the upload's checks
(``clinic.uploads``); its report is the price-list import's (``RowError``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from auditlog.context import set_actor
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic import phones
from clinic.pricelist import RowError
from clinic.spreadsheets import UnreadableTable, cell_text, read_rows

from . import services
from .catalogue.models import Enrolment, Platform, Product
from .models import ChannelStock, OrderSource, OrderStatus, PlatformOrder

MAX_ROWS = 5_000
COLUMNS = [
    ("order_number", gettext_lazy("Order number")),
    ("product", gettext_lazy("Product code")),
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("purchased_at", gettext_lazy("Purchased at")),
]


@dataclass
class OrdersRejected(Exception):
    errors: list[RowError] = field(default_factory=list)


def _header_positions(header: list) -> dict[str, int]:
    """Which column holds each key: a header is its key or its label in any of the languages."""
    aliases: dict[str, str] = {}
    for key, label in COLUMNS:
        aliases[key] = key
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                aliases[" ".join(str(label).split()).casefold()] = key
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = aliases.get(" ".join(cell_text(title).split()).casefold())
        if key and key not in positions:
            positions[key] = index
    return positions


def approved_platforms():
    """The platforms this clinic is enrolled with (approved): the only ones it may import for."""
    return Platform.objects.filter(is_active=True, enrolments__clinic_id=connection.tenant.pk,
                                   enrolments__status=Enrolment.Status.APPROVED).order_by("name")


def _clinic_zone() -> ZoneInfo:
    try:
        return ZoneInfo(connection.tenant.time_zone)
    except (AttributeError, KeyError, ValueError):
        return ZoneInfo("UTC")


def _purchase_time(value, zone: ZoneInfo) -> datetime | None:
    """A cell's date and time: a spreadsheet's date cell, or ISO text ("2026-11-03 14:20",
    "2026/11/03 14:20:00", "2026-11-03T14:20+08:00"); without an offset, the clinic's time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = cell_text(value).replace("/", "-")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=zone)


def parse_order_file(content: bytes, *, kind: str, platform: Platform) -> list[dict]:
    """Read and check every row of an ``kind`` ("xlsx" or "csv") file; raise OrdersRejected
    listing every problem."""
    try:
        rows = read_rows(f"orders.{kind}", content)
        header = next(rows, None)
    except UnreadableTable as refused:
        raise OrdersRejected([RowError(0, "", refused.message)]) from refused
    if header is None:
        raise OrdersRejected([RowError(1, "", _("The file is empty."))])
    labels = {key: str(label) for key, label in COLUMNS}
    positions = _header_positions(header)
    errors = [RowError(1, labels[key], _("This column is missing.")) for key, _label in COLUMNS
              if key not in positions]
    if errors:
        raise OrdersRejected(errors)

    products = {p.code.casefold(): p for p in Product.objects.filter(platform=platform)}
    zone = _clinic_zone()
    now = timezone.now()
    parsed: list[dict] = []
    seen: dict[str, int] = {}
    try:
        for line, raw in enumerate(rows, start=2):
            if line - 1 > MAX_ROWS:
                errors.append(RowError(line, "", _("The file has more than 5,000 orders.")))
                break
            raw_values = {key: raw[pos] if pos < len(raw) else None for key, pos in positions.items()}
            values = {key: cell_text(value) for key, value in raw_values.items()}
            if not any(values.values()):
                continue
            row_errors: list[RowError] = []

            def bad(key, reason, _line=line, _errors=row_errors):
                _errors.append(RowError(_line, labels[key], reason))

            for key, _label in COLUMNS:
                if not values[key]:
                    bad(key, _("This value is required."))
            number = values["order_number"]
            if number:
                if len(number) > 64:
                    bad("order_number", _("At most 64 characters."))
                elif number in seen:
                    bad("order_number", _("The same order number is already on line %(line)s.")
                        % {"line": seen[number]})
                else:
                    seen[number] = line
            if len(values["name"]) > 200:
                bad("name", _("At most 200 characters."))
            phone = ""
            if values["phone"]:
                phone = phones.to_e164(values["phone"]) or ""
                if not phone:
                    bad("phone", _("Enter a valid phone number."))
            purchased_at = None
            if values["purchased_at"]:
                purchased_at = _purchase_time(raw_values["purchased_at"], zone)
                if purchased_at is None:
                    bad("purchased_at", _("Enter a date and time such as 2026-11-03 14:20."))
                elif purchased_at > now:
                    bad("purchased_at", _("The purchase time is in the future."))
            product = products.get(values["product"].casefold()) if values["product"] else None
            if values["product"] and product is None:
                bad("product", _("The platform sells no product of this code."))
            elif product is not None and purchased_at is not None:
                if not product.is_valid_on(timezone.localtime(purchased_at, zone).date()):
                    bad("product", _("The product was not on sale on the day it was bought."))
            if row_errors:
                errors.extend(row_errors)
                continue
            parsed.append({"line": line, "number": number, "product": product, "name": values["name"],
                           "phone": phone, "purchased_at": purchased_at})
    except UnreadableTable as refused:
        raise OrdersRejected([*errors, RowError(0, "", refused.message)]) from refused
    if errors:
        raise OrdersRejected(errors)
    if not parsed:
        raise OrdersRejected([RowError(2, "", _("The file has no orders."))])
    return parsed


def import_orders(platform: Platform, content: bytes, *, kind: str, file_name: str, actor) -> list[PlatformOrder]:
    """Store every order of the file (``kind`` "xlsx" or "csv", as the upload's checks found it;
    ``file_name`` as the user named it, for the history), or none; raises OrdersRejected."""
    if not approved_platforms().filter(pk=platform.pk).exists():
        raise OrdersRejected([RowError(0, "", _("The clinic is not enrolled with this platform."))])
    rows = parse_order_file(content, kind=kind, platform=platform)
    labels = {key: str(label) for key, label in COLUMNS}
    try:
        with transaction.atomic(durable=True), set_actor(actor):
            errors: list[RowError] = []
            known = set(PlatformOrder.objects.filter(platform=platform, number__in=[r["number"] for r in rows])
                        .values_list("number", flat=True))
            # Lock the inventory of the file's products before counting it (intake waits meanwhile).
            needed = Counter(row["product"].pk for row in rows)
            available = dict(ChannelStock.objects.select_for_update().filter(product_id__in=needed)
                             .order_by("product_id").values_list("product_id", "available"))
            for row in rows:
                if row["number"] in known:
                    errors.append(RowError(row["line"], labels["order_number"],
                                           _("An order of this number is already recorded.")))
                    continue
                left = available.get(row["product"].pk, 0)
                if left < 1:
                    errors.append(RowError(row["line"], labels["product"],
                                           _("The channel's inventory of this product is used up.")))
                    continue
                available[row["product"].pk] = left - 1
            if errors:
                raise OrdersRejected(errors)
            received = timezone.now()
            orders = []
            for row in rows:
                product = row["product"]
                order = PlatformOrder.objects.create(
                    platform=platform, product=product, number=row["number"], kind=product.kind,
                    price=product.price, currency=platform.currency, customer_name=row["name"],
                    customer_phone=row["phone"], purchased_at=row["purchased_at"], received_at=received,
                    source=OrderSource.IMPORT, payload={"file": file_name[:200], "line": row["line"]})
                services.take_stock(product)
                services.record_event(order, "imported", to_status=OrderStatus.NEW, actor=actor, at=received,
                                      details={"line": row["line"], "file": file_name[:200]})
                orders.append(order)
            return orders
    except IntegrityError:
        # An order of one of these numbers arrived from the platform while the file was stored.
        raise OrdersRejected([RowError(0, labels["order_number"],
                                       _("An order of one of these numbers arrived meanwhile: upload the file "
                                         "again to see which."))]) from None
