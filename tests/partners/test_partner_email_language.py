"""A partner company's e-mails are written in its contact person's language — the one they last chose
on the portal — else the clinic's; never in the language of whoever acted."""

import pytest
from django.core import mail
from django.utils import translation

from partners.services import cancel_booking
from tests.partners.test_partner_reports import book, portal_url

pytestmark = pytest.mark.django_db


def test_without_a_choice_the_emails_are_in_the_clinics_language(world, add_partner, tenant,
                                                                  django_capture_on_commit_callbacks):
    _partnership, member = add_partner()
    assert tenant.default_language == "en"
    mail.outbox.clear()
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):  # a Russian-speaking actor
        booking = book(world, member)
    assert mail.outbox[-1].subject == f"Booking {booking.code} confirmed"


def test_the_contacts_choice_on_the_portal_is_the_language_of_the_companys_emails(
        world, add_partner, portal, tenant, django_capture_on_commit_callbacks):
    from django.db import connection

    _partnership, member = add_partner()
    client = portal(member.user)
    client.cookies["django_language"] = "ro"
    assert client.get(portal_url("portal_home")).status_code == 200  # the portal remembers the choice
    member.user.refresh_from_db()  # in the public schema, where partner users are
    assert member.user.language == "ro"
    connection.set_tenant(tenant)  # the request left the connection on the portal's (public) schema
    mail.outbox.clear()
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        booking = book(world, member)
        cancel_booking(booking, by_name="Recepția", reason="Doctor ill", actor=world["manager"])
    assert [message.subject for message in mail.outbox] == [
        f"Programarea {booking.code} este confirmată", f"Programarea {booking.code} a fost anulată"]
    assert "Programarea" in mail.outbox[0].body or booking.code in mail.outbox[0].body
