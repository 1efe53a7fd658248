"""Operations on a clinic's master data. Views call these; each runs in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from auditlog.context import set_actor
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.errors import DomainError
from clinic.money import round_money

from .models import (
    Absence,
    Break,
    ClinicProfile,
    Location,
    OpeningHours,
    Practitioner,
    Service,
    ServiceCategory,
    Speciality,
    WorkingHours,
)


def clinic_currency() -> str:
    return connection.tenant.currency


# --- clinic settings -------------------------------------------------------


def update_clinic_settings(*, actor: User, name: str, time_zone: str, default_language: str, profile: dict,
                           calendar: str | None = None):
    from clinic.tenants.models import Clinic

    with transaction.atomic(durable=True), set_actor(actor):
        clinic = Clinic.objects.select_for_update().get(pk=connection.tenant.pk)
        clinic.name = name.strip()
        clinic.time_zone = time_zone
        clinic.default_language = default_language
        if calendar is not None:
            clinic.calendar = calendar
        clinic.save(update_fields=["name", "time_zone", "default_language", "calendar"])
        current = ClinicProfile.load()
        for field, value in profile.items():
            setattr(current, field, value)
        current.save()
    connection.tenant.name = clinic.name
    connection.tenant.time_zone = clinic.time_zone
    connection.tenant.default_language = clinic.default_language
    connection.tenant.calendar = clinic.calendar
    return clinic


# --- locations -------------------------------------------------------------


@dataclass
class DayHours:
    weekday: int
    opens: time
    closes: time


def save_location(
    location: Location | None, *, actor: User, data: dict, opening_hours: list[DayHours]
) -> Location:
    for day in opening_hours:
        if day.closes <= day.opens:
            raise DomainError(_("Closing time must be after opening time."), field="opening_hours")
    weekdays = [day.weekday for day in opening_hours]
    if len(weekdays) != len(set(weekdays)):
        raise DomainError(_("Each weekday can have only one opening time."), field="opening_hours")
    with transaction.atomic(durable=True), set_actor(actor):
        if Location.objects.filter(name__iexact=data["name"].strip()).exclude(
            pk=location.pk if location else None
        ).exists():
            raise DomainError(_("A location with this name already exists."), field="name")
        if location is None:
            location = Location()
        else:
            location = Location.objects.select_for_update().get(pk=location.pk)
        for field in ("name", "address", "phone", "is_active"):
            setattr(location, field, data[field].strip() if isinstance(data[field], str) else data[field])
        location.save()
        existing = {row.weekday: row for row in location.opening_hours.all()}
        wanted = {day.weekday: day for day in opening_hours}
        for weekday, row in existing.items():
            if weekday not in wanted:
                row.delete()
        for weekday, day in wanted.items():
            row = existing.get(weekday) or OpeningHours(location=location, weekday=weekday)
            if row.pk is None or (row.opens, row.closes) != (day.opens, day.closes):
                row.opens, row.closes = day.opens, day.closes
                row.save()
    return location


# --- practitioners -----------------------------------------------------------


def save_practitioner(practitioner: Practitioner | None, *, actor: User, data: dict) -> Practitioner:
    specialities = [name.strip() for name in data.get("specialities", []) if name.strip()]
    with transaction.atomic(durable=True), set_actor(actor):
        user = data.get("user")
        if user is not None:
            taken = Practitioner.objects.filter(user=user).exclude(pk=practitioner.pk if practitioner else None)
            if taken.exists():
                raise DomainError(_("This staff user is already linked to another practitioner."), field="user")
        if practitioner is None:
            practitioner = Practitioner()
        else:
            practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        practitioner.full_name = data["full_name"].strip()
        practitioner.user = user
        practitioner.colour = data["colour"]
        practitioner.is_active = data["is_active"]
        practitioner.save()
        practitioner.specialities.set(
            [Speciality.objects.get_or_create(name=name)[0] for name in dict.fromkeys(specialities)]
        )
    return practitioner


@dataclass
class HoursRow:
    weekday: int
    starts: time
    ends: time
    location: Location | None = None


def _check_rows(rows: list[HoursRow]) -> None:
    for row in rows:
        if row.ends <= row.starts:
            raise DomainError(_("The end time must be after the start time."))
    by_day: dict[int, list[HoursRow]] = {}
    for row in rows:
        by_day.setdefault(row.weekday, []).append(row)
    for day_rows in by_day.values():
        day_rows.sort(key=lambda r: r.starts)
        for earlier, later in zip(day_rows, day_rows[1:], strict=False):
            if later.starts < earlier.ends:
                raise DomainError(_("Two rows on the same weekday overlap."))


def set_working_hours(practitioner: Practitioner, *, actor: User, rows: list[HoursRow]) -> None:
    """Replace the practitioner's weekly working hours (and check them against opening hours)."""
    _check_rows(rows)
    with transaction.atomic(durable=True), set_actor(actor):
        practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        opening = {
            (row.location_id, row.weekday): row
            for row in OpeningHours.objects.filter(location__in=[r.location for r in rows])
        }
        for row in rows:
            hours = opening.get((row.location.pk, row.weekday))
            if hours is None or row.starts < hours.opens or row.ends > hours.closes:
                raise DomainError(
                    _("%(location)s is not open on %(day)s at these times.")
                    % {"location": row.location.name, "day": _weekday_label(row.weekday)}
                )
        practitioner.working_hours.all().delete()
        try:
            with transaction.atomic():
                for row in rows:
                    WorkingHours.objects.create(
                        practitioner=practitioner,
                        location=row.location,
                        weekday=row.weekday,
                        starts=row.starts,
                        ends=row.ends,
                    )
        except IntegrityError as exc:
            raise DomainError(_("Two rows on the same weekday overlap.")) from exc


