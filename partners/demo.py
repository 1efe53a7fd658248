"""The demo clinic's two partners (``make demo``, idempotent): linked, terms accepted, traffic
channels ticked, a few bookings made from the portal (one of them cancelled), and one made last
week whose visit was billed (so the partner's account and receivables have real entries: what
was charged and the commission it earned)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django_tenants.utils import schema_context

from clinic.models import Location, Service
from partners.organisations.demo import DEMO_PARTNERS
from partners.organisations.models import (
    TERMS_VERSION,
    ClinicLink,
    PartnerOrganisation,
    PartnerUser,
    TermsAcceptance,
)

from .models import Partnership, PaymentPlace

# registration number -> (locations, categories ticked, commission %, place of payment, patient-data access)
DEMO_TERMS = {
    "1019600012345": (["Central", "Riverside"], ["Consultations", "Diagnostics"], Decimal("10.00"),
                      PaymentPlace.CLINIC, True),
    "2004500067890": (["Riverside"], ["Consultations"], Decimal("5.00"), PaymentPlace.PARTNER, False),
}


def seed_partner_links() -> None:
    """Run inside the demo clinic's schema, after ``seed_partners`` made the companies."""
    clinic = connection.tenant
    for _name, number, *_rest in DEMO_PARTNERS:
        locations, categories, percent, place, access = DEMO_TERMS[number]
        with schema_context("public"), transaction.atomic():
            organisation = PartnerOrganisation.objects.get(registration_number=number)
            first = PartnerUser.objects.filter(organisation=organisation).order_by("pk").first()
            TermsAcceptance.objects.get_or_create(organisation=organisation, version=TERMS_VERSION,
                                                  defaults={"accepted_by": first.user})
            ClinicLink.objects.get_or_create(organisation=organisation, clinic_id=clinic.pk,
                                             defaults={"status": ClinicLink.Status.ACTIVE})
        if Partnership.objects.filter(organisation_id=organisation.pk).exists():
            continue
        with transaction.atomic():
            partnership = Partnership.objects.create(
                organisation_id=organisation.pk, commission=True, commission_percent=percent, payment_place=place,
                patient_data_access=access)
            partnership.locations.set(Location.objects.filter(name__in=locations))
            partnership.services.set(Service.objects.filter(category__name__in=categories, is_active=True))
        _book_some(partnership, first)
        _billed_last_week(partnership, first)


def _billed_last_week(partnership: Partnership, member: PartnerUser) -> None:
    """A booking made from the portal last week for the next day, the patient came and the
    visit was billed (the clock set back while the services run, as the clinic's demo does)."""
    from datetime import datetime, time

    from billing.models import Visit
    from billing.reports import clinic_today
    from billing.services import close_visit
    from clinic.demo_clock import demo_time
    from clinic.scheduling.availability import clinic_zone
    from clinic.scheduling.services import change_status

    service = partnership.services.order_by("duration_minutes", "code").first()
    if service is None:
        return
    zone = clinic_zone()
    for days_ago in range(8, 15):  # the first day of last week with a free slot
        day = clinic_today() - timedelta(days=days_ago)
        booked_at = datetime.combine(day - timedelta(days=1), time(9), tzinfo=zone)
        with demo_time(booked_at):
            booking = _first_free(partnership, member, service, day)
        if booking is not None:
            break
    else:
        return
    appointment = booking.appointment
    with demo_time(appointment.starts_at):
        appointment = change_status(appointment, "arrive", actor=None)
        appointment = change_status(appointment, "start", actor=None)  # opens the visit
    with demo_time(appointment.ends_at):
        appointment = change_status(appointment, "complete", actor=None)
        close_visit(Visit.objects.get(appointment=appointment), actor=None)


def _first_free(partnership: Partnership, member: PartnerUser, service, day):
    """The partner's booking of the first free slot of ``day`` for a new patient, or None."""
    from clinic.errors import DomainError
    from clinic.patients.services import PatientData
    from clinic.scheduling.availability import load_days

    from .services import book_for_partner

    for location in partnership.locations.order_by("name"):
        days = load_days([day], location_id=location.pk, with_patients=False)
        for _key, entry in sorted(days.items(), key=lambda item: (item[0][1], item[0][0])):
            for interval in entry.free_intervals():
                if interval.ends - interval.starts < timedelta(minutes=service.duration_minutes):
                    continue
                try:
                    return book_for_partner(
                        member, location=location, practitioner=entry.practitioner, starts_at=interval.starts,
                        service_ids=[service.pk],
                        new_patient=PatientData(first_name="Victor", last_name="Rotaru",
                                                phone=f"+3736910{member.pk:04d}"))
                except DomainError:
                    continue
    return None


def _book_some(partnership: Partnership, member: PartnerUser) -> None:
    """Three bookings in the coming days at the first free slots; the last one is cancelled."""
    from billing.reports import clinic_today
    from clinic.errors import DomainError
    from clinic.patients.services import PatientData
    from clinic.scheduling.availability import load_days

    from .services import book_for_partner, cancel_booking

    service = partnership.services.order_by("duration_minutes", "code").first()
    if service is None:
        return
    people = [("Lilia", "Cojocaru"), ("Sergiu", "Botnaru"), ("Elena", "Vrabie")]
    made = []
    start = clinic_today() + timedelta(days=1)
    for location in partnership.locations.order_by("name"):
        days = load_days([start + timedelta(days=n) for n in range(7)], location_id=location.pk, with_patients=False)
        for _key, entry in sorted(days.items(), key=lambda item: (item[0][1], item[0][0])):
            for interval in entry.free_intervals():
                if len(made) == len(people) or interval.ends - interval.starts < timedelta(
                        minutes=service.duration_minutes):
                    continue
                first, last = people[len(made)]
                try:
                    made.append(book_for_partner(
                        member, location=location, practitioner=entry.practitioner, starts_at=interval.starts,
                        service_ids=[service.pk],
                        new_patient=PatientData(first_name=first, last_name=last, phone=f"+3736900{len(made)}{member.pk:03d}")))
                except DomainError:
                    continue
        if len(made) == len(people):
            break
    if made:
        cancel_booking(made[-1], by_name=member.user.full_name, reason="Patient rescheduled with the partner")
