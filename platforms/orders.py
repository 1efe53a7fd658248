"""The front desk's work on platform orders (seed 000, sections 四, 五, 十一, 十二, 十三):
confirm an order (bind or create the patient, book the appointment), bind a patient made
elsewhere, re-confirm a no-show on the real visit day, cancel.

Each operation is one transaction: the scheduling service that books, moves or cancels the
appointment runs the order's change inside its own transaction (its ``on_booked`` /
``on_moved`` / ``on_changed`` hooks), so a refused booking leaves the order, the patient and
the calendar as they were.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from auditlog.context import set_actor
from django.db import transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.models import Location, Practitioner, Service
from clinic.patients.models import Patient, PhoneRelation, fold
from clinic.patients.models import Source as PatientSource
from clinic.patients.services import NEW_SHARING, PatientData, phone_owners
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import LIVE_STATUSES, Appointment, Source, Status
from clinic.scheduling.states import ATTENDED
from clinic.scheduling.states import TRANSITIONS as APPOINTMENT_TRANSITIONS

from . import services
from .catalogue.models import ProductService
from .history import appointment_details
from .models import OrderStatus, PlatformOrder

REASON_MAX = 300
# Two-character Chinese surnames (复姓) a name written without spaces may start with.
COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
                     "夏侯", "轩辕", "令狐", "西门", "南宫", "独孤", "端木", "澹台"}


class SamePersonFound(DomainError):
    """The order's phone belongs to a patient of the same name: bind that one (or say that
    this is another person)."""

    def __init__(self, patients: list[Patient]):
        super().__init__(_("A patient with this name and phone is already registered: bind the order to them, "
                           "or say that this is another person."), field="patient")
        self.patients = patients


# --- the order's customer as a patient -----------------------------------------------------------


def _is_cjk(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CJK UNIFIED") for ch in text)


def split_name(name: str) -> tuple[str, str]:
    """(first name, last name) of a name as the platform sent it: "Anna Popescu" -> ("Anna",
    "Popescu"); a Chinese name written without spaces starts with the surname ("李伟" -> ("伟",
    "李"), "欧阳娜娜" -> ("娜娜", "欧阳")); a single word is the last name (the desk adds the
    first)."""
    name = " ".join((name or "").split())
    if " " in name:
        first, last = name.rsplit(" ", 1)
        return first, last
    if _is_cjk(name) and len(name) >= 2:
        surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
        return name[len(surname):], surname
    return "", name


def patient_data_from_order(order: PlatformOrder) -> PatientData:
    first, last = split_name(order.customer_name)
    return PatientData(first_name=first, last_name=last, phone=order.customer_phone, source=PatientSource.PLATFORM)


def _same_name(patient: Patient, first: str, last: str) -> bool:
    wanted = {fold(f"{first} {last}"), fold(f"{last} {first}"), fold(f"{last}{first}")}
    return fold(patient.full_name) in wanted or fold(f"{patient.last_name}{patient.first_name}") in wanted


@dataclass
class PhoneCheck:
    """Who already has the order's phone: those of the same name (bind one of them) and the
    others (a new patient shares the phone with relation "other")."""

    same_name: list[Patient]
    others: list[Patient]


def check_phone(phone: str, first_name: str, last_name: str) -> PhoneCheck:
    owners = phone_owners(phone)
    same = [p for p in owners if _same_name(p, first_name, last_name)]
    return PhoneCheck(same_name=same, others=[p for p in owners if p not in same])


# --- the package's services in the clinic's price list -------------------------------------------


def order_services(order: PlatformOrder) -> list[Service]:
    """The clinic's services the order's product names (by service code, case as the price list
    keeps it), in the product's order; refused when the price list lacks one."""
    codes = list(ProductService.objects.filter(product_id=order.product_id).order_by("id")
                 .values_list("service_code", flat=True))
    if not codes:
        raise DomainError(_("The product names no service: ask the operator to complete it."))
    found = {s.code_upper: s for s in Service.objects.annotate(code_upper=Upper("code"))
             .filter(code_upper__in=[c.upper() for c in codes])}
    missing = [c for c in codes if c.upper() not in found]
    if missing:
        raise DomainError(_("The price list has no service with the code %(codes)s: add it before booking.")
                          % {"codes": ", ".join(missing)})
    inactive = [found[c.upper()].name for c in codes if not found[c.upper()].is_active]
    if inactive:
        raise DomainError(_("%(service)s is no longer offered.") % {"service": ", ".join(inactive)})
    return [found[c.upper()] for c in codes]


# --- confirm ---------------------------------------------------------------------------------------


