"""When practitioners work and are free: working hours minus breaks, absences and appointments.

Everything for a date range is read in a fixed number of queries, then
combined in memory, so the cost does not grow with the number of queries per day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.models import Absence, Break, Practitioner, WorkingHours
from clinic.periods import clinic_zone  # noqa: F401 - re-exported (scheduling's callers read it here)

from .extensions import NONE, Annotation, annotate
from .models import LIVE_STATUSES, Appointment, Status

SLOT_MINUTES = 15


def aware(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


@dataclass
class Interval:
    starts: datetime
    ends: datetime

    def overlaps(self, starts: datetime, ends: datetime) -> bool:
        return self.starts < ends and starts < self.ends


@dataclass(slots=True)
class Flagged:
    label: str
    colour: str


@dataclass(slots=True)
class Booked:
    """An appointment as calendars draw it: read with values(), not as a model.

    A calendar shows hundreds of them; model instances, related managers and
    prefetch machinery cost more than the SQL.
    """

    pk: int
    practitioner_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    location_id: int | None = None
    patient_id: int | None = None
    patient_name: str = ""
    flags: list[Flagged] = field(default_factory=list)
    service_names: str = ""
    local_time: str = ""
    source: str = ""
    source_detail: str = ""  # a partner booking: "Company · User"
    annotation: Annotation = NONE  # what other apps show on it (extensions.py)


@dataclass
class PractitionerDay:
    practitioner: Practitioner
    day: date
    working: list[Interval] = field(default_factory=list)
    breaks: list[Interval] = field(default_factory=list)
    appointments: list[Booked] = field(default_factory=list)
    absent: bool = False
    shown: list[Booked] = field(default_factory=list)

    def busy(self) -> list[Interval]:
        taken = [Interval(a.starts_at, a.ends_at) for a in self.appointments if a.status in LIVE_STATUSES]
        return sorted(self.breaks + taken, key=lambda i: i.starts)

    def is_free(self, starts: datetime, ends: datetime) -> bool:
        if self.absent:
            return False
        if not any(w.starts <= starts and ends <= w.ends for w in self.working):
            return False
        return not any(b.overlaps(starts, ends) for b in self.busy())

    def free_intervals(self) -> list[Interval]:
        if self.absent:
            return []
        free = []
        busy = self.busy()
        for window in self.working:
            cursor = window.starts
            for block in busy:
                if block.ends <= cursor or block.starts >= window.ends:
                    continue
                if block.starts > cursor:
                    free.append(Interval(cursor, min(block.starts, window.ends)))
                cursor = max(cursor, block.ends)
            if cursor < window.ends:
                free.append(Interval(cursor, window.ends))
        return free


def load_days(
    days: list[date],
    *,
    location_id: int | None = None,
    practitioner_ids: list[int] | None = None,
    with_patients: bool = True,
    with_services: bool = True,
) -> dict[tuple[int, date], PractitionerDay]:
    """The practitioners' days at a location (or anywhere), keyed by (practitioner id, date).

    Without patients only the live appointments' times are read: enough to know
    what is free.
    """
    zone = clinic_zone()
    weekdays = {d.weekday() for d in days}
    hours = WorkingHours.objects.filter(weekday__in=weekdays, practitioner__is_active=True)
    if location_id:
        hours = hours.filter(location_id=location_id)
    if practitioner_ids:
        hours = hours.filter(practitioner_id__in=practitioner_ids)
    hours = list(hours.select_related("practitioner", "location"))
    practitioner_ids = sorted({h.practitioner_id for h in hours})
    breaks = defaultdict(list)
    for row in Break.objects.filter(practitioner_id__in=practitioner_ids, weekday__in=weekdays):
        breaks[(row.practitioner_id, row.weekday)].append(row)
    absences = list(
        Absence.objects.filter(practitioner_id__in=practitioner_ids, starts_on__lte=max(days), ends_on__gte=min(days))
    )
    window_start = aware(min(days), time(0), zone)
    window_end = aware(max(days) + timedelta(days=1), time(0), zone)
    appointments = _booked(practitioner_ids, window_start, window_end, with_patients, with_services)
    by_key: dict[tuple[int, date], PractitionerDay] = {}
    for day in days:
        for row in hours:
            if row.weekday != day.weekday():
                continue
            key = (row.practitioner_id, day)
            entry = by_key.get(key)
            if entry is None:
                entry = by_key[key] = PractitionerDay(row.practitioner, day)
                entry.absent = any(a.practitioner_id == row.practitioner_id and a.starts_on <= day <= a.ends_on for a in absences)
                entry.breaks = [
                    Interval(aware(day, b.starts, zone), aware(day, b.ends, zone))
                    for b in breaks[(row.practitioner_id, day.weekday())]
                ]
            entry.working.append(Interval(aware(day, row.starts, zone), aware(day, row.ends, zone)))
            entry.working.sort(key=lambda i: i.starts)
    for appointment in appointments:
        local_day = appointment.starts_at.astimezone(zone).date()
        entry = by_key.get((appointment.practitioner_id, local_day))
        if entry is not None:
            entry.appointments.append(appointment)
    return by_key


def _booked(practitioner_ids, window_start, window_end, with_patients, with_services) -> list[Booked]:
    """The window's appointments in at most three queries, whatever their number."""
    # An appointment ends on the day it starts (booking checks it), so the lower
    # bound on starts_at is exact and keeps the index scan to the window.
    rows = Appointment.objects.filter(
        practitioner_id__in=practitioner_ids, starts_at__gte=window_start, starts_at__lt=window_end
    )
    if not with_patients:
        return [
            Booked(*row)
            for row in rows.filter(status__in=LIVE_STATUSES).values_list(
                "id", "practitioner_id", "starts_at", "ends_at", "status", "location_id"
            )
        ]
    from clinic.patients.models import PatientFlag, flag_name

    from .models import AppointmentService

    booked = [
        Booked(pk, practitioner, starts, ends, status, location, patient, f"{first} {last}".strip(),
               source=source, source_detail=detail)
        for pk, practitioner, starts, ends, status, location, patient, first, last, source, detail
        in rows.exclude(status=Status.CANCELLED).values_list(
            "id", "practitioner_id", "starts_at", "ends_at", "status", "location_id", "patient_id",
            "patient__first_name", "patient__last_name", "source", "source_detail",
        )
    ]
    if not booked:
        return booked
    annotations = annotate(b.pk for b in booked)  # other apps' (partners: one query for them all)
    flags: dict[int, list[Flagged]] = defaultdict(list)
    for patient_id, code, label, colour in PatientFlag.objects.filter(
        patient_id__in={b.patient_id for b in booked}
    ).values_list("patient_id", "flag__code", "flag__label", "flag__colour").order_by("flag__label"):
        flags[patient_id].append(Flagged(flag_name(code, label), colour))
    names: dict[int, list[str]] = defaultdict(list)
    if with_services:
        for appointment_id, name in AppointmentService.objects.filter(
            appointment_id__in=[b.pk for b in booked]
        ).values_list("appointment_id", "service__name").order_by("appointment_id", "position"):
            names[appointment_id].append(name)
    for item in booked:
        item.flags = flags.get(item.patient_id, [])
        item.service_names = ", ".join(names.get(item.pk, ()))
        item.annotation = annotations.get(item.pk, NONE)
    return booked


