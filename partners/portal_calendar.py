"""The portal's week grid: when a practitioner is free at a location, never who is booked.

One practitioner's week is a table: a row every ``PORTAL_SLOT_MINUTES`` inside the week's
working hours, a column per day. The whole week is read once with ``load_days`` (times only,
no patients) plus the location's opening hours, then every cell is decided in memory: the
number of queries does not grow with the appointments or the practitioners. Call it inside
the clinic's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.calendars import format_date
from clinic.models import Location, OpeningHours
from clinic.scheduling.availability import aware, clinic_zone, load_days

# Partners book in half hours: finer cells make a week unreadable, and a partner's
# services (consultations, examinations) rarely take less.
PORTAL_SLOT_MINUTES = 30

FREE, BOOKED, BREAK, PAST, OFF, ABSENT, TOO_SHORT = "free", "booked", "break", "past", "off", "absent", "short"
CURRENT = "current"  # the start of the booking being moved


@dataclass(slots=True)
class Cell:
    state: str
    # Ready-made for the template: a week of ten practitioners has over a thousand cells, and
    # tags, filters or comparisons per cell cost more than reading the week.
    css: str = ""
    text: str = ""
    start: str = ""  # "YYYY-MM-DDTHH:MM" in the clinic's zone, free cells only
    url: str = ""
    label: str = ""


# The class of each state's cell: booked ones in red (the seed's words), free ones green.
CSS = {
    FREE: "portal-slot portal-free table-success p-0",
    BOOKED: "portal-slot portal-booked table-danger text-danger-emphasis",
    BREAK: "portal-slot portal-break table-secondary text-body-secondary",
    ABSENT: "portal-slot portal-absent table-secondary text-body-secondary",
    OFF: "portal-slot portal-off bg-body-tertiary",
    PAST: "portal-slot portal-past text-body-tertiary",
    TOO_SHORT: "portal-slot portal-short text-body-tertiary",
    CURRENT: "portal-slot portal-current table-primary fw-semibold",
}


@dataclass(slots=True)
class Row:
    time: str
    cells: list[Cell]


@dataclass
class PractitionerWeek:
    practitioner_id: int
    name: str
    colour: str
    days: list[date]
    rows: list[Row] = field(default_factory=list)
    free: int = 0


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_grid(
    location: Location,
    monday: date,
    *,
    practitioner_ids: list[int] | None = None,
    minutes: int | None = None,
    now: datetime | None = None,
    ignore_appointment: int | None = None,
    current: tuple[int, str] | None = None,
    slot_url: str = "",
) -> list[PractitionerWeek]:
    """Each practitioner's week at ``location``.

    A cell is free when ``minutes`` (the chosen services' length; one cell without a service)
    fit from its start inside the working hours and the opening hours, clear of breaks and of
    every live appointment of the practitioner (at any location). ``ignore_appointment`` is
    the appointment being moved: its own time does not count as taken, and ``current``
    (practitioner id, local start) marks where it is now. ``slot_url`` gets
    ``&practitioner=<id>&start=<local time>`` appended for a free cell's link.
    """
    zone = clinic_zone()
    now = now or timezone.now()
    days = [monday + timedelta(days=offset) for offset in range(7)]
    step = timedelta(minutes=PORTAL_SLOT_MINUTES)
    need = timedelta(minutes=minutes or PORTAL_SLOT_MINUTES)
    opening = {
        weekday: (opens, closes)
        for weekday, opens, closes in OpeningHours.objects.filter(location=location).values_list(
            "weekday", "opens", "closes")
    }
    loaded = load_days(days, location_id=location.pk, practitioner_ids=practitioner_ids or None,
                       with_patients=False, with_services=False)
    by_practitioner: dict[int, dict[date, object]] = {}
    for (practitioner_id, day), entry in loaded.items():
        by_practitioner.setdefault(practitioner_id, {})[day] = entry
    book_label = _("Book %(name)s on %(day)s at %(time)s")
    texts = {BOOKED: _("booked"), BREAK: _("break"), ABSENT: _("absent"), PAST: "·", TOO_SHORT: "·", OFF: "",
             CURRENT: _("now here")}
    weeks = []
    for entries in by_practitioner.values():
        practitioner = next(iter(entries.values())).practitioner
        week = PractitionerWeek(practitioner.pk, practitioner.full_name, practitioner.colour, days)
        # The rows span the week's working hours (local times of day), aligned to the step.
        first = min(w.starts.astimezone(zone).time() for e in entries.values() for w in e.working)
        last = max(w.ends.astimezone(zone).time() for e in entries.values() for w in e.working)
        first = time(first.hour, first.minute - first.minute % PORTAL_SLOT_MINUTES)
        times = []
        cursor = datetime.combine(monday, first)
        end_of_rows = datetime.combine(monday, last)
        while cursor < end_of_rows and cursor.date() == monday:
            times.append(cursor.time())
            cursor += step
        columns = []
        for day in days:
            entry = entries.get(day)
            columns.append(_column(entry, day, times, zone, now, step, need, opening.get(day.weekday()),
                                   ignore_appointment))
        day_names = [format_date(day, "MONTH_DAY_FORMAT") for day in days]
        for index, moment in enumerate(times):
            label = moment.strftime("%H:%M")
            cells = []
            for day_index, column in enumerate(columns):
                state = column[index]
                if current is not None and current == (practitioner.pk, f"{days[day_index].isoformat()}T{label}"):
                    state = CURRENT
                if state == FREE:
                    week.free += 1
                    start = f"{days[day_index].isoformat()}T{label}"
                    cell = Cell(FREE, CSS[FREE], label, start, label=book_label % {
                        "name": practitioner.full_name, "day": day_names[day_index], "time": label})
                    if slot_url:
                        cell.url = f"{slot_url}&practitioner={practitioner.pk}&start={start}"
                else:
                    cell = Cell(state, CSS[state], texts[state])
                cells.append(cell)
            week.rows.append(Row(label, cells))
        weeks.append(week)
    weeks.sort(key=lambda w: w.name)
    return weeks


def _column(entry, day, times, zone, now, step, need, opening, ignore_appointment) -> list[str]:
    """The state of each of the day's cells. Times compare as POSIX seconds: aware datetimes in
    different zones (the database's UTC, the clinic's) compare slowly, a thousand times over."""
    if entry is None:
        return [OFF] * len(times)
    working = [(w.starts.timestamp(), w.ends.timestamp()) for w in entry.working]
    breaks = [(b.starts.timestamp(), b.ends.timestamp()) for b in entry.breaks]
    taken = [(a.starts_at.timestamp(), a.ends_at.timestamp()) for a in entry.appointments
             if a.pk != ignore_appointment]
    opens, closes = (aware(day, opening[0], zone).timestamp(), aware(day, opening[1], zone).timestamp()) \
        if opening is not None else (None, None)
    now, step, need = now.timestamp(), step.total_seconds(), need.total_seconds()
    states = []
    for moment in times:
        starts = aware(day, moment, zone).timestamp()
        ends = starts + need
        if not any(s <= starts < e for s, e in working):
            states.append(OFF)
        elif entry.absent:
            states.append(ABSENT)
        elif starts < now:
            states.append(PAST)
        elif (opens is not None and opens <= starts and ends <= closes
              and any(s <= starts and ends <= e for s, e in working)
              and not any(s < ends and starts < e for s, e in breaks)
              and not any(s < ends and starts < e for s, e in taken)):
            states.append(FREE)
        elif any(s < starts + step and starts < e for s, e in taken):
            states.append(BOOKED)
        elif any(s < starts + step and starts < e for s, e in breaks):
            states.append(BREAK)
        else:
            states.append(TOO_SHORT)
    return states