def _check_status(order: PlatformOrder, allowed: set[str], message: str) -> None:
    if order.status not in allowed:
        raise DomainError(message % {"status": order.get_status_display().lower()})


def confirm_order(order: PlatformOrder, *, actor, patient: Patient | None = None, new_patient: PatientData | None = None,
                  location: Location, practitioner: Practitioner, starts_at: datetime,
                  another_person: bool = False) -> PlatformOrder:
    """Bind the order to ``patient`` or to a new patient (``new_patient``, else the order's own
    name and phone), book its services at ``starts_at`` (source "platform order"), and mark the
    order confirmed, in one transaction.

    The phone of a new patient may belong to others: of another name, the new patient shares
    it with relation "other" (seed 000, section 13); of the same name, ``SamePersonFound``
    offers that patient, unless ``another_person`` says it is someone else."""
    order.refresh_from_db()
    _check_status(order, {OrderStatus.NEW}, _("This order is %(status)s: only an order awaiting confirmation can "
                                               "be confirmed."))
    service_list = order_services(order)
    phone_decision = ""
    if patient is None:
        new_patient = new_patient or patient_data_from_order(order)
        new_patient.source = PatientSource.PLATFORM
        if not new_patient.first_name.strip() or not new_patient.last_name.strip():
            raise DomainError(_("Enter the first and last name."), field="first_name")
        check = check_phone(new_patient.phone, new_patient.first_name, new_patient.last_name)
        if check.same_name and not another_person:
            raise SamePersonFound(check.same_name)
        if check.same_name or check.others:
            phone_decision = NEW_SHARING

    def bind(appointment: Appointment) -> None:
        current = services.locked_order(order)
        if current.status != OrderStatus.NEW:
            raise DomainError(_("This order was confirmed meanwhile. Please reload."))
        current.patient_id, current.appointment = appointment.patient_id, appointment
        current.save(update_fields=["patient", "appointment"])
        services.move(current, OrderStatus.CONFIRMED, action="confirmed", actor=actor,
                      details={"appointment": appointment_details(appointment)})
        services.order_payer(current)
        order.refresh_from_db()

    scheduling.book_appointment(
        actor=actor, patient=patient, new_patient=None if patient is not None else new_patient,
        phone_decision=phone_decision, relation=PhoneRelation.OTHER, location=location, practitioner=practitioner,
        starts_at=starts_at, service_ids=[s.pk for s in service_list], source=Source.PLATFORM,
        source_detail=f"{order.platform.name} · {order.number}"[:200], note=order.product.name, on_booked=bind)
    return order


def _fresh_appointment(order: PlatformOrder) -> Appointment | None:
    """The order's appointment as it is now (the calendar may have changed it meanwhile)."""
    if order.appointment_id is None:
        return None
    return Appointment.objects.select_related("practitioner", "location").get(pk=order.appointment_id)


# --- bind a patient made elsewhere ------------------------------------------------------------------


def bindable_appointments(patient: Patient):
    """The patient's live appointments an order may take over: not begun, not another order's."""
    return (Appointment.objects.filter(patient=patient, status__in=APPOINTMENT_TRANSITIONS["reschedule"][0],
                                       platform_orders__isnull=True)
            .select_related("practitioner", "location").order_by("starts_at"))


def bind_patient(order: PlatformOrder, patient: Patient, *, actor, appointment: Appointment | None = None,
                 ) -> PlatformOrder:
    """Bind the order to a patient registered elsewhere (the seed's warning: a patient made
    outside the order could not be redeemed), before redemption. With ``appointment`` (one of
    that patient's, booked outside the order too) an order awaiting confirmation is confirmed
    with it. The order's appointment always belongs to its patient."""
    with transaction.atomic(durable=True), set_actor(actor):
        current = services.locked_order(order)
        _check_status(current, {OrderStatus.NEW, OrderStatus.CONFIRMED},
                      _("This order is %(status)s: a patient can be bound only before redemption."))
        if appointment is not None:
            appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
            if appointment.patient_id != patient.pk:
                raise DomainError(_("This appointment is another patient's."), field="appointment")
            if appointment.status not in APPOINTMENT_TRANSITIONS["reschedule"][0]:
                raise DomainError(_("This appointment can no longer be used: book a new one."), field="appointment")
            if PlatformOrder.objects.filter(appointment=appointment).exclude(pk=current.pk).exists():
                raise DomainError(_("This appointment belongs to another order."), field="appointment")
        elif current.appointment_id is not None and current.appointment.patient_id != patient.pk and \
                current.appointment.status != Status.CANCELLED:
            raise DomainError(_("The order's appointment is %(name)s's: choose an appointment of the patient "
                                "you bind, or cancel that appointment first.")
                              % {"name": current.appointment.patient.full_name}, field="appointment")
        before = current.status
        current.patient = patient
        fields = ["patient"]
        if appointment is not None:
            current.appointment = appointment
            fields.append("appointment")
        current.save(update_fields=fields)
        details = {"patient": {"name": patient.full_name, "number": patient.number}}
        if before == OrderStatus.NEW and appointment is not None:
            services.move(current, OrderStatus.CONFIRMED, action="bound", actor=actor,
                          details={**details, "appointment": appointment_details(appointment)})
        else:
            services.record_event(current, "bound", from_status=before, to_status=before, actor=actor,
                                  details=details)
        services.order_payer(current)
    order.refresh_from_db()
    return order


