"""The statistics sent by partners, per partner and day: read live from the bookings and the
ledger, or from the days already folded (``StatisticsDay``), whichever gives the same figures
faster.

One query answers every question here: ``live_figures`` sums a set of bookings per partner and
day (their own figures and, from the ledger, what was charged and the commission earned). The
fold stores its answer for whole days; a period is then read as the folded days plus, live, the
days changed since (the database writes a ``StatisticsChange`` for every booking whose figures
may have changed: clinic.tenants migration 0005). A day is folded for every partner at once, in
the clinic's time zone of the moment: folded days of another zone are never read, and the next
fold makes them again. The days' sums add up exactly to the period's: every figure is a count or
a sum of amounts already rounded per booking, and a visit belongs to a single booking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import BooleanField as BooleanOutput
from django.db.models import ExpressionWrapper, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing import ledger
from clinic.locking import advisory_lock
from clinic.money import ZERO, minor_unit
from clinic.periods import clinic_zone, period_bounds
from clinic.scheduling.models import Appointment, Status

from ..models import PartnerBooking, PaymentPlace, StatisticsChange, StatisticsDay

ONE_DAY = timedelta(days=1)
# A period with more changed days than this is read live as a whole (one pass over its
# bookings costs less than many days' ranges).
MOST_CHANGED_DAYS = 60
# The fold takes this many changed days a statement (a year of changes in a handful).
FOLD_DAYS = 120


@dataclass
class DayFigures:
    """What the statistics show for a set of bookings (one partner's of one day, or sums)."""

    bookings: int = 0
    live: int = 0  # neither the booking nor its appointment cancelled
    billed: int = 0  # live bookings whose booked services were charged
    booked: Decimal = ZERO  # the live bookings' booked value
    commission_booked: Decimal = ZERO  # the percent of it, rounded per booking (a forecast)
    paid_at_partner: Decimal = ZERO  # the booked value of live bookings paid at the partner
    charged: Decimal = ZERO  # the ledger: what their visits charged for the booked services
    payable: Decimal = ZERO  # the ledger: the commission the clinic came to owe for them


FIGURES = tuple(field.name for field in fields(DayFigures))

Key = tuple[int, date]  # a partnership's id and a day

# The bookings' own figures per partner and day. A booking is live unless it or its appointment
# was cancelled (an anti-join on the few cancelled appointments, cheaper than joining every
# appointment); its commission is rounded per booking, as its row shows it.
_OWN_FIGURES = """
SELECT partnership_id, day, COUNT(*), COUNT(*) FILTER (WHERE live),
       COALESCE(SUM(value) FILTER (WHERE live), 0),
       COALESCE(SUM(ROUND(value * percent / 100, %s)) FILTER (WHERE live), 0),
       COALESCE(SUM(value) FILTER (WHERE live AND payment_place = %s), 0)
FROM (SELECT b.partnership_id, b.day, b.value, b.percent, b.payment_place,
             b.cancelled_at IS NULL AND a.id IS NULL AS live
      FROM ({bookings}) AS b (partnership_id, day, appointment_id, value, percent, payment_place, cancelled_at)
      LEFT JOIN {appointment} a ON a.id = b.appointment_id AND a.status = %s) AS booking
GROUP BY 1, 2
"""


def live_figures(bookings, *, zone=None, days: Iterable[date] | None = None) -> dict[Key, DayFigures]:
    """``bookings`` (a queryset of partner bookings) summed per partner and the clinic's day they
    were made: two aggregate queries, whatever their number. ``days``: only those made on these
    days — found by the same day the sums are grouped by (the database's), among the bookings
    of the days around them (an index's range)."""
    from clinic.services import clinic_currency

    zone = zone or clinic_zone()
    if days is not None:
        days = set(days)
        bookings = bookings.filter(_made_on(days | {day + step for day in days for step in (ONE_DAY, -ONE_DAY)}))
    bookings = bookings.order_by().annotate(day=TruncDate("created", tzinfo=zone))
    if days is not None:
        bookings = bookings.filter(day__in=days)
    own, params = (bookings.values_list("partnership_id", "day", "appointment_id", "value", "commission_percent",
                                        "payment_place", "cancelled_at").query.sql_with_params())
    figures: dict[Key, DayFigures] = {}
    with connection.cursor() as cursor:
        cursor.execute(_OWN_FIGURES.format(bookings=own, appointment=Appointment._meta.db_table),
                       [minor_unit(clinic_currency()), PaymentPlace.PARTNER, *params, Status.CANCELLED])
        for partnership_id, day, count, live, booked, commission, paid_at_partner in cursor.fetchall():
            figures[partnership_id, day] = DayFigures(bookings=count, live=live, booked=booked,
                                                      commission_booked=commission, paid_at_partner=paid_at_partner)
    # Live: neither the booking nor its appointment cancelled — the appointment read by a join
    # (by hash for a year), not a subquery per booking.
    live = ExpressionWrapper(Q(cancelled_at__isnull=True) & ~Q(appointment__status=Status.CANCELLED),
                             output_field=BooleanOutput())
    rows, params = (bookings.annotate(live=live)
                    .values_list("partnership_id", "day", "appointment_id", "partnership__counterparty_id",
                                 "posting_id", "cancel_posting_id", "live").query.sql_with_params())
    for key, earned in ledger.booked_totals(rows, params).items():
        day = figures.setdefault(key, DayFigures())
        day.billed, day.charged, day.payable = earned.billed, earned.charged, earned.payable
    return figures


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Days as the fewest runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _made_on(days: Iterable[date]) -> Q:
    """Bookings made on one of ``days`` (the clinic's)."""
    made = Q(pk__in=[])
    for first, last in _day_ranges(days):
        starts, ends = period_bounds(first, last)
        made |= Q(created__gte=starts, created__lt=ends)
    return made


def changed_days(zone, starts=None, ends=None) -> set[date]:
    """The days (in ``zone``) of the bookings changed since the last fold, of a period or all."""
    changes = StatisticsChange.objects.all()
    if starts is not None:
        changes = changes.filter(booked_at__gte=starts, booked_at__lt=ends)
    return set(changes.annotate(day=TruncDate("booked_at", tzinfo=zone)).values_list("day", flat=True).distinct())


def period_figures(first: date, last: date, partnership_id: int | None = None) -> dict[Key, DayFigures]:
    """The figures of the bookings made from ``first`` to ``last`` (the clinic's days), per
    partner and day: the folded days, and live the days changed since they were folded (or every
    day, when too many changed or the days were folded in another time zone). Equal, day by day,
    to ``live_figures`` of the period's bookings: read in one snapshot (a transaction of its own,
    repeatable read), so a change or a fold committed meanwhile is seen everywhere or nowhere."""
    if connection.in_atomic_block:  # the caller's transaction: its snapshot, whatever it is
        return _period_figures(first, last, partnership_id)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _period_figures(first, last, partnership_id)


# Two zones' days differ by two at the most (UTC-12 and UTC+14): a booking of the period was
# folded, in any zone, within these days around it.
ZONES_APART = timedelta(days=2)


def _period_figures(first: date, last: date, partnership_id: int | None) -> dict[Key, DayFigures]:
    zone = clinic_zone()
    starts, ends = period_bounds(first, last)
    bookings = PartnerBooking.objects.filter(created__gte=starts, created__lt=ends)
    folded = StatisticsDay.objects.filter(day__gte=first, day__lte=last)
    if partnership_id is not None:
        bookings = bookings.filter(partnership_id=partnership_id)
        folded = folded.filter(partnership_id=partnership_id)
    changed = changed_days(zone, starts, ends)
    # A fold makes every day again after a change of zone, in one transaction: days of another
    # zone around the period mean it has not run since, and the period is read live.
    other_zone = (StatisticsDay.objects.filter(day__gte=first - ZONES_APART, day__lte=last + ZONES_APART)
                  .exclude(zone=str(zone)).exists())
    if len(changed) > MOST_CHANGED_DAYS or other_zone:
        return live_figures(bookings, zone=zone)
    figures = {(row["partnership_id"], row["day"]): DayFigures(**{field: row[field] for field in FIGURES})
               for row in folded.exclude(day__in=changed).values("partnership_id", "day", *FIGURES)}
    if changed:
        figures.update(live_figures(bookings, zone=zone, days=changed))
    return figures


def fold_statistics() -> int:
    """Fold every day changed since the last fold (all of them after a change of the clinic's
    time zone) into ``StatisticsDay``; the number of days folded. One transaction, one fold at a
    time per clinic. The changes read first are the ones removed at the end: one written while
    the fold ran stays, and its day is folded again by the next."""
    zone = clinic_zone()
    with transaction.atomic():
        advisory_lock("partners", "statistics-fold")
        if StatisticsDay.objects.exclude(zone=str(zone)).exists():
            StatisticsDay.objects.all().delete()
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {StatisticsChange._meta.db_table} (booked_at) "
                               f"SELECT DISTINCT created FROM {PartnerBooking._meta.db_table}")
        changes = list(StatisticsChange.objects.annotate(day=TruncDate("booked_at", tzinfo=zone))
                       .values_list("pk", "day"))
        if not changes:
            return 0
        days = sorted({day for _pk, day in changes})
        now = timezone.now()
        for position in range(0, len(days), FOLD_DAYS):
            chunk = days[position:position + FOLD_DAYS]
            figures = live_figures(PartnerBooking.objects.all(), zone=zone, days=chunk)
            StatisticsDay.objects.filter(day__in=chunk).delete()
            StatisticsDay.objects.bulk_create([
                StatisticsDay(partnership_id=partnership_id, day=day, zone=str(zone), folded_at=now,
                              **{field: getattr(day_figures, field) for field in FIGURES})
                for (partnership_id, day), day_figures in figures.items()])
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {StatisticsChange._meta.db_table} WHERE id = ANY(%s)",
                           [[pk for pk, _day in changes]])
        return len(days)


def summed(figures: Mapping[Key, DayFigures]) -> DayFigures:
    """The days' figures added up."""
    days = figures.values()
    return DayFigures(**{field: sum((getattr(day, field) for day in days), start=getattr(DayFigures, field))
                         for field in FIGURES})
