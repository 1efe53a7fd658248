"""A partner's booking sent twice (a double click, a proxy's retry, back-and-resubmit) is one
booking with one confirmation: the repetition gets the first answer, not "This time was just taken"."""

import uuid

import pytest
from django_tenants.utils import schema_context, tenant_context

from clinic.reliability.models import OutboxMessage
from clinic.scheduling.models import Appointment
from partners.models import PartnerBooking
from tests.partners.test_portal_booking import booking_post, reverse

pytestmark = pytest.mark.django_db


def test_a_partner_booking_sent_twice_is_one_booking_and_one_message(world, add_partner, portal, tenant):
    _partnership, member = add_partner()
    client = portal(member.user)
    with schema_context("public"):
        promised_before = OutboxMessage.objects.count()
    data = booking_post(world) | {"idempotency_key": str(uuid.uuid4())}
    first = client.post(reverse("portal_booking_new"), data, HTTP_HX_REQUEST="true")
    with schema_context("public"):
        promised_once = OutboxMessage.objects.count()
    again = client.post(reverse("portal_booking_new"), data, HTTP_HX_REQUEST="true")
    assert first.status_code == again.status_code == 204
    assert again["HX-Redirect"] == first["HX-Redirect"] and again["Idempotent-Replayed"] == "true"
    with tenant_context(tenant):
        booking = PartnerBooking.objects.get()
        assert Appointment.objects.filter(starts_at=booking.appointment.starts_at).count() == 1
    with schema_context("public"):
        # The confirmation the booking promised (its mail) is promised once.
        assert OutboxMessage.objects.count() == promised_once > promised_before
    page = client.get(first["HX-Redirect"]).content.decode()
    assert page.count(f"Booked. Your reference is {booking.code}.") == 1
    assert "This time was just taken" not in page


def test_the_booking_dialog_is_issued_with_a_key(world, add_partner, portal, tenant):
    from tests.partners.conftest import next_day_at
    from tests.partners.test_portal_booking import local

    _partnership, member = add_partner()
    dialog = portal(member.user).get(reverse("portal_booking_new"), {
        "clinic": "alpha", "location": world["here"].pk, "practitioner": world["practitioner"].pk,
        "start": local(next_day_at(15)), "service": world["consultation"].pk}, HTTP_HX_REQUEST="true")
    assert 'name="idempotency_key"' in dialog.content.decode()


def test_a_key_refused_with_a_403_or_404_before_acting_may_be_used_again(world, add_partner, portal, tenant,
                                                                         clinic_b):
    """A refusal before acting (not allowed to book yet, a clinic not linked) keeps nothing for the
    key: the same form, sent again once allowed or corrected, books (it is not told "403" again)."""
    from tests.partners.test_portal_booking import set_member

    _partnership, member = add_partner()
    set_member(member, can_book=False)
    used = str(uuid.uuid4())
    client = portal(member.user)
    assert client.post(reverse("portal_booking_new"), booking_post(world) | {"idempotency_key": used},
                       HTTP_HX_REQUEST="true").status_code == 403
    assert client.post(reverse("portal_booking_new"), booking_post(world, clinic="beta") | {"idempotency_key": used},
                       HTTP_HX_REQUEST="true").status_code == 403
    set_member(member, can_book=True)
    assert client.post(reverse("portal_booking_new"), booking_post(world, clinic="beta") | {"idempotency_key": used},
                       HTTP_HX_REQUEST="true").status_code == 404
    booked = client.post(reverse("portal_booking_new"), booking_post(world) | {"idempotency_key": used},
                         HTTP_HX_REQUEST="true")
    assert booked.status_code == 204 and "Idempotent-Replayed" not in booked
    with tenant_context(tenant):
        assert PartnerBooking.objects.count() == 1
    # Once it has acted, the key answers with what it did.
    again = client.post(reverse("portal_booking_new"), booking_post(world) | {"idempotency_key": used},
                        HTTP_HX_REQUEST="true")
    assert again.status_code == 204 and again["Idempotent-Replayed"] == "true"
