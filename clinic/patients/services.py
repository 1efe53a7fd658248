"""Registering, changing, finding and flagging patients."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditlog.context import set_actor
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import DomainError

from .models import Flag, Patient, PatientFlag, PhoneRelation, fold, normalise_phone

# What a phone typed in any format looks like: digits with spaces, dashes, dots, brackets, a +.
PHONE_LIKE = re.compile(r"\+?[\d\s()-]*\d{3}[\d\s()-]*")
SAME_PERSON = "same"
NEW_SHARING = "sharing"


class PhoneInUse(DomainError):
    """The phone already belongs to someone: staff must say whether this is that person."""

    def __init__(self, owners: list[Patient]):
        super().__init__(_("This phone number already belongs to a patient."), field="phone")
        self.owners = owners


@dataclass
class PatientData:
    first_name: str
    last_name: str
    phone: str = ""
    birth_date: object = None
    email: str = ""
    source: str = "walk_in"
    consent_to_contact: bool = False
    notes: str = ""


def phone_owners(phone: str, *, exclude: Patient | None = None) -> list[Patient]:
    number = normalise_phone(phone)
    if not number:
        return []
    owners = Patient.objects.filter(phone=number)
    if exclude is not None:
        owners = owners.exclude(pk=exclude.pk)
    return list(owners.order_by("number")[:10])


def register_patient(
    data: PatientData, *, actor, phone_decision: str = "", relation: str = PhoneRelation.OTHER
) -> Patient:
    """Register a new patient.

    When the phone already belongs to a patient, staff decide: ``SAME_PERSON``
    (nothing is created; the caller opens that patient) or ``NEW_SHARING`` (a
    new patient sharing the phone, with their relation to its owner).
    """
    with transaction.atomic(durable=True), set_actor(actor):
        return register_patient_in(data, actor=actor, phone_decision=phone_decision, relation=relation)


def register_patient_in(data: PatientData, *, actor, phone_decision: str = "", relation: str = PhoneRelation.OTHER):
    """``register_patient`` inside the caller's transaction (e.g. with a booking)."""
    from django.db import connection

    assert connection.in_atomic_block
    if not data.first_name.strip() or not data.last_name.strip():
        raise DomainError(_("Enter the first and last name."), field="first_name")
    owners = phone_owners(data.phone)
    owner = None
    if owners:
        if phone_decision == SAME_PERSON:
            raise DomainError(_("Open the existing patient instead of registering a new one."))
        if phone_decision != NEW_SHARING:
            raise PhoneInUse(owners)
        if relation not in PhoneRelation.values or relation == PhoneRelation.SELF:
            raise DomainError(_("Say how the new patient is related to the phone's owner."), field="relation")
        owner = next((o for o in owners if o.phone_owner_id is None), owners[0])
    patient = Patient(
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        phone=data.phone,
        birth_date=data.birth_date,
        email=data.email.strip(),
        source=data.source,
        consent_to_contact=data.consent_to_contact,
        consent_changed_at=timezone.now() if data.consent_to_contact else None,
        notes=data.notes.strip(),
        created_by=actor,
        phone_owner=owner,
        phone_relation=relation if owner else PhoneRelation.SELF,
    )
    patient.save()
    return patient


def update_patient(patient: Patient, data: PatientData, *, actor) -> Patient:
    if not data.first_name.strip() or not data.last_name.strip():
        raise DomainError(_("Enter the first and last name."), field="first_name")
    with transaction.atomic(durable=True), set_actor(actor):
        current = Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
        if normalise_phone(data.phone) != current.phone:
            # Those who shared the old number keep it: the first of them owns it now.
            sharers = list(current.phone_sharers.order_by("number"))
            if sharers:
                heir = sharers[0]
                Patient.objects.filter(pk=heir.pk).update(phone_owner=None, phone_relation=PhoneRelation.SELF)
                Patient.objects.filter(pk__in=[p.pk for p in sharers[1:]]).update(phone_owner=heir)
            current.phone_owner = None
            current.phone_relation = PhoneRelation.SELF
            others = phone_owners(data.phone, exclude=current)
            if others:
                current.phone_owner = next((o for o in others if o.phone_owner_id is None), others[0])
                current.phone_relation = PhoneRelation.OTHER
        if data.consent_to_contact != current.consent_to_contact:
            current.consent_changed_at = timezone.now()
        for field in ("first_name", "last_name", "phone", "birth_date", "email", "source", "consent_to_contact", "notes"):
            value = getattr(data, field)
            setattr(current, field, value.strip() if isinstance(value, str) else value)
        current.save()
    return current


def search_patients(query: str) -> QuerySet[Patient]:
    """Name, phone, number or birth date, any part of each; accent- and case-insensitive.

    Every word must occur in the trigram-indexed ``search_text``.
    """
    words = fold(query).split()
    patients = Patient.objects.all()
    if not words:
        return patients.none()
    condition = Q()
    for word in words[:6]:
        digits = "".join(ch for ch in word if ch.isdigit())
        if len(digits) >= 3 and len(digits) == len(word.strip("+()-")):
            condition &= Q(search_text__contains=digits)
        else:
            condition &= Q(search_text__contains=word)
    if PHONE_LIKE.fullmatch(query.strip()):
        # A phone in any format ("067 239 215", "+373-67-239215", "67239215"): the whole
        # number when it is one (its E.164 digits), else the digits typed, anywhere in the
        # international or national digits of the stored phone.
        from clinic.phones import to_e164

        e164 = to_e164(query)
        digits = e164.lstrip("+") if e164 else "".join(ch for ch in query if ch.isdigit())
        condition |= Q(search_text__contains=digits)
    return patients.filter(condition).prefetch_related("flags")


def set_flag(patient: Patient, flag: Flag, *, actor, origin: str = "manual") -> None:
    with transaction.atomic(), set_actor(actor):
        PatientFlag.objects.get_or_create(patient=patient, flag=flag, defaults={"set_by": actor, "origin": origin})


def remove_flag(patient: Patient, flag: Flag, *, actor) -> None:
    with transaction.atomic(), set_actor(actor):
        for link in PatientFlag.objects.filter(patient=patient, flag=flag):
            link.delete()
