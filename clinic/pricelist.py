"""The price list as a spreadsheet: import (all rows or none) and export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from auditlog.context import set_actor
from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.money import minor_unit, parse_amount, round_money
from clinic.spreadsheets import UnreadableTable, cell_text, read_rows

from .models import Service
from .services import category_named, normalise_code

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
MAX_COLUMNS = 50
# The refusal page lists this many problems and counts the rest.
SHOWN_ERRORS = 50

# (key, label) in file order; the label is the header the export writes.
COLUMNS = [
    ("code", gettext_lazy("Code")),
    ("name", gettext_lazy("Name")),
    ("category", gettext_lazy("Category")),
    ("duration_minutes", gettext_lazy("Duration (minutes)")),
    ("price", gettext_lazy("Price")),
    ("vat_rate", gettext_lazy("VAT rate (%)")),
    ("active", gettext_lazy("Active")),
]
REQUIRED = {"code", "name", "category", "duration_minutes", "price"}
TRUE_WORDS = {"1", "true", "yes", "y", "x", "+"}
FALSE_WORDS = {"0", "false", "no", "n", "-", ""}


@dataclass
class RowError:
    line: int
    column: str
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class PriceListRejected(Exception):
    errors: list[RowError] = field(default_factory=list)


def _header_aliases() -> dict[str, str]:
    """Every header the import understands: the keys and the labels in all languages."""
    aliases: dict[str, str] = {}
    for key, label in COLUMNS:
        aliases[key] = key
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                aliases[" ".join(str(label).split()).casefold()] = key
    return aliases


def _words(language_words: set[str], msg) -> set[str]:
    found = set(language_words)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(str(msg).casefold())
    return found


def _read_rows(file_name: str, content: bytes) -> Iterator[list]:
    try:
        yield from read_rows(file_name, content, max_columns=MAX_COLUMNS)
    except UnreadableTable as refused:
        raise PriceListRejected([RowError(0, "", refused.message)]) from refused


_cell = cell_text


def parse_price_list(file_name: str, content: bytes, currency: str) -> list[dict]:
    """Read and check every row; raise PriceListRejected listing every bad one."""
    if len(content) > MAX_BYTES:
        raise PriceListRejected([RowError(0, "", _("The file is larger than 5 MB."))])
    rows = _read_rows(file_name, content)
    header = next(rows, None)
    if header is None:
        raise PriceListRejected([RowError(1, "", _("The file is empty."))])
    aliases = _header_aliases()
    labels = dict(COLUMNS)
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, title in enumerate(header):
        key = aliases.get(" ".join(_cell(title).split()).casefold())
        if key and key not in positions:
            positions[key] = index
    for key in REQUIRED - positions.keys():
        errors.append(RowError(1, str(labels[key]), _("This column is missing.")))
    if errors:
        raise PriceListRejected(errors)

    true_words = _words(TRUE_WORDS, gettext_lazy("yes"))
    false_words = _words(FALSE_WORDS, gettext_lazy("no"))
    places = minor_unit(currency)
    parsed: list[dict] = []
    seen_codes: dict[str, int] = {}
    for line, raw in enumerate(rows, start=2):
        if line - 1 > MAX_ROWS:
            errors.append(RowError(line, "", _("The file has more than 10,000 rows.")))
            break
        values = {key: _cell(raw[pos]) if pos < len(raw) else "" for key, pos in positions.items()}
        if not any(values.values()):
            continue
        row_errors: list[RowError] = []

        def bad(key, reason, _line=line, _errors=row_errors):
            _errors.append(RowError(_line, str(labels[key]), reason))

        for key in REQUIRED:
            if not values.get(key):
                bad(key, _("This value is required."))
        code = normalise_code(values.get("code", ""))
        if code:
            if len(code) > 30:
                bad("code", _("At most 30 characters."))
            elif code in seen_codes:
                bad("code", _("The same code is already on line %(line)s.") % {"line": seen_codes[code]})
            else:
                seen_codes[code] = line
        if len(values.get("name", "")) > 200:
            bad("name", _("At most 200 characters."))
        if len(values.get("category", "")) > 120:
            bad("category", _("At most 120 characters."))
        duration = None
        if values.get("duration_minutes"):
            try:
                duration = int(values["duration_minutes"])
                if not 0 < duration <= 24 * 60:
                    raise ValueError
            except ValueError:
                bad("duration_minutes", _("Enter whole minutes between 1 and 1440."))
        price = None
        if values.get("price"):
            try:
                price = parse_amount(values["price"])
                if price < 0:
                    bad("price", _("The price cannot be negative."))
                elif price >= Decimal("1e12"):
                    bad("price", _("The price is too large."))
                elif price != round_money(price, currency):
                    bad("price", _("At most %(places)s decimal places.") % {"places": places})
            except ValueError:
                bad("price", _("Enter a number."))
        vat = Decimal("0.00")
        if values.get("vat_rate"):
            try:
                vat = parse_amount(values["vat_rate"].rstrip("%"))
                if not Decimal(0) <= vat <= Decimal(100) or vat != vat.quantize(Decimal("0.01")):
                    raise ValueError
            except ValueError:
                bad("vat_rate", _("Enter a percentage between 0 and 100."))
        active = True
        if "active" in values:
            word = values["active"].casefold()
            if word in true_words:
                active = True
            elif word in false_words:
                active = word == ""  # an empty cell keeps the default: active
            else:
                bad("active", _("Enter yes or no."))
        if row_errors:
            errors.extend(row_errors)
            continue
        parsed.append(
            {
                "code": code,
                "name": values["name"],
                "category": values["category"],
                "duration_minutes": duration,
                "price": price,
                "vat_rate": vat,
                "is_active": active,
            }
        )
    if errors:
        raise PriceListRejected(errors)
    if not parsed:
        raise PriceListRejected([RowError(2, "", _("The file has no services."))])
    return parsed


def import_price_list(file_name: str, content: bytes, *, actor) -> ImportResult:
    """Create or update services by code; every row is saved, or none."""
    currency = connection.tenant.currency
    rows = parse_price_list(file_name, content, currency)
    result = ImportResult()
    with transaction.atomic(durable=True), set_actor(actor):
        existing = {s.code.upper(): s for s in Service.objects.select_for_update().select_related("category")}
        categories: dict[str, object] = {}
        for row in rows:
            key = row["category"].casefold()
            if key not in categories:
                categories[key] = category_named(row["category"])
            category = categories[key]
            service = existing.get(row["code"])
            values = {
                "name": row["name"],
                "category": category,
                "duration_minutes": row["duration_minutes"],
                "price": round_money(row["price"], currency),
                "vat_rate": row["vat_rate"],
                "is_active": row["is_active"],
            }
            if service is None:
                Service.objects.create(code=row["code"], **values)
                result.created += 1
                continue
            changed = [name for name, value in values.items() if getattr(service, name) != value]
            if not changed:
                result.unchanged += 1
                continue
            for name in changed:
                setattr(service, name, values[name])
            service.save()
            result.updated += 1
    return result


def price_list_rows() -> Iterator[list]:
    """The export's rows, header first; streamed from the database."""
    yield [str(label) for _key, label in COLUMNS]
    services = Service.objects.select_related("category").order_by("category__name", "code")
    for service in services.iterator(chunk_size=500):
        yield [
            service.code,
            service.name,
            service.category.name,
            service.duration_minutes,
            service.price,
            service.vat_rate,
            str(_("yes")) if service.is_active else str(_("no")),
        ]
