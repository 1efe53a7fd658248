"""Statistics sent by partners: the bookings of a period, their totals, the weekly charts and the
background workbook."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.money import ZERO, round_money
from clinic.periods import month_so_far, parse_period, period_bounds
from clinic.scheduling.availability import clinic_zone
from clinic.scheduling.models import Status

from ..models import PartnerBooking, Partnership, PaymentPlace, reference_code
from ._common import (
    CANCELLABLE_STATUSES,
    PAGE_SIZE,
    _charged,
    _commission,
    _local,
    _service_names,
    commission_on,
)
from .days import DayFigures, Key, period_figures, summed

# --- statistics sent by partners ----------------------------------------------------------


@dataclass(frozen=True)
class StatisticsFilter:
    first: date
    last: date
    partnership_id: int | None = None

    def params(self) -> dict:
        """As an export's (JSON) params."""
        return {"first": self.first.isoformat(), "last": self.last.isoformat(), "partner": self.partnership_id}


def clean_statistics(data: Mapping) -> StatisticsFilter:
    """The filter asked for in a query dict (``first``, ``last``, ``partner``), or a DomainError."""
    first, last = parse_period(data, default=month_so_far())
    text = (data.get("partner") or "").strip()
    partnership_id = None
    if text:
        try:
            partnership_id = int(text)
        except ValueError:
            partnership_id = None
        if partnership_id is None or not Partnership.objects.filter(pk=partnership_id).exists():
            raise DomainError(_("Choose a partner from the list."), field="partner")
    return StatisticsFilter(first, last, partnership_id)


def _from_params(params: Mapping) -> StatisticsFilter:
    return StatisticsFilter(date.fromisoformat(params["first"]), date.fromisoformat(params["last"]),
                            params.get("partner"))


def _bookings(filters: StatisticsFilter):
    starts, ends = period_bounds(filters.first, filters.last)
    bookings = PartnerBooking.objects.filter(created__gte=starts, created__lt=ends)
    if filters.partnership_id is not None:
        bookings = bookings.filter(partnership_id=filters.partnership_id)
    return bookings


def statistics_rows(filters: StatisticsFilter):
    """The bookings of the filter, newest first, each with what the page shows (its charged
    value and service names as subqueries): one query, whatever the number of rows."""
    return (
        _bookings(filters)
        .select_related("appointment__location", "appointment__practitioner", "appointment__patient",
                        "partnership__organisation")
        .annotate(charged=_charged(), commission=_commission(), service_names=_service_names())
        .order_by("-created", "-id")
    )


@dataclass
class StatisticsRow:
    """One booking as the statistics show it."""

    booking: PartnerBooking
    charged: Decimal | None
    services: str
    commission_booked: Decimal
    commission_charged: Decimal | None
    is_live: bool
    can_cancel: bool

    @property
    def status(self) -> str:
        if self.booking.cancelled_at is not None:
            return str(Status.CANCELLED.label)
        return self.booking.appointment.get_status_display()


def _earned(charged: Decimal | None, commission: Decimal) -> Decimal | None:
    """The commission earned as a row shows it: empty until the visit is billed, unless the
    ledger holds some already (a booking's commission posted at booking by earlier versions)."""
    return None if charged is None and not commission else commission


def statistics_row(booking: PartnerBooking) -> StatisticsRow:
    appointment = booking.appointment
    is_live = booking.cancelled_at is None and appointment.status != Status.CANCELLED
    return StatisticsRow(
        booking=booking,
        charged=booking.charged,
        services=booking.service_names or "",
        commission_booked=commission_on(booking.value, booking.commission_percent, booking.currency),
        commission_charged=_earned(booking.charged, booking.commission),
        is_live=is_live,
        can_cancel=is_live and appointment.status in CANCELLABLE_STATUSES,
    )


@dataclass
class StatisticsTotals:
    currency: str
    bookings: int = 0
    cancelled: int = 0
    billed: int = 0  # live bookings whose visit was billed
    booked: Decimal = ZERO
    charged: Decimal = ZERO
    commission_booked: Decimal = ZERO  # a forecast: the percent of the booked value
    commission_charged: Decimal = ZERO  # earned: the ledger's commission of the bookings
    booked_paid_at_partner: Decimal = ZERO  # booked value of live bookings paid at the partner

    @property
    def live(self) -> int:
        return self.bookings - self.cancelled