def set_breaks(practitioner: Practitioner, *, actor: User, rows: list[HoursRow]) -> None:
    _check_rows(rows)
    with transaction.atomic(durable=True), set_actor(actor):
        practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        working = list(practitioner.working_hours.all())
        for row in rows:
            inside = any(
                w.weekday == row.weekday and w.starts <= row.starts and row.ends <= w.ends for w in working
            )
            if not inside:
                raise DomainError(
                    _("A break must lie within the working hours of its day (%(day)s).")
                    % {"day": _weekday_label(row.weekday)}
                )
        practitioner.breaks.all().delete()
        for row in rows:
            Break.objects.create(practitioner=practitioner, weekday=row.weekday, starts=row.starts, ends=row.ends)


def add_absence(
    practitioner: Practitioner, *, actor: User, starts_on: date, ends_on: date, reason: str
) -> Absence:
    if ends_on < starts_on:
        raise DomainError(_("The last day cannot be before the first day."), field="ends_on")
    with transaction.atomic(durable=True), set_actor(actor):
        practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        overlapping = practitioner.absences.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
        if overlapping.exists():
            raise DomainError(_("This absence overlaps another one."), field="starts_on")
        return Absence.objects.create(
            practitioner=practitioner, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
        )


def remove_absence(absence: Absence, *, actor: User) -> None:
    with transaction.atomic(durable=True), set_actor(actor):
        Absence.objects.filter(pk=absence.pk).get().delete()


def _weekday_label(weekday: int) -> str:
    from .models import Weekday

    return str(Weekday(weekday).label)


# --- services (the price list) -------------------------------------------------


def normalise_code(code: str) -> str:
    return code.strip().upper()


def category_named(name: str) -> ServiceCategory:
    name = " ".join(name.split())
    existing = ServiceCategory.objects.filter(name__iexact=name).first()
    return existing or ServiceCategory.objects.create(name=name)


def save_service(service: Service | None, *, actor: User, data: dict) -> Service:
    """Create or change a price-list line; prices are rounded to the clinic's currency."""
    code = normalise_code(data["code"])
    price: Decimal = data["price"]
    if price < 0:
        raise DomainError(_("The price cannot be negative."), field="price")
    with transaction.atomic(durable=True), set_actor(actor):
        if Service.objects.filter(code__iexact=code).exclude(pk=service.pk if service else None).exists():
            raise DomainError(_("Another service already has this code."), field="code")
        if service is None:
            service = Service()
        else:
            service = Service.objects.select_for_update().get(pk=service.pk)
        service.code = code
        service.name = data["name"].strip()
        service.category = data["category"] if isinstance(data["category"], ServiceCategory) else category_named(
            data["category"]
        )
        service.duration_minutes = data["duration_minutes"]
        service.price = round_money(price, clinic_currency())
        service.vat_rate = data["vat_rate"]
        service.is_active = data["is_active"]
        service.save()
    return service