def round_up(moment: datetime, minutes: int = SLOT_MINUTES) -> datetime:
    extra = (moment.minute % minutes) * 60 + moment.second + moment.microsecond / 1e6
    if extra == 0:
        return moment
    return (moment + timedelta(seconds=minutes * 60 - extra)).replace(second=0, microsecond=0)


@dataclass
class FreeSlot:
    practitioner: Practitioner
    location_id: int
    starts: datetime
    ends: datetime


def next_free_slots(
    *, duration: timedelta, start: datetime, days: int = 14, location_id: int | None = None,
    practitioner_id: int | None = None, limit: int = 10, chunk_days: int = 2,
) -> list[FreeSlot]:
    """The first free slots of ``duration`` from ``start`` on, over ``days`` days.

    Days are read a few at a time, in order; once ``limit`` slots are found no
    later day can hold an earlier one, so the search stops there.
    """
    zone = clinic_zone()
    first_day = start.astimezone(zone).date()
    dates = [first_day + timedelta(days=offset) for offset in range(days)]
    spans: dict[tuple[int, int], list[dict]] | None = None
    found: list[FreeSlot] = []
    for index in range(0, len(dates), chunk_days):
        loaded = load_days(
            dates[index:index + chunk_days], location_id=location_id,
            practitioner_ids=[practitioner_id] if practitioner_id else None, with_patients=False,
        )
        if spans is None:
            spans = {}
            hours = WorkingHours.objects.filter(practitioner__is_active=True)
            if location_id:
                hours = hours.filter(location_id=location_id)
            if practitioner_id:
                hours = hours.filter(practitioner_id=practitioner_id)
            for row in hours.values("practitioner_id", "weekday", "location_id", "starts", "ends"):
                spans.setdefault((row["practitioner_id"], row["weekday"]), []).append(row)
        for (practitioner_id_, day), entry in loaded.items():
            for free in entry.free_intervals():
                cursor = round_up(max(free.starts, start))
                while cursor + duration <= free.ends:
                    local = cursor.astimezone(zone).time()
                    location = next(
                        (r["location_id"] for r in spans.get((practitioner_id_, day.weekday()), [])
                         if r["starts"] <= local < r["ends"]),
                        None,
                    )
                    if location is not None:
                        found.append(FreeSlot(entry.practitioner, location, cursor, cursor + duration))
                        break  # the first slot of each free interval
                    cursor += timedelta(minutes=SLOT_MINUTES)
        if len(found) >= limit:
            break
    found.sort(key=lambda s: (s.starts, s.practitioner.full_name))
    return found[:limit]
