"""The demo clinic's two partners (``make demo``, idempotent): linked, terms accepted, traffic
channels ticked, and a few bookings made from the portal (one of them cancelled)."""

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
