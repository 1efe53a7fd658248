"""Booking from the partner portal: the calendars (free and booked slots, only what the partner
may book), booking a slot, the company's bookings, moving and cancelling them, and every denial."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse as clinic_reverse
from django_tenants.utils import schema_context

from clinic.patients.models import Patient
from clinic.patients.services import PatientData
from clinic.scheduling.availability import clinic_zone
from clinic.scheduling.models import Appointment
from partners.models import PartnerBooking, PatientSearch
from partners.organisations.models import PartnerUser
from partners.portal_calendar import monday_of
from partners.services import book_for_partner
from tests.factories import PatientFactory
from tests.partners.conftest import next_day_at

pytestmark = pytest.mark.django_db


def reverse(name, args=None):
    """The portal's URLs are the public host's."""
    return clinic_reverse(name, urlconf="config.urls_public", args=args)


class PortalClient(Client):
    """A client on the public host that leaves the test in the clinic's schema after each
    request (the tenant middleware switches the shared connection to the public schema)."""

    def request(self, **request):
        previous = connection.tenant
        try:
            return super().request(**request)
        finally:
            connection.set_tenant(previous)


@pytest.fixture
def portal():
    """``portal(user)``: a partner user logged in to the portal."""

    def build(user):
        client = PortalClient(HTTP_HOST="localhost")
        with schema_context("public"):
            client.force_login(user)
        return client

    return build


def local(moment) -> str:
    """A slot's start as the calendar and the booking form write it."""
    return moment.astimezone(clinic_zone()).strftime("%Y-%m-%dT%H:%M")


def week_of(moment) -> str:
    return monday_of(moment.astimezone(clinic_zone()).date()).isoformat()


def show_calendar(client, world, moment=None, **params):
    query = {"clinic": "alpha", "location": world["here"].pk, "week": week_of(moment or next_day_at(10))} | params
    return client.get(reverse("portal_book"), query)


def front_desk_booking(world, hour, patient=None):
    from clinic.scheduling.services import book_appointment

    return book_appointment(actor=world["manager"], patient=patient or world["patient"], location=world["here"],
                            practitioner=world["practitioner"], starts_at=next_day_at(hour),
                            service_ids=[world["consultation"].pk])


def booking_post(world, hour=15, **extra):
    return {"clinic": "alpha", "location": world["here"].pk, "practitioner": world["practitioner"].pk,
            "starts_at": local(next_day_at(hour)), "services": [world["consultation"].pk], "patient": "",
            "first_name": "Ion", "last_name": "Rusu", "phone": "+37369111222", "birth_date": "1980-04-02"} | extra


def book_as(world, member, hour):
    return book_for_partner(member, location=world["here"], practitioner=world["practitioner"],
                            starts_at=next_day_at(hour), service_ids=[world["consultation"].pk],
                            new_patient=PatientData(first_name="Ana", last_name=f"Ceban{hour}",
                                                    phone=f"+373690{hour:05d}"))


def statements(queries) -> int:
    """Queries run, without django-tenants' ``SET search_path`` before each."""
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith("SET search_path"))


def set_member(member, **fields):
    with schema_context("public"):
        PartnerUser.objects.filter(pk=member.pk).update(**fields)
        member.refresh_from_db()
        member.user, member.organisation  # noqa: B018 - public rows, read while in the public schema


# --- the calendars ------------------------------------------------------------------------


def test_the_calendar_shows_free_slots_and_booked_ones_in_red_without_the_patient(world, add_partner, portal,
                                                                                  tenant):
    from clinic.models import Absence, Break

    _partnership, member = add_partner(services=("consultation", "ecg", "mri"))
    front_desk_booking(world, 10)
    day = next_day_at(10).astimezone(clinic_zone()).date()
    Break.objects.create(practitioner=world["practitioner"], weekday=day.weekday(), starts=time(13), ends=time(13, 30))
    absent_day = day + timedelta(days=1) if day.weekday() < 6 else day - timedelta(days=1)
    Absence.objects.create(practitioner=world["practitioner"], starts_on=absent_day, ends_on=absent_day)
    html = show_calendar(portal(member.user), world).content.decode()
    assert "Dr Elena Munteanu" in html and "Dr Andrei Ciobanu" not in html  # only the chosen location
    assert 'class="portal-slot portal-booked table-danger' in html
    assert "Grosu" not in html and "Doina" not in html  # booked, never by whom
    assert f"start={day.isoformat()}T10:00" not in html and f"start={day.isoformat()}T11:00" in html
    assert f"start={day.isoformat()}T13:00" not in html and "portal-break" in html
    assert f"start={absent_day.isoformat()}T" not in html and "portal-absent" in html
    assert f"start={day.isoformat()}T16:30" in html  # without a service, one half hour

    # With a service chosen, a slot is free only when the whole service fits.
    html = show_calendar(portal(member.user), world, service=world["mri"].pk).content.decode()
    assert f"start={day.isoformat()}T09:00" in html  # 09:00-10:00 fits before the 10:00 booking
    assert f"start={day.isoformat()}T09:30" not in html and f"start={day.isoformat()}T16:30" not in html
    assert f"start={day.isoformat()}T16:00" in html and f"service={world['mri'].pk}" in html


