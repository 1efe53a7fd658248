"""What the day and week views draw: columns, free slots and appointment blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from clinic.models import Location, OpeningHours

from .availability import SLOT_MINUTES, PractitionerDay, aware, clinic_zone, load_days, round_up
from .models import LIVE_STATUSES

PIXELS_PER_MINUTE = 1.6


@dataclass
class Block:
    top: float
    height: float
    kind: str  # "appointment", "break", "off", "free"
    appointment: object = None
    starts: datetime | None = None
    # Ready-made text for the templates: a calendar draws hundreds of blocks,
    # and template tags per block (url, include, filters) cost more than the SQL.
    style: str = ""
    time: str = ""
    url: str = ""
    label: str = ""
    dead: bool = False  # cancelled or no-show: drawn faded beside the live ones
    lane: int = 0
    lanes: int = 1


@dataclass
class Column:
    day: PractitionerDay
    blocks: list[Block] = field(default_factory=list)
    free: list[Block] = field(default_factory=list)
    # What a keyboard reaches, in time order: appointments and free slots (see ``keyboard_stops``).
    stops: list[Block] = field(default_factory=list)
    first_stop: Block | None = None


@dataclass
class DayGrid:
    location: Location
    day: date
    opens: datetime | None
    closes: datetime | None
    columns: list[Column]
    hours: list[tuple[float, str]]
    height: float

    @property
    def is_closed(self) -> bool:
        return self.opens is None


def _position(moment: datetime, grid_start: datetime) -> float:
    return (moment - grid_start).total_seconds() / 60 * PIXELS_PER_MINUTE


def day_grid(location: Location, day: date, *, now: datetime | None = None) -> DayGrid:
    from django.urls import reverse
    from django.utils.translation import gettext

    from .models import Status

    zone = clinic_zone()
    now = now or timezone.now()
    status_labels = dict(Status.choices)
    appointment_url = reverse("appointment_detail", args=[0]).replace("/0/", "/{}/")
    booking_url = reverse("appointment_new") + f"?location={location.pk}&practitioner={{}}&start={{}}"
    book_label = gettext("Book %(name)s at %(time)s")
    opening = OpeningHours.objects.filter(location=location, weekday=day.weekday()).first()
    loaded = load_days([day], location_id=location.pk)
    days = sorted(loaded.values(), key=lambda d: d.practitioner.full_name)
    if opening is None and not days:
        return DayGrid(location, day, None, None, [], [], 0)
    starts = [aware(day, opening.opens, zone)] if opening else []
    ends = [aware(day, opening.closes, zone)] if opening else []
    for entry in days:
        starts += [w.starts for w in entry.working]
        ends += [w.ends for w in entry.working]
    grid_start, grid_end = min(starts), max(ends)
    # Whole hours make the grid easy to read.
    grid_start = grid_start.replace(minute=0)
    if grid_end.minute:
        grid_end = grid_end.replace(minute=0) + timedelta(hours=1)
    height = _position(grid_end, grid_start)
    hours = []
    cursor = grid_start
    while cursor < grid_end:
        hours.append((_position(cursor, grid_start), cursor.astimezone(zone).strftime("%H:%M")))
        cursor += timedelta(hours=1)
    columns = []
    slot = timedelta(minutes=SLOT_MINUTES)
    for entry in days:
        column = Column(entry)
        for gap_start, gap_end in _gaps(entry, grid_start, grid_end):
            column.blocks.append(_block(gap_start, gap_end, grid_start, "off"))
        for brk in entry.breaks:
            column.blocks.append(_block(brk.starts, brk.ends, grid_start, "break"))
        for appointment in entry.appointments:
            if appointment.location_id != location.pk:
                # Busy at another location: the time is taken, the patient is not this calendar's.
                if appointment.status in LIVE_STATUSES and grid_start < appointment.ends_at and appointment.starts_at < grid_end:
                    column.blocks.append(
                        _block(max(appointment.starts_at, grid_start), min(appointment.ends_at, grid_end), grid_start, "off")
                    )
                continue
            block = _block(appointment.starts_at, appointment.ends_at, grid_start, "appointment", appointment)
            block.time = appointment.starts_at.astimezone(zone).strftime("%H:%M")
            block.url = appointment_url.format(appointment.pk)
            # The whole text, for a block too short to show it (shown on hover and focus too).
            block.label = " · ".join(part for part in (
                f"{block.time}–{appointment.ends_at.astimezone(zone):%H:%M} {appointment.patient_name}",
                appointment.service_names, str(status_labels.get(appointment.status, appointment.status))) if part)
            block.dead = appointment.status not in LIVE_STATUSES
            column.blocks.append(block)
        _side_by_side([b for b in column.blocks if b.kind == "appointment"])
        if not entry.absent:
            for free in entry.free_intervals():
                cursor = round_up(free.starts)
                while cursor + slot <= free.ends:
                    if cursor >= now:
                        block = _block(cursor, cursor + slot, grid_start, "free")
                        local = cursor.astimezone(zone)
                        block.time = local.strftime("%H:%M")
                        block.url = booking_url.format(entry.practitioner.pk, local.strftime("%Y-%m-%dT%H:%M"))
                        block.label = book_label % {"name": entry.practitioner.full_name, "time": block.time}
                        column.free.append(block)
                    cursor += slot
        keyboard_stops(column)
        columns.append(column)
    return DayGrid(location, day, grid_start, grid_end, columns, hours, height)


def keyboard_stops(column: Column) -> None:
    """Appointments and free slots in time order, as the keyboard walks them (arrow keys within a
    column, one Tab stop per column); the column's Tab stop is its first free slot, else its first
    appointment."""
    column.stops = sorted([b for b in column.blocks if b.kind == "appointment"] + column.free,
                          key=lambda b: (b.starts, b.kind != "appointment"))
    column.first_stop = column.free[0] if column.free else (column.stops[0] if column.stops else None)


def _side_by_side(blocks: list[Block]) -> None:
    """Blocks that share time stand side by side: each group of overlapping blocks is split
    into lanes (a block takes the first lane free at its start), each a share of the width."""
    group: list[Block] = []
    lane_ends: list[float] = []
    group_end = -1.0

    def close_group():
        lanes = len(lane_ends)
        if lanes > 1:
            for block in group:
                start = block.lane * 100 / lanes
                end = (lanes - block.lane - 1) * 100 / lanes
                block.style += f"; inset-inline-start: calc({start:.3f}% + 1px); inset-inline-end: calc({end:.3f}% + 1px)"
                block.lanes = lanes

    for block in sorted(blocks, key=lambda b: (b.top, -b.height)):
        if block.top >= group_end and group:
            close_group()
            group, lane_ends = [], []
        for lane, end in enumerate(lane_ends):
            if end <= block.top:
                block.lane, lane_ends[lane] = lane, block.top + block.height
                break
        else:
            block.lane = len(lane_ends)
            lane_ends.append(block.top + block.height)
        group.append(block)
        group_end = max(group_end, block.top + block.height) if len(group) > 1 else block.top + block.height
    if group:
        close_group()


def _block(begin: datetime, end: datetime, grid_start: datetime, kind: str, appointment=None) -> Block:
    top = _position(begin, grid_start)
    height = _position(end, grid_start) - top
    return Block(top, height, kind, appointment, begin, style=f"top: {top:.1f}px; height: {height:.1f}px")


def _gaps(entry: PractitionerDay, grid_start: datetime, grid_end: datetime) -> list[tuple[datetime, datetime]]:
    """Parts of the grid the practitioner does not work (drawn shaded)."""
    if entry.absent:
        return [(grid_start, grid_end)]
    gaps = []
    cursor = grid_start
    for window in entry.working:
        if window.starts > cursor:
            gaps.append((cursor, window.starts))
        cursor = max(cursor, window.ends)
    if cursor < grid_end:
        gaps.append((cursor, grid_end))
    return gaps


@dataclass
class WeekCell:
    day: date
    entry: PractitionerDay | None
    now: datetime

    @property
    def free_minutes(self) -> int:
        """Free time still ahead: past time is not bookable, as in the day view."""
        if self.entry is None:
            return 0
        seconds = sum(
            (f.ends - max(f.starts, self.now)).total_seconds() for f in self.entry.free_intervals() if f.ends > self.now
        )
        return int(seconds // 60)


def week_rows(location: Location, monday: date, *, now: datetime | None = None):
    now = now or timezone.now()
    days = [monday + timedelta(days=offset) for offset in range(7)]
    loaded = load_days(days, location_id=location.pk, with_services=False)
    zone = clinic_zone()
    for entry in loaded.values():
        # The week of this location: appointments elsewhere only reduce the free time.
        entry.shown = [a for a in entry.appointments if a.location_id == location.pk]
        for appointment in entry.shown:
            appointment.local_time = appointment.starts_at.astimezone(zone).strftime("%H:%M")
    practitioners = sorted({entry.practitioner for entry in loaded.values()}, key=lambda p: p.full_name)
    return days, [
        (practitioner, [WeekCell(day, loaded.get((practitioner.pk, day)), now) for day in days])
        for practitioner in practitioners
    ]

