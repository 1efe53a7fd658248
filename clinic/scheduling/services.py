"""Booking and changing appointments; each operation is one transaction."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

from auditlog.context import set_actor
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.calendars import format_date as date_format
from clinic.errors import DomainError
from clinic.models import Location, OpeningHours, Practitioner, Service, WorkingHours
from clinic.registry import Registry

from .availability import Interval, aware, clinic_zone, load_days
from .events import AppointmentChanged, Change, publish
from .models import LIVE_STATUSES, Appointment, AppointmentService, Source, Status
from .states import TRANSITIONS


class SlotTaken(DomainError):
    """Another live appointment of the practitioner overlaps: the calendar must be shown again."""


@contextmanager
def _refusing_taken_slots():
    """The database's no-overlap constraint refused the change: say so as SlotTaken."""
    try:
        yield
    except IntegrityError as error:
        cause = getattr(error, "__cause__", None)
        if getattr(getattr(cause, "diag", None), "constraint_name", "") == "scheduling_no_double_booking":
            raise SlotTaken(_("This time was just taken. Please choose another slot.")) from error
        raise


def _check_slot(*, location: Location, practitioner: Practitioner, starts_at: datetime, ends_at: datetime,
                moving: int | None = None) -> None:
    if not location.is_active:
        raise DomainError(_("This location is closed for bookings."), field="location")
    if not practitioner.is_active:
        raise DomainError(_("This practitioner no longer takes appointments."), field="practitioner")
    if starts_at < timezone.now():
        raise DomainError(_("This time is in the past."), field="starts_at")
    zone = clinic_zone()
    local_start = starts_at.astimezone(zone)
    day = local_start.date()
    if ends_at.astimezone(zone).date() != day:
        raise DomainError(_("An appointment must end on the day it starts."), field="starts_at")
    spans = [
        (aware(day, row.starts, zone), aware(day, row.ends, zone))
        for row in WorkingHours.objects.filter(practitioner=practitioner, location=location, weekday=day.weekday())
    ]
    opening = OpeningHours.objects.filter(location=location, weekday=day.weekday()).first()
    if opening is None or not (aware(day, opening.opens, zone) <= starts_at and ends_at <= aware(day, opening.closes, zone)):
        raise DomainError(_("%(location)s is closed at this time.") % {"location": location.name}, field="starts_at")
    if not spans:
        raise DomainError(
            _("%(practitioner)s does not work at %(location)s on that day.")
            % {"practitioner": practitioner.full_name, "location": location.name},
            field="practitioner",
        )
    loaded = load_days([day], practitioner_ids=[practitioner.pk], with_patients=False)[(practitioner.pk, day)]
    if loaded.absent:
        raise DomainError(_("%(practitioner)s is absent on that day.") % {"practitioner": practitioner.full_name})
    if not any(span_start <= starts_at and ends_at <= span_end for span_start, span_end in spans):
        raise DomainError(_("This time is outside the practitioner's working hours."), field="starts_at")
    if any(b.overlaps(starts_at, ends_at) for b in loaded.breaks):
        raise DomainError(_("This time falls in the practitioner's break."), field="starts_at")
    # Read now, not locked: the exclusion constraint is what guarantees no double booking;
    # this only says why a time that looked free does not work.
    for booked in loaded.appointments:
        if booked.pk != moving and booked.status in LIVE_STATUSES and Interval(
                booked.starts_at, booked.ends_at).overlaps(starts_at, ends_at):
            if booked.starts_at > starts_at:
                raise SlotTaken(_("The chosen services take %(minutes)s minutes and do not fit before the next "
                                  "appointment: choose fewer services or another time.")
                                % {"minutes": int((ends_at - starts_at).total_seconds() // 60)})
            raise SlotTaken(_("This time was just taken. Please choose another slot."))


def _services(service_ids: list[int]) -> list[Service]:
    if not service_ids:
        raise DomainError(_("Choose at least one service."), field="services")
    found = {s.pk: s for s in Service.objects.filter(pk__in=service_ids)}
    services = [found[pk] for pk in service_ids if pk in found]
    if len(services) != len(set(service_ids)):
        raise DomainError(_("A chosen service does not exist."), field="services")
    inactive = [s.name for s in services if not s.is_active]
    if inactive:
        raise DomainError(
            _("%(service)s is no longer offered.") % {"service": ", ".join(inactive)}, field="services"
        )
    return services


def _ends(starts_at: datetime, duration: timedelta) -> datetime:
    """When an appointment starting then ends; a start at the end of the calendar (a crafted
    year 9999) is refused with a message, not an overflow."""
    try:
        return starts_at + duration
    except OverflowError:
        raise DomainError(_("Choose a free slot in the calendar."), field="starts_at") from None


def duration_of(services: list[Service]) -> timedelta:
    return timedelta(minutes=sum(s.duration_minutes for s in services))


# Other apps follow an appointment's changes by subscribing to ``events.AppointmentChanged``.

# Other apps may lengthen a booking: ``rule(patient, duration) -> duration`` (e.g. barter:
# a public person's first visit takes 60 minutes).
duration_rules: Registry[Callable[..., timedelta]] = Registry("booking duration rules")


def book_appointment(
    *,
    actor,
    patient=None,
    new_patient=None,
    phone_decision: str = "",
    relation: str = "other",
    location: Location,
    practitioner: Practitioner,
    starts_at: datetime,
    service_ids: list[int],
    note: str = "",
    source: str = Source.PHONE,
    source_detail: str = "",
    on_booked=None,
) -> Appointment:
    """Book a free slot; the duration follows the services. A taken slot raises SlotTaken.

    Either ``patient`` or ``new_patient`` (PatientData, registered in the same
    transaction: a refused booking leaves no stray patient behind). ``on_booked(appointment)``
    runs in the same transaction (e.g. the partner booking that goes with it).
    """
    from clinic.patients.services import register_patient_in

    if patient is None and new_patient is None:
        raise DomainError(_("Find the patient or enter a new one."), field="patient")
    services = _services(service_ids)
    duration = duration_of(services)
    if patient is not None:
        for rule in duration_rules:
            duration = rule(patient, duration)
    ends_at = _ends(starts_at, duration)
    if source not in Source.values:
        raise DomainError(_("Unknown source."), field="source")
    _check_slot(location=location, practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)
    with _refusing_taken_slots(), transaction.atomic(durable=True), set_actor(actor):
        if patient is None:
            patient = register_patient_in(new_patient, actor=actor, phone_decision=phone_decision, relation=relation)
        appointment = Appointment.objects.create(
            location=location,
            practitioner=practitioner,
            patient=patient,
            starts_at=starts_at,
            ends_at=ends_at,
            source=source,
            source_detail=source_detail,
            note=note.strip(),
            booked_by=actor,
        )
        AppointmentService.objects.bulk_create(
            [AppointmentService(appointment=appointment, service=s, position=i) for i, s in enumerate(services)]
        )
        if on_booked is not None:
            on_booked(appointment)
        publish(AppointmentChanged(before=None, after=appointment, actor=actor, kind=Change.BOOKED))
    return appointment


def change_status(appointment: Appointment, action: str, *, actor, reason: str = "", on_changed=None,
                  revert_arrival: bool = False) -> Appointment:
    """Apply one transition of the state machine, or refuse it with a message.

    ``on_changed(appointment)`` runs in the same transaction. ``revert_arrival`` (with
    "cancel"): a patient registered as arrived who cannot be treated is un-registered first,
    in the same transaction (seed 000, section 12), each change published as its own event."""
    _check_transition(action, reason)
    with _refusing_taken_slots(), transaction.atomic(durable=True), set_actor(actor):
        return _change_status(appointment, action, actor=actor, reason=reason, on_changed=on_changed,
                              revert_arrival=revert_arrival)


def change_status_within(appointment: Appointment, action: str, *, actor, reason: str = "",
                         on_changed=None) -> Appointment:
    """``change_status`` inside a transaction the caller holds: a change that stands or falls
    with another (a platform's message closing the order the appointment was booked for)."""
    assert transaction.get_connection().in_atomic_block, "change_status_within needs the caller's transaction"
    _check_transition(action, reason)
    with _refusing_taken_slots(), transaction.atomic(), set_actor(actor):
        return _change_status(appointment, action, actor=actor, reason=reason, on_changed=on_changed)


def _check_transition(action: str, reason: str) -> None:
    if action not in TRANSITIONS or action == "reschedule":
        raise DomainError(_("Unknown action."))
    if action == "cancel" and not reason.strip():
        raise DomainError(_("Give a reason for cancelling."), field="reason")
    if len(reason.strip()) > 200:
        raise DomainError(_("Keep the reason under 200 characters."), field="reason")


def _change_status(appointment: Appointment, action: str, *, actor, reason: str, on_changed,
                   revert_arrival: bool = False) -> Appointment:
    sources, target, _label = TRANSITIONS[action]
    current = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if revert_arrival and action == "cancel" and current.status == Status.ARRIVED:
        before = copy.copy(current)
        current.status = TRANSITIONS["revert_arrival"][1]
        current.save(update_fields=["status", "updated"])
        publish(AppointmentChanged(before=before, after=current, actor=actor, kind=Change.ARRIVAL_REVERTED))
    if current.status not in sources:
        if action == "cancel" and current.status == Status.ARRIVED:
            raise DomainError(_("The patient is registered as arrived: revert the arrival before cancelling."))
        raise DomainError(
            _("An appointment that is “%(status)s” cannot be changed this way.")
            % {"status": current.get_status_display()}
        )
    if action == "no_show" and current.starts_at > timezone.now():
        raise DomainError(_("The appointment has not started yet: it cannot be a no-show."))
    if action == "arrive":
        zone = clinic_zone()
        day = current.starts_at.astimezone(zone).date()
        if day != timezone.now().astimezone(zone).date():
            raise DomainError(_("The patient can be registered as arrived only on the appointment's day "
                                "(%(day)s).") % {"day": date_format(day, "DATE_FORMAT")})
    before = copy.copy(current)
    current.status = target
    if action == "cancel":
        current.cancel_reason = reason.strip()
    current.save(update_fields=["status", "cancel_reason", "updated"])
    if on_changed is not None:
        on_changed(current)
    publish(AppointmentChanged(before=before, after=current, actor=actor, kind=Change(action)))
    return current


def reschedule_appointment(
    appointment: Appointment, *, actor, starts_at: datetime, practitioner: Practitioner | None = None,
    location: Location | None = None, on_moved=None,
) -> Appointment:
    """Move an appointment to another time (practitioner, location); ``on_moved(appointment)``
    runs in the same transaction (e.g. a platform order re-confirmed with it)."""
    sources, target, _label = TRANSITIONS["reschedule"]
    practitioner = practitioner or appointment.practitioner
    location = location or appointment.location
    duration = appointment.ends_at - appointment.starts_at
    if appointment.status not in sources:
        raise DomainError(
            _("An appointment that is “%(status)s” cannot be moved.") % {"status": appointment.get_status_display()}
        )
    _check_slot(location=location, practitioner=practitioner, starts_at=starts_at,
                ends_at=_ends(starts_at, duration), moving=appointment.pk)
    with _refusing_taken_slots(), transaction.atomic(durable=True), set_actor(actor):
        current = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
        if current.status not in sources:
            raise DomainError(_("The appointment was changed meanwhile. Please reload."))
        before = copy.copy(current)
        current.starts_at, current.ends_at = starts_at, starts_at + duration
        current.practitioner, current.location = practitioner, location
        current.status = target
        current.reminder_sent_at = None
        current.save()
        if on_moved is not None:
            on_moved(current)
        publish(AppointmentChanged(before=before, after=current, actor=actor, kind=Change.MOVED))
    return current


def send_due_reminders(now: datetime | None = None) -> int:
    """Mail tomorrow's patients once each, however often this runs."""
    from django.db import connection
    from django.template.loader import render_to_string
    from django.utils import translation

    from clinic.tasks import send_email_after_commit

    now = now or timezone.now()
    zone = clinic_zone()
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=zone)
    due = Appointment.objects.filter(
        starts_at__gte=start,
        starts_at__lt=start + timedelta(days=1),
        status__in=[Status.BOOKED, Status.CONFIRMED],
        reminder_sent_at__isnull=True,
        patient__consent_to_contact=True,
    ).exclude(patient__email="").select_related("patient", "location", "practitioner")
    sent = 0
    for appointment in due:
        with transaction.atomic():
            # Claim it first: a second run (or a second worker) finds nothing to claim. The mail is
            # promised in the same transaction (the outbox), so a claimed reminder is never lost.
            claimed = Appointment.objects.filter(pk=appointment.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed != 1:
                continue
            with translation.override(connection.tenant.default_language), timezone.override(zone):
                subject = _("Reminder: your appointment tomorrow at %(time)s") % {
                    "time": appointment.starts_at.astimezone(zone).strftime("%H:%M")
                }
                body = render_to_string(
                    "scheduling/email/reminder.txt", {"appointment": appointment, "clinic": connection.tenant}
                )
            send_email_after_commit(subject, body, [appointment.patient.email])
        sent += 1
    return sent