# --- no-shows -----------------------------------------------------------------------------------------


def reconfirm_order(order: PlatformOrder, *, actor, starts_at: datetime, practitioner: Practitioner | None = None,
                    location: Location | None = None) -> PlatformOrder:
    """A patient who missed the appointment (a no-show, or simply not come) comes on another
    day: the order is confirmed again with its appointment moved to that day (seed 000,
    section 11), ready to be redeemed then. An order whose appointment was cancelled gets a
    new one."""
    order.refresh_from_db()
    _check_status(order, {OrderStatus.CONFIRMED}, _("This order is %(status)s: only a confirmed order can be "
                                                     "re-confirmed."))
    appointment = _fresh_appointment(order)

    def reconfirmed(moved: Appointment) -> None:
        current = services.locked_order(order)
        if current.status != OrderStatus.CONFIRMED or current.appointment_id != (appointment and appointment.pk):
            raise DomainError(_("This order was changed meanwhile. Please reload."))
        if current.appointment_id != moved.pk:
            current.appointment = moved
            current.save(update_fields=["appointment"])
        details = {"appointment": appointment_details(moved)}
        if appointment is not None:
            details["was"] = appointment_details(appointment)
        services.move(current, OrderStatus.CONFIRMED, action="reconfirmed", actor=actor, details=details)

    if appointment is not None and appointment.status in ATTENDED:
        raise DomainError(_("The patient has come for this appointment: redeem the order at the visit."))
    if appointment is None or appointment.status == Status.CANCELLED:
        scheduling.book_appointment(
            actor=actor, patient=order.patient, location=location or (appointment and appointment.location),
            practitioner=practitioner or (appointment and appointment.practitioner), starts_at=starts_at,
            service_ids=[s.pk for s in order_services(order)], source=Source.PLATFORM,
            source_detail=f"{order.platform.name} · {order.number}"[:200], note=order.product.name,
            on_booked=reconfirmed)
    else:
        scheduling.reschedule_appointment(appointment, actor=actor, starts_at=starts_at, practitioner=practitioner,
                                          location=location, on_moved=reconfirmed)
    order.refresh_from_db()
    return order


# --- cancel ----------------------------------------------------------------------------------------------


def cancel_order(order: PlatformOrder, *, actor, reason: str) -> PlatformOrder:
    """Cancel an order not yet redeemed, with a reason; its unit of inventory comes back. A
    patient registered as arrived who cannot be treated is un-registered first (seed 000,
    section 12), and the order's appointment is cancelled with it, in one transaction."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Give a reason for cancelling."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("Keep the reason under %(count)s characters.") % {"count": REASON_MAX}, field="reason")
    order.refresh_from_db()
    _check_status(order, {OrderStatus.NEW, OrderStatus.CONFIRMED},
                  _("This order is %(status)s: it can no longer be cancelled."))
    appointment = _fresh_appointment(order)

    def cancelled(_appointment=None) -> None:
        current = services.locked_order(order)
        current.closed_reason = reason
        current.save(update_fields=["closed_reason"])
        services.move(current, OrderStatus.CANCELLED, action="cancelled", actor=actor, note=reason)

    if appointment is not None and appointment.status in (Status.IN_TREATMENT, Status.COMPLETED):
        raise DomainError(_("The patient's treatment has begun: the order can no longer be cancelled."))
    if appointment is not None and appointment.status in [*LIVE_STATUSES, Status.NO_SHOW]:
        scheduling.change_status(appointment, "cancel", actor=actor, reason=reason[:200], on_changed=cancelled,
                                 revert_arrival=True)
    else:
        with transaction.atomic(durable=True), set_actor(actor):
            cancelled()
    order.refresh_from_db()
    return order


def patient_platform_orders(patient: Patient) -> dict:
    """The patient page's platform orders (registered with ``clinic.patients.extensions``)."""
    return {"platform_orders": list(PlatformOrder.objects.filter(patient=patient)
                                    .select_related("platform", "product", "appointment")
                                    .order_by("-received_at", "-id")[:50])}
