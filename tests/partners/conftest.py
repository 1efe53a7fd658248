"""Partners at clinic alpha: a partner company, its link to the clinic, the portal client."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    make_staff,
    open_every_day,
)


@pytest.fixture
def world(tenant):
    """Clinic alpha with two locations, a practitioner working every day 9-17 at each, three
    services and an earlier patient; a manager."""

    here, there = LocationFactory(name="Central"), LocationFactory(name="Riverside")
    practitioner = PractitionerFactory(full_name="Dr Elena Munteanu")
    other = PractitionerFactory(full_name="Dr Andrei Ciobanu")
    open_every_day(here, practitioner)
    open_every_day(there, other)
    return {
        "here": here, "there": there, "practitioner": practitioner, "other": other,
        "consultation": ServiceFactory(name="Consultation", price=Decimal("400.00"), duration_minutes=30),
        "ecg": ServiceFactory(name="ECG", price=Decimal("150.00"), duration_minutes=15),
        "mri": ServiceFactory(name="MRI", price=Decimal("2500.00"), duration_minutes=60),
        "patient": PatientFactory(first_name="Doina", last_name="Grosu"),
        "manager": make_staff("manager"),
    }


@pytest.fixture
def add_partner(world, django_capture_on_commit_callbacks):
    """``add_partner(name, reg, **terms)``: a partner added by the manager, terms accepted by its
    first user (password "partner-pw-2026"), services ticked; returns (partnership, member)."""
    from partners.organisations.models import PartnerUser
    from partners.organisations.services import accept_terms
    from partners.services import PartnerData, PartnerTerms
    from partners.services import add_partner as add

    def build(name="MedAsist SRL", registration="RO123", *, services=("consultation", "ecg"), locations=("here",),
              commission=True, percent="10", payment_place="clinic", access=False, accept=True):
        with django_capture_on_commit_callbacks(execute=True):
            partnership = add(
                PartnerData(name=name, registration_number=registration, kind="medical_provider",
                            contact_name=f"Contact of {name}", contact_email=f"contact@{registration.lower()}.example"),
                PartnerTerms(location_ids=[world[key].pk for key in locations], commission=commission,
                             commission_percent=percent, payment_place=payment_place, patient_data_access=access),
                actor=world["manager"])
        partnership.services.set([world[key] for key in services])
        with schema_context("public"):
            member = PartnerUser.objects.select_related("user", "organisation").get(
                organisation_id=partnership.organisation_id)
            member.user.set_password("partner-pw-2026")
            member.user.save()
        if accept:
            accept_terms(member)
        return partnership, member

    return build


@pytest.fixture
def portal():
    """``portal(user)``: a client on the public host logged in as a partner user."""

    def build(user=None):
        client = Client(HTTP_HOST="localhost")
        if user is not None:
            previous = connection.tenant
            connection.set_schema_to_public()
            client.force_login(user)
            connection.set_tenant(previous)
        return client

    return build


def next_day_at(hour: int, days: int = 2) -> datetime:
    """A time on a day soon, in the clinic's zone."""
    from billing.reports import clinic_today
    from clinic.scheduling.availability import aware, clinic_zone

    return aware(clinic_today() + timedelta(days=days), time(hour), clinic_zone())
