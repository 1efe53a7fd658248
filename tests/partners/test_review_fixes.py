"""Defects found in the review of the partner module, each with the test that showed it."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse as clinic_reverse
from django.utils import dateformat
from django_tenants.utils import schema_context

from clinic.patients.services import PatientData
from clinic.scheduling.availability import clinic_zone
from clinic.scheduling.models import Appointment
from partners.models import PartnerBooking, PatientSearch
from partners.organisations.models import ClinicLink, TermsAcceptance
from partners.services import book_for_partner, search_patients_for_partner
from tests.factories import PatientFactory
from tests.partners.conftest import next_day_at

pytestmark = pytest.mark.django_db


def reverse(name, args=None):
    return clinic_reverse(name, urlconf="config.urls_public", args=args)


class PortalClient(Client):
    """The public host; the test stays in the clinic's schema after each request."""

    def request(self, **request):
        previous = connection.tenant
        try:
            return super().request(**request)
        finally:
            connection.set_tenant(previous)


def portal(user) -> PortalClient:
    client = PortalClient(HTTP_HOST="localhost")
    with schema_context("public"):
        client.force_login(user)
    return client


def local(moment) -> str:
    return moment.astimezone(clinic_zone()).strftime("%Y-%m-%dT%H:%M")


def booking_post(world, moment, **extra):
    return {"clinic": "alpha", "location": world["here"].pk, "practitioner": world["practitioner"].pk,
            "starts_at": local(moment), "services": [world["consultation"].pk], "patient": "",
            "first_name": "Ion", "last_name": "Rusu", "phone": "+37369111222"} | extra


# --- the emails to the partner give the clinic's time, not UTC ------------------------------------


# A day in the 1st-9th of a month: the e-mail writes the day unpadded ("5 December"), where a
# zero-padded expectation would fail on those nine days only.
@time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=UTC), tick=True)
def test_the_partners_emails_give_the_appointments_time_as_the_clinic_lives_it(
        world, add_partner, tenant, django_capture_on_commit_callbacks):
    """The portal runs on the public host, where no clinic's time zone is active: the booking
    and cancellation emails said 08:00 for a 10:00 appointment at a clinic in Bucharest."""
    _partnership, member = add_partner()
    client = portal(member.user)
    starts = next_day_at(10)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_booking_new"), booking_post(world, starts))
    assert response.status_code == 302
    booking = PartnerBooking.objects.get()
    # The mail's own format ("j F Y": the day unpadded), so the test holds on the 1st-9th too.
    expected = f"{dateformat.format(starts.astimezone(clinic_zone()), 'j F Y')} 10:00"
    assert len(mail.outbox) == 1 and expected in mail.outbox[0].body, mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal_booking_cancel", args=["alpha", booking.pk]), {"reason": "Patient is ill"})
    assert len(mail.outbox) == 2 and "cancelled" in mail.outbox[1].subject
    assert expected in mail.outbox[1].body, mail.outbox[1].body


# --- a partner finds patients by name only -------------------------------------------------------


def test_a_partner_cannot_find_who_has_a_phone_number_a_patient_number_or_a_birth_date(world, add_partner, tenant):
    """The clinic's search also matches phones, patient numbers and birth dates: a partner typing
    a phone number learnt whose it was. Partners search by name (name and birth year shown)."""
    secret = PatientFactory(first_name="Valentina", last_name="Secret", phone="+37369123456",
                            birth_date=date(1980, 5, 17))
    _partnership, member = add_partner(access=True)
    for query in ("69123456", "+37369123456", str(secret.number), "1980-05-17", "17.05.1980", "--- ..."):
        assert search_patients_for_partner(member, query) == [], query
    found = search_patients_for_partner(member, "valentina secret")
    assert found == [{"id": secret.pk, "name": "Valentina Secret", "birth_year": 1980}]
    # A date typed with a name narrows nothing: it does not tell whether it is the patient's.
    assert search_patients_for_partner(member, "Valentina 17.05.1980") == found
    assert search_patients_for_partner(member, "Valentina 01.01.1990") == found
    # Every search is logged, also those that found nothing.
    assert PatientSearch.objects.count() == 9
    assert set(PatientSearch.objects.filter(results=0).values_list("query", flat=True)) >= {"69123456", "1980-05-17"}


# --- only a patient the user's search showed can be booked ---------------------------------------


