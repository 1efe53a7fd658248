"""The Solar Hijri calendar for clinics that work in it (a clinic setting, shown on Persian
pages): dates converted by jdatetime (a kept library), written with the same format names as
every other language (clinic/formats/fa), so pages, e-mails and PDFs agree."""

from __future__ import annotations

import re
from datetime import date, datetime

import jdatetime
from django.db import connection
from django.utils import translation
from django.utils.formats import get_format

# Formats written for machines, not people (links, hidden fields, data attributes, the date
# picker's value): always Gregorian ISO, whatever calendar the page shows. A Solar Hijri
# "1405-09-14" there would be read back as a Gregorian day in the year 1405.
MACHINE_FORMATS = frozenset({"Y-m-d", "Y-m", "Y-m-d\\TH:i", "Y-m-d H:i", "c", "U"})
# A month as a period (reports, partner accounts) is a Gregorian month: written in the Gregorian
# calendar (Persian month names: "دسامبر 2026"), as a Solar Hijri month name would name another
# stretch of days (December is 10 Azar to 10 Dey).
GREGORIAN_FORMATS = MACHINE_FORMATS | {"YEAR_MONTH_FORMAT"}


def solar_hijri_shown() -> bool:
    """Whether dates are shown in the Solar Hijri calendar here and now."""
    return solar_hijri_clinic() and (translation.get_language() or "").startswith("fa")


def solar_hijri_format(value: date | datetime, format_string: str) -> str:
    """``value`` written with a Django date format (by name or pattern) in the Solar Hijri
    calendar: day, month (number or Persian name), year and weekday from jdatetime; times as
    they are."""
    pattern = get_format(format_string or "DATE_FORMAT")
    day = value.date() if isinstance(value, datetime) else value
    jalali = jdatetime.date.fromgregorian(date=day)
    month_name = jdatetime.date.j_months_fa[jalali.month - 1]
    weekday = jdatetime.date.j_weekdays_fa[jalali.weekday()]
    parts = {
        "d": f"{jalali.day:02d}", "j": str(jalali.day), "m": f"{jalali.month:02d}", "n": str(jalali.month),
        "F": month_name, "E": month_name, "N": month_name, "M": month_name, "b": month_name,
        "Y": str(jalali.year), "y": f"{jalali.year % 100:02d}", "l": weekday, "D": weekday,
    }
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in parts:
            out.append(parts[char])
        elif char in "HGisAaPfgh" and isinstance(value, datetime):
            from django.utils import dateformat

            out.append(dateformat.format(value, char))
        else:
            out.append(char)
    return "".join(out)


def format_date(value: date | datetime, format_name: str = "DATE_FORMAT") -> str:
    """A date for a message written in Python (not a template): the clinic's calendar, the
    language's format — as the templates' |date filter writes it."""
    from django.utils.formats import date_format

    if solar_hijri_shown() and format_name not in GREGORIAN_FORMATS:
        return solar_hijri_format(value, format_name)
    return date_format(value, format_name)


# --- dates typed by people ---------------------------------------------------------------

# Persian (۰–۹) and Arabic-Indic (٠–٩) digits read as Latin ones: a receptionist types either.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"\s*[/\-.\u060c\u066b\u066c\u2215]\s*|\s+")


def solar_hijri_clinic() -> bool:
    """Whether this clinic works in the Solar Hijri calendar (whatever the page's language)."""
    return getattr(getattr(connection, "tenant", None), "calendar", "") == "solar_hijri"


def parse_typed_date(text: str) -> date | None:
    """A day typed by a person, or None when it is not one.

    Always a Gregorian ISO day (``2026-12-05``: what date pickers, links and exports send).
    In a Solar Hijri clinic also a Solar Hijri day, year first (``1405/09/14``, ``۱۴۰۵/۹/۱۴``,
    ``1405-9-14``), in Persian, Arabic-Indic or Latin digits: a year before 1700 is Solar
    Hijri, converted by jdatetime.
    """
    cleaned = (text or "").strip().translate(_DIGITS)
    parts = [part for part in _SEPARATORS.split(cleaned) if part]
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or len(parts[0]) != 4:
        return None
    year, month, day = (int(part) for part in parts)
    try:
        if year >= 1700:
            return date(year, month, day)
        if solar_hijri_clinic():
            return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        return None
    return None


def date_for_input(value: date | None) -> str:
    """How a day stands in a date field: Solar Hijri ``1405/09/14`` on a Solar Hijri clinic's
    Persian pages (a text field), else ISO for the browser's date picker."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if solar_hijri_shown():
        jalali = jdatetime.date.fromgregorian(date=value)
        return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
    return value.isoformat()
