"""The Solar Hijri calendar for clinics that work in it (a clinic setting, shown on Persian
pages): dates converted by jdatetime (a kept library), written with the same format names as
every other language (clinic/formats/fa), so pages, e-mails and PDFs agree."""

from __future__ import annotations

from datetime import date, datetime

import jdatetime
from django.db import connection
from django.utils import translation
from django.utils.formats import get_format


def solar_hijri_shown() -> bool:
    """Whether dates are shown in the Solar Hijri calendar here and now."""
    return (getattr(getattr(connection, "tenant", None), "calendar", "") == "solar_hijri"
            and (translation.get_language() or "").startswith("fa"))


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

    if solar_hijri_shown():
        return solar_hijri_format(value, format_name)
    return date_format(value, format_name)