def statistics_figures(filters: StatisticsFilter) -> dict[Key, DayFigures]:
    """The filter's figures per partner and day (``days.period_figures``): what the totals and
    the charts are made of, read once for both."""
    return period_figures(filters.first, filters.last, filters.partnership_id)


def statistics_totals(filters: StatisticsFilter, figures: Mapping[Key, DayFigures] | None = None) -> StatisticsTotals:
    """The filter's totals: the sums of its days' figures (a few queries, whatever the number of
    bookings)."""
    from clinic.services import clinic_currency

    currency = clinic_currency()
    total = summed(statistics_figures(filters) if figures is None else figures)

    def amount(value) -> Decimal:
        return round_money(value, currency)

    return StatisticsTotals(
        currency=currency, bookings=total.bookings, cancelled=total.bookings - total.live, billed=total.billed,
        booked=amount(total.booked), charged=amount(total.charged), commission_booked=amount(total.commission_booked),
        commission_charged=amount(total.payable), booked_paid_at_partner=amount(total.paid_at_partner),
    )


@dataclass
class StatisticsPage:
    """One page of the statistics: its rows, the totals (with the count) and the page numbers."""

    filters: StatisticsFilter
    totals: StatisticsTotals
    rows: list[StatisticsRow]
    number: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def statistics_page(filters: StatisticsFilter, page: object = 1,
                    figures: Mapping[Key, DayFigures] | None = None) -> StatisticsPage:
    """The totals (which count the rows) and the page's rows in one query, whatever the size.
    The page's bookings are chosen first, so a far page does not compute the charged value and
    the services of every booking it skips."""
    totals = statistics_totals(filters, figures)
    pages = max(1, -(-totals.bookings // PAGE_SIZE))
    try:
        number = int(page)
    except (TypeError, ValueError):
        number = 1
    number = min(max(number, 1), pages)
    offset = (number - 1) * PAGE_SIZE
    chosen = _bookings(filters).order_by("-created", "-id").values("pk")[offset:offset + PAGE_SIZE]
    rows = [statistics_row(booking) for booking in statistics_rows(filters).filter(pk__in=chosen)]
    return StatisticsPage(filters=filters, totals=totals, rows=rows, number=number, pages=pages)


# --- the statistics' charts: bookings and commission per week per partner -------------------


@dataclass
class PartnerWeeks:
    """One partner's line in the charts: per week (in ``StatisticsChart.weeks``' order) its live
    bookings and the commission on their booked value."""

    partnership_id: int
    name: str
    colour: int  # the chart palette's index (static/css/app.css .chart-cN, static/js/charts.js)
    bookings: list[int]
    commission: list[Decimal]


@dataclass
class StatisticsChart:
    currency: str
    weeks: list[date]  # each week's first day in the period (weeks begin on the language's first day)
    partners: list[PartnerWeeks]

    @property
    def rows(self) -> list[tuple[date, list[tuple[PartnerWeeks, int, Decimal]]]]:
        """The charts' figures as the table beside them reads them: a week a row, a partner a column."""
        return [(week, [(partner, partner.bookings[position], partner.commission[position])
                        for partner in self.partners]) for position, week in enumerate(self.weeks)]

    @property
    def bookings(self) -> int:
        return sum(sum(partner.bookings) for partner in self.partners)

    @property
    def commission(self) -> Decimal:
        return sum((sum(partner.commission, ZERO) for partner in self.partners), ZERO)


def week_start(day: date) -> date:
    """The first day of ``day``'s week, by the language's FIRST_DAY_OF_WEEK (0 is Sunday:
    Monday in Romanian or Russian, Saturday in Persian, Sunday in English)."""
    from django.utils.formats import get_format

    first = int(get_format("FIRST_DAY_OF_WEEK"))
    return day - timedelta(days=(day.isoweekday() % 7 - first) % 7)


def statistics_by_week(filters: StatisticsFilter, names: Mapping[int, str] | None = None,
                       figures: Mapping[Key, DayFigures] | None = None) -> StatisticsChart:
    """The filter's live bookings (neither they nor their appointment cancelled: what the
    totals count) and the commission on their booked value (rounded per booking, as each row
    shows it), per week and partner, from the days' figures; every week of the period has its
    place, empty ones too. ``names``: the partners' names, if the caller has read them already
    (``partner_choices``)."""
    from clinic.services import clinic_currency

    currency = clinic_currency()
    figures = statistics_figures(filters) if figures is None else figures
    starts = []
    week = week_start(filters.first)
    while week <= filters.last:
        starts.append(week)
        week += timedelta(days=7)
    weeks = [max(week, filters.first) for week in starts]  # the first week shown from the period's first day
    per_partner: dict[int, tuple[list[int], list[Decimal]]] = {}
    first_week = starts[0]
    for (partnership_id, day), day_figures in figures.items():
        if not day_figures.live:
            continue
        counts, amounts = per_partner.setdefault(partnership_id, ([0] * len(weeks), [ZERO] * len(weeks)))
        # The week of ``day`` (weeks are 7 days from the first), within the period's.
        position = min(max((day - first_week).days // 7, 0), len(weeks) - 1)
        counts[position] += day_figures.live
        amounts[position] += day_figures.commission_booked
    names = dict(partner_choices()) if names is None else names
    partners = sorted(per_partner, key=lambda pk: (names.get(pk, "").casefold(), pk))
    return StatisticsChart(currency=currency, weeks=weeks, partners=[
        PartnerWeeks(pk, names.get(pk, ""), position % 8, per_partner[pk][0],
                     [round_money(amount, currency) for amount in per_partner[pk][1]])
        for position, pk in enumerate(partners)])


def partner_choices() -> list[tuple[int, str]]:
    """Every partner the clinic has had (removed ones too: their bookings stay), by name."""
    partnerships = Partnership.objects.select_related("organisation").order_by("organisation__name", "pk")
    return [(p.pk, p.organisation.name + (f" ({_('removed')})" if p.is_removed else "")) for p in partnerships]


# --- the statistics' workbook (a background export) ------------------------------------------


def statistics_export_params(data: Mapping) -> dict:
    return clean_statistics(data).params()




def statistics_export_rows(params: Mapping) -> Iterator[list]:
    """The statistics as a sheet: a header, a row per booking (streamed from the database in
    chunks), the totals, and the filter."""
    filters = _from_params(params)
    zone = clinic_zone()
    yield [_("Reference"), _("Booked at"), _("Appointment"), _("Location"), _("Practitioner"), _("Services"),
           _("Patient"), _("Partner"), _("Booked by"), _("Status"), _("Place of payment"), _("Currency"),
           _("Booked value"), _("Charged value"), _("Commission (%)"), _("Commission on the booked value"),
           _("Commission on the charged value")]
    # The labels translated once, not once a row.
    places = {value: str(label) for value, label in PaymentPlace.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    cancelled = statuses[Status.CANCELLED]
    rows = (
        statistics_rows(filters)
        .values_list("reference", "created", "appointment__starts_at", "appointment__location__name",
                     "appointment__practitioner__full_name", "service_names", "appointment__patient__first_name",
                     "appointment__patient__last_name", "partnership__organisation__name", "booked_by_name",
                     "cancelled_at", "appointment__status", "payment_place", "currency", "value", "charged",
                     "commission_percent", "commission")
    )
    for (reference, created, starts_at, location, practitioner, services, first_name, last_name, partner,
         booked_by, cancelled_at, status, payment_place, currency, value, charged, percent, earned) in rows.iterator(
            chunk_size=2000):
        yield [reference_code(reference), _local(created, zone), _local(starts_at, zone), location, practitioner,
               services or "", f"{first_name} {last_name}".strip(), partner, booked_by,
               cancelled if cancelled_at else statuses.get(status, status),
               places.get(payment_place, payment_place), currency, value, charged, percent,
               commission_on(value, percent, currency), _earned(charged, earned)]
    totals = statistics_totals(filters)
    yield []
    yield [_("Bookings"), totals.bookings, _("Cancelled"), totals.cancelled]
    yield [_("Totals of the bookings not cancelled"), "", "", "", "", "", "", "", "", "", "", totals.currency,
           totals.booked, totals.charged, "", totals.commission_booked, totals.commission_charged]
    yield [_("Period"), filters.first, filters.last]


def statistics_export_count(params: Mapping) -> int:
    return _bookings(_from_params(params)).count() + 5


