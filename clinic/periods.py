"""Periods of the clinic's calendar: days, months, quarters, "this month so far".

Every report and export reads its period here, in the clinic's time zone (also in a task,
where no zone is activated). A period is a pair of days, ``first`` and ``last``, both included.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import DomainError

# A longer period is refused: a year (a leap one too) is what people compare.
MAX_PERIOD_DAYS = 366


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(connection.tenant.time_zone)


def clinic_today() -> date:
    """Today in the clinic's time zone."""
    return timezone.now().astimezone(clinic_zone()).date()


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants that begin ``first`` and end ``last`` in the clinic's time zone."""
    zone = clinic_zone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- days and periods typed by people ----------------------------------------------------


def parse_day(text: str, field_name: str) -> date:
    """A date typed as YYYY-MM-DD (or, in a Solar Hijri clinic, 1405/09/14: the one rule of
    every date field, ``clinic.calendars.parse_typed_date``), or a DomainError naming the field."""
    from clinic.calendars import parse_typed_date

    day = parse_typed_date(text)
    if day is None or not 1900 <= day.year <= 2999:
        raise DomainError(_("“%(value)s” is not a valid date.") % {"value": text[:30]}, field=field_name)
    return day


def parse_period(data: Mapping, *, default: tuple[date, date], day_field: str | None = None) -> tuple[date, date]:
    """The period asked for in ``data`` (a query dict): ``first`` and ``last``
    (``last`` may be left out: one day), or one ``day_field``; else ``default``.

    Refuses, with a message fit to show, a date that is not one, a last day
    before the first and a period longer than ``MAX_PERIOD_DAYS``.
    """
    first_text = (data.get("first") or "").strip()
    last_text = (data.get("last") or "").strip()
    day_text = (data.get(day_field) or "").strip() if day_field else ""
    if first_text or last_text:
        if not first_text:
            raise DomainError(_("Enter the first day."), field="first")
        first = parse_day(first_text, "first")
        last = parse_day(last_text, "last") if last_text else first
    elif day_text:
        first = last = parse_day(day_text, day_field)
    else:
        return default
    if last < first:
        raise DomainError(_("The last day is before the first."), field="last")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise DomainError(
            _("Choose a period of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}, field="last"
        )
    return first, last


def period_params(first: date, last: date) -> dict:
    """A period as an export's (JSON) params."""
    return {"first": first.isoformat(), "last": last.isoformat()}


def period_from_params(params: Mapping) -> tuple[date, date]:
    """The period of an export's params (``period_params``)."""
    return date.fromisoformat(params["first"]), date.fromisoformat(params["last"])


# --- months ------------------------------------------------------------------------------


def month_so_far() -> tuple[date, date]:
    """This month up to today, in the clinic's time zone."""
    today = clinic_today()
    return today.replace(day=1), today


def this_month() -> date:
    """The first day of this month."""
    return month_so_far()[0]


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_period(month: date) -> tuple[date, date]:
    """The whole month of ``month``: its first and last day."""
    first = month.replace(day=1)
    return first, next_month(first) - timedelta(days=1)


def month_shortcuts() -> dict:
    """The reports' period buttons: this month so far, and the whole of last month."""
    first, today = month_so_far()
    return {"this_month": (first, today), "last_month": month_period(previous_month(first))}


def parse_month(text: str, field_name: str = "month") -> date:
    """A month typed as YYYY-MM: its first day, or a DomainError naming the field."""
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        first = None
    if first is None or not 2000 <= first.year <= 2999:
        raise DomainError(_("“%(value)s” is not a month (YYYY-MM).") % {"value": text[:20]}, field=field_name)
    return first


def month_from(data: Mapping, field_name: str = "month") -> date:
    """The month asked for (``month=YYYY-MM``), this month by default."""
    text = (data.get(field_name) or "").strip()
    return parse_month(text, field_name) if text else this_month()


# --- quarters ----------------------------------------------------------------------------


def quarter_period(day: date) -> tuple[date, date]:
    """The whole quarter ``day`` falls in: its first and last day."""
    first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    last = next_month(next_month(next_month(first))) - timedelta(days=1)
    return first, last


def quarter_so_far() -> tuple[date, date]:
    """This quarter up to today, in the clinic's time zone."""
    today = clinic_today()
    return quarter_period(today)[0], today