def test_a_partner_books_only_a_patient_its_own_search_showed(world, add_partner, tenant):
    """An id typed into the booking form named any patient of the clinic: the refused dialog
    showed their name and birth year (and a booking showed the name), without a logged search
    and past the limit of 10 results."""
    secret = PatientFactory(first_name="Valentina", last_name="Secret", birth_date=date(1980, 5, 17))
    _partnership, member = add_partner(access=True)
    client = portal(member.user)
    past = booking_post(world, next_day_at(10, days=-3), patient=secret.pk, first_name="", last_name="", phone="")
    response = client.post(reverse("portal_booking_new"), past)
    html = response.content.decode()
    assert response.status_code == 422 and "Choose a patient from the search results." in html
    assert "Valentina" not in html and "1980" not in html
    response = client.post(reverse("portal_booking_new"), past | {"starts_at": local(next_day_at(10))})
    assert response.status_code == 422 and "Valentina" not in response.content.decode()
    assert not PartnerBooking.objects.exists() and not Appointment.objects.exists()

    found = client.get(reverse("portal_patient_search"), {"clinic": "alpha", "q": "Secret"})
    assert "Valentina Secret (1980)" in found.content.decode()
    response = client.post(reverse("portal_booking_new"), past | {"starts_at": local(next_day_at(10))})
    assert response.status_code == 302
    assert PartnerBooking.objects.get().appointment.patient == secret


def test_without_access_to_patient_data_an_id_says_nothing_about_the_patient(world, add_partner, tenant):
    """Without access, a real patient's id and an id of nobody give the same answer."""
    _partnership, member = add_partner(access=False)
    client = portal(member.user)
    answers = set()
    for patient_id in (world["patient"].pk, world["patient"].pk + 1000):
        response = client.post(reverse("portal_booking_new"), booking_post(
            world, next_day_at(10), patient=patient_id, first_name="", last_name="", phone=""))
        assert response.status_code == 422
        answers.add("does not search the clinic&#x27;s patients" in response.content.decode())
    assert answers == {True} and not PartnerBooking.objects.exists()


# --- a slot at the end of the calendar is refused, not a server error ------------------------------


@pytest.mark.parametrize("start", ["9999-12-31T23:30", "0001-01-01T00:00"])
def test_a_slot_outside_the_calendars_years_is_refused_with_a_message(world, add_partner, tenant, start):
    _partnership, member = add_partner()
    booking = book_for_partner(member, location=world["here"], practitioner=world["practitioner"],
                               starts_at=next_day_at(10), service_ids=[world["consultation"].pk],
                               new_patient=PatientData(first_name="Ana", last_name="Ceban"))
    client = portal(member.user)
    response = client.post(reverse("portal_booking_new"), booking_post(world, next_day_at(11)) | {"starts_at": start})
    assert response.status_code == 422 and "Choose a free slot in the calendar." in response.content.decode()
    dialog = client.get(reverse("portal_booking_new"), {"clinic": "alpha", "location": world["here"].pk,
                                                        "practitioner": world["practitioner"].pk, "start": start})
    assert dialog.status_code == 404
    moved = client.post(reverse("portal_booking_move", args=["alpha", booking.pk]),
                        {"slot": f"{world['practitioner'].pk}|{start}"}, follow=True)
    assert moved.status_code == 200 and "Choose a free slot in the calendar." in moved.content.decode()
    booking.appointment.refresh_from_db()
    assert booking.appointment.starts_at == next_day_at(10) and PartnerBooking.objects.count() == 1


# --- accepting a new version of the terms approves no invitation ---------------------------------


def test_a_later_registration_with_a_new_terms_version_does_not_approve_a_pending_invitation(
        world, add_partner, tenant, clinic_b, in_clinic, django_capture_on_commit_callbacks):
    """Only the company's first registration answers the invitations pending then; when a new
    version of the terms comes, a user who registers and accepts it approved every pending
    invitation on the way, and the company could book at a clinic nobody approved."""
    from partners.organisations.models import PartnerUser
    from partners.organisations.services import register_partner_user
    from partners.services import PartnerData, PartnerTerms
    from partners.services import add_partner as add
    from tests.factories import LocationFactory

    _partnership, admin = add_partner()
    with schema_context("public"):
        TermsAcceptance.objects.update(version="2020-01")  # the company accepted an earlier version
        from clinic.accounts.models import User

        newcomer = PartnerUser.objects.select_related("user", "organisation").get(pk=PartnerUser.objects.create(
            user=User.objects.create_user("nina@ro123.example", "Nina Nou", password=None),
            organisation_id=admin.organisation_id, manages_users=True, can_book=True).pk)
    with in_clinic(clinic_b), django_capture_on_commit_callbacks(execute=True):
        add(PartnerData(name="MedAsist SRL", registration_number="RO123", kind="medical_provider",
                        contact_name="X", contact_email="x@ro123.example"),
            PartnerTerms(location_ids=[LocationFactory().pk]), actor=None)
    from django.contrib.auth.tokens import default_token_generator

    with schema_context("public"):
        token = default_token_generator.make_token(newcomer.user)
    register_partner_user(newcomer, token=token, password="nina-pass-2026-x", accept=True)
    with schema_context("public"):
        assert TermsAcceptance.objects.filter(organisation_id=admin.organisation_id).count() == 2
        assert ClinicLink.objects.get(clinic=clinic_b).status == ClinicLink.Status.INVITED
        assert ClinicLink.objects.get(clinic__slug="alpha").status == ClinicLink.Status.ACTIVE