def test_past_slots_are_not_bookable(world, add_partner, portal, tenant):
    from billing.reports import clinic_today

    _partnership, member = add_partner()
    yesterday = clinic_today() - timedelta(days=1)
    html = show_calendar(portal(member.user), world, week=monday_of(yesterday).isoformat()).content.decode()
    assert f"start={yesterday.isoformat()}T" not in html and "portal-past" in html


def test_only_the_authorised_services_and_locations_are_offered(world, add_partner, portal, tenant):
    _partnership, member = add_partner(services=("consultation",))
    client = portal(member.user)
    html = show_calendar(client, world).content.decode()
    assert "Consultation · 30 min · 400.00 EUR" in html
    assert "ECG" not in html and "MRI" not in html and "2,500" not in html and "2500" not in html
    assert "Central" in html and "Riverside" not in html
    # A location the partner may not book at, asked for by hand: refused, no calendar.
    html = show_calendar(client, world, location=world["there"].pk).content.decode()
    assert "Dr Andrei Ciobanu" not in html and 'id="portal-calendar"' not in html
    assert "Select a valid choice" in html
    # The booking dialog of a slot there is not found either.
    response = client.get(reverse("portal_booking_new"), {
        "clinic": "alpha", "location": world["there"].pk, "practitioner": world["other"].pk,
        "start": local(next_day_at(11))})
    assert response.status_code == 404


def test_the_calendar_reads_a_fixed_number_of_queries(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    client = portal(member.user)
    show_calendar(client, world)  # warm: content types, translations

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert show_calendar(client, world).status_code == 200
        return statements(queries)

    quiet = count()
    for hour in (9, 11, 12, 14, 15, 16):
        front_desk_booking(world, hour, patient=PatientFactory())
    assert count() == quiet <= 18


def test_without_the_booking_permission_a_user_only_sees(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    booking = book_as(world, member, 10)
    assert reverse("portal_booking_new") in show_calendar(portal(member.user), world).content.decode()
    set_member(member, can_book=False)
    client = portal(member.user)
    calendar = show_calendar(client, world)  # seeing the calendars is allowed, booking from them is not
    assert calendar.status_code == 200 and 'id="see-only"' in calendar.content.decode()
    assert reverse("portal_booking_new") not in calendar.content.decode()
    assert client.get(reverse("portal_book") + f"?clinic=alpha&move={booking.pk}").status_code == 403
    assert client.post(reverse("portal_booking_new"), booking_post(world)).status_code == 403
    assert client.get(reverse("portal_patient_search"), {"clinic": "alpha", "q": "Grosu"}).status_code == 403
    assert client.post(reverse("portal_booking_cancel", args=["alpha", booking.pk]),
                       {"reason": "x"}).status_code == 403
    assert client.post(reverse("portal_booking_move", args=["alpha", booking.pk]),
                       {"slot": f"{world['practitioner'].pk}|{local(next_day_at(14))}"}).status_code == 403
    detail = client.get(reverse("portal_booking", args=["alpha", booking.pk]))
    assert detail.status_code == 200 and booking.code in detail.content.decode()
    assert 'id="cancel-form"' not in detail.content.decode()
    assert PartnerBooking.objects.count() == 1
    assert Appointment.objects.get().status == "booked"


def test_a_clinic_the_partner_is_not_linked_to_is_not_found(world, add_partner, portal, tenant, clinic_b):
    _partnership, member = add_partner()
    booking = book_as(world, member, 10)
    client = portal(member.user)
    assert client.get(reverse("portal_book"), {"clinic": "beta"}).status_code == 404
    assert client.get(reverse("portal_book"), {"clinic": "nowhere"}).status_code == 404
    assert client.get(reverse("portal_booking", args=["beta", booking.pk])).status_code == 404
    assert client.post(reverse("portal_booking_new"), booking_post(world, clinic="beta")).status_code == 404
    assert client.get(reverse("portal_patient_search"), {"clinic": "beta", "q": "Grosu"}).status_code == 404
    html = client.get(reverse("portal_book")).content.decode()
    assert clinic_b.name not in html and "Alpha Clinic" in html


# --- booking ------------------------------------------------------------------------------


def test_booking_a_free_slot_for_a_new_patient(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    client = portal(member.user)
    dialog = client.get(reverse("portal_booking_new"), {
        "clinic": "alpha", "location": world["here"].pk, "practitioner": world["practitioner"].pk,
        "start": local(next_day_at(15)), "service": world["consultation"].pk}, HTTP_HX_REQUEST="true")
    html = dialog.content.decode()
    assert dialog.status_code == 200 and "Dr Elena Munteanu" in html and "Central" in html
    assert "Consultation · 30 min · 400.00 EUR" in html and "MRI" not in html
    assert 'id="patient-query"' not in html  # no access to patient data: no search offered

    response = client.post(reverse("portal_booking_new"), booking_post(world), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    booking = PartnerBooking.objects.get()
    assert response["HX-Redirect"] == reverse("portal_booking", args=["alpha", booking.pk])
    appointment = booking.appointment
    assert appointment.source == "partner" and appointment.starts_at == next_day_at(15)
    assert appointment.ends_at == next_day_at(15) + timedelta(minutes=30)
    assert appointment.patient.full_name == "Ion Rusu" and appointment.patient.birth_date.year == 1980
    assert appointment.patient.source == "partner"
    assert booking.booked_by_id == member.user_id

    page = client.get(response["HX-Redirect"]).content.decode()
    assert f"Booked. Your reference is {booking.code}." in page
    assert booking.code in page and "Ion Rusu" in page and "Consultation" in page
    # The slot is taken now: booked in the calendar.
    day = next_day_at(15).astimezone(clinic_zone()).date()
    assert f"start={day.isoformat()}T15:00" not in show_calendar(client, world).content.decode()


def test_a_taken_slot_is_refused_with_a_message_and_nothing_is_saved(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    front_desk_booking(world, 15)
    patients = Patient.objects.count()
    response = portal(member.user).post(reverse("portal_booking_new"), booking_post(world), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "This time was just taken. Please choose another slot." in response.content.decode()
    assert not PartnerBooking.objects.exists() and Patient.objects.count() == patients
    assert Appointment.objects.count() == 1


def test_a_crafted_post_cannot_book_an_unauthorised_service_or_location(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    client = portal(member.user)
    response = client.post(reverse("portal_booking_new"), booking_post(world, services=[world["mri"].pk]))
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    response = client.post(reverse("portal_booking_new"), booking_post(
        world, location=world["there"].pk, practitioner=world["other"].pk))
    assert response.status_code == 422
    assert "Your company may not book at this location." in response.content.decode()
    response = client.post(reverse("portal_booking_new"), booking_post(world, patient=world["patient"].pk))
    assert response.status_code == 422 and "does not search the clinic&#x27;s patients" in response.content.decode()
    assert not PartnerBooking.objects.exists() and not Appointment.objects.exists()


def test_an_earlier_patient_is_found_and_booked_with_access_to_patient_data(world, add_partner, portal, tenant):
    for n in range(12):
        PatientFactory(first_name=f"Doina{n}", last_name="Grosu", phone=f"+3736977{n:04d}")
    _partnership, member = add_partner(access=True)
    client = portal(member.user)
    dialog = client.get(reverse("portal_booking_new"), {
        "clinic": "alpha", "location": world["here"].pk, "practitioner": world["practitioner"].pk,
        "start": local(next_day_at(15))}, HTTP_HX_REQUEST="true")
    assert 'id="patient-query"' in dialog.content.decode()

    search = reverse("portal_patient_search")
    short = client.get(search, {"clinic": "alpha", "q": "Gr"}).content.decode()
    assert "Type at least 3 letters of one word of the name." in short and "Grosu" not in short
    assert not PatientSearch.objects.exists()
    found = client.get(search, {"clinic": "alpha", "q": "grosu"}).content.decode()
    assert found.count('type="radio" name="patient"') == 10
    assert "+3736977" not in found  # name and birth year only
    logged = PatientSearch.objects.get()
    assert logged.query == "grosu" and logged.results == 10 and logged.user_id == member.user_id

    response = client.post(reverse("portal_booking_new"), booking_post(
        world, patient=world["patient"].pk, first_name="", last_name="", phone=""))
    assert response.status_code == 302
    assert PartnerBooking.objects.get().appointment.patient == world["patient"]


def test_patient_search_with_access_off_returns_nothing(world, add_partner, portal, tenant):
    _partnership, member = add_partner(access=False)
    html = portal(member.user).get(reverse("portal_patient_search"), {"clinic": "alpha", "q": "Grosu"}).content
    assert b"Grosu" not in html and b'name="patient"' not in html
    assert not PatientSearch.objects.exists()


# --- the company's bookings ---------------------------------------------------------------


def test_the_bookings_list_shows_the_companys_bookings_only(world, add_partner, portal, tenant):
    from clinic.accounts.models import User

    _a, member_a = add_partner("MedAsist SRL", "RO-A")
    _b, member_b = add_partner("Rusu Clinic", "RO-B")
    with schema_context("public"):
        colleague_user = User.objects.create_user("colleague@ro-a.example", "Vlad Colleague", password="x-long-pw-1")
        colleague = PartnerUser.objects.create(user=colleague_user, organisation_id=member_a.organisation_id,
                                               can_book=True)
        colleague = PartnerUser.objects.select_related("user", "organisation").get(pk=colleague.pk)
    mine = book_as(world, member_a, 10)
    colleagues = book_as(world, colleague, 11)
    theirs = book_as(world, member_b, 12)
    client = portal(member_a.user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("portal_bookings")).content.decode()
    assert statements(queries) <= 10  # two per clinic and the portal's own
    assert mine.code in html and colleagues.code in html and theirs.code not in html
    assert "Ceban10" in html and "Ceban12" not in html and "Vlad Colleague" in html
    assert "Alpha Clinic" in html and "Dr Elena Munteanu" in html and "Consultation" in html
    assert mine.code not in client.get(reverse("portal_bookings"), {"when": "past"}).content.decode()
    assert mine.code in client.get(reverse("portal_bookings"), {"clinic": "alpha"}).content.decode()
    assert client.get(reverse("portal_bookings"), {"clinic": "beta"}).status_code == 404


def test_cancelling_and_moving_a_booking_from_the_portal(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    booking = book_as(world, member, 10)
    client = portal(member.user)
    detail = client.get(reverse("portal_booking", args=["alpha", booking.pk])).content.decode()
    assert 'id="cancel-form"' in detail and "move=" in detail

    # Moving: the calendar in move mode, its free slots are buttons of one form.
    html = show_calendar(client, world, move=booking.pk).content.decode()
    day = next_day_at(10).astimezone(clinic_zone()).date()
    assert f'value="{world["practitioner"].pk}|{day.isoformat()}T14:00"' in html
    # Its own time counts as free: moving it half an hour later fits; where it is now is marked.
    assert f'value="{world["practitioner"].pk}|{day.isoformat()}T10:30"' in html
    assert f'value="{world["practitioner"].pk}|{day.isoformat()}T10:00"' not in html and "portal-current" in html
    response = client.post(reverse("portal_booking_move", args=["alpha", booking.pk]),
                           {"slot": f"{world['practitioner'].pk}|{local(next_day_at(14))}"})
    assert response.status_code == 302
    booking.refresh_from_db()
    booking.appointment.refresh_from_db()
    assert booking.appointment.starts_at == next_day_at(14)
    assert f"Booking {booking.code} moved to" in client.get(response["Location"]).content.decode()

    # A taken slot: refused with the message, nothing moved.
    front_desk_booking(world, 16)
    response = client.post(reverse("portal_booking_move", args=["alpha", booking.pk]),
                           {"slot": f"{world['practitioner'].pk}|{local(next_day_at(16))}"}, follow=True)
    assert "This time was just taken" in response.content.decode()
    booking.appointment.refresh_from_db()
    assert booking.appointment.starts_at == next_day_at(14)

    response = client.post(reverse("portal_booking_cancel", args=["alpha", booking.pk]),
                           {"reason": "The patient is ill"}, follow=True)
    assert f"Booking {booking.code} was cancelled." in response.content.decode()
    booking.refresh_from_db()
    assert booking.cancelled_at is not None and booking.cancelled_by_name == member.user.full_name
    assert booking.appointment.status == "cancelled" and booking.appointment.cancel_reason == "The patient is ill"
    assert 'id="cancel-form"' not in response.content.decode()


def test_partner_a_cannot_read_cancel_or_move_partner_bs_booking(world, add_partner, portal, tenant):
    _a, member_a = add_partner("MedAsist SRL", "RO-A")
    _b, member_b = add_partner("Rusu Clinic", "RO-B")
    theirs = book_as(world, member_b, 10)
    client = portal(member_a.user)
    for clinic in ("alpha", "beta"):
        assert client.get(reverse("portal_booking", args=[clinic, theirs.pk])).status_code == 404
        assert client.post(reverse("portal_booking_cancel", args=[clinic, theirs.pk]),
                           {"reason": "mine now"}).status_code == 404
        assert client.post(reverse("portal_booking_move", args=[clinic, theirs.pk]),
                           {"slot": f"{world['practitioner'].pk}|{local(next_day_at(14))}"}).status_code == 404
        assert client.get(reverse("portal_booking_move", args=[clinic, theirs.pk])).status_code == 404
    assert show_calendar(client, world, move=theirs.pk).status_code == 404
    theirs.refresh_from_db()
    theirs.appointment.refresh_from_db()
    assert theirs.cancelled_at is None and theirs.appointment.starts_at == next_day_at(10)
