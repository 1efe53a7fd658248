"""The partner spine: adding a partner (new → registration, existing → invitation), the link's
status, booking from the portal with a reference never reused, cancelling, patient search."""

from decimal import Decimal

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from clinic.errors import DomainError
from clinic.patients.services import PatientData
from clinic.scheduling.models import Appointment
from partners.models import PartnerBooking, PatientSearch
from partners.organisations.models import ClinicLink, PartnerOrganisation, TermsAcceptance
from partners.services import (
    PartnerData,
    PartnerTerms,
    book_for_partner,
    cancel_booking,
    move_booking,
    partnership_for,
    search_patients_for_partner,
)
from tests.partners.conftest import next_day_at

pytestmark = pytest.mark.django_db


def book(world, member, hour=10, **extra):
    data = {"location": world["here"], "practitioner": world["practitioner"], "starts_at": next_day_at(hour),
            "service_ids": [world["consultation"].pk],
            "new_patient": PatientData(first_name="Ana", last_name="Ceban", phone="+37369123456")} | extra
    return book_for_partner(member, **data)


def test_a_new_partner_registers_and_accepts_the_terms_before_booking(world, add_partner, tenant):
    partnership, member = add_partner(accept=False)
    assert len(mail.outbox) == 1 and "/portal/register/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["contact@ro123.example"]
    with schema_context("public"):
        assert ClinicLink.objects.get().status == "invited"
    with pytest.raises(DomainError, match="cannot book at this clinic"):
        book(world, member)
    from partners.organisations.services import accept_terms

    acceptance = accept_terms(member)
    assert acceptance.version and acceptance.accepted_by_id == member.user_id
    with schema_context("public"):
        assert ClinicLink.objects.get().status == "active"
    booking = book(world, member)
    assert booking.reference > 0 and booking.code.startswith("P-")
    assert booking.value == Decimal("400.00") and booking.commission_percent == Decimal("10.00")
    appointment = booking.appointment
    assert appointment.source == "partner" and "MedAsist SRL" in appointment.source_detail
    assert appointment.patient.source == "partner"


def test_an_existing_partner_gets_an_invitation(world, add_partner, tenant, clinic_b, in_clinic,
                                                django_capture_on_commit_callbacks):
    from partners.organisations.services import answer_invitation
    from partners.services import add_partner as add

    _partnership, member = add_partner()
    with in_clinic(clinic_b):
        from tests.factories import LocationFactory

        location = LocationFactory()
        with django_capture_on_commit_callbacks(execute=True):
            add(PartnerData(name="Whatever", registration_number="ro123", kind="call_centre", contact_name="X",
                            contact_email="x@example.com"),
                PartnerTerms(location_ids=[location.pk]), actor=None)
    # In clinic B's language (its contact chose none on the portal), not the acting session's.
    assert clinic_b.default_language == "zh-hans" and "已将贵公司添加为合作方" in mail.outbox[-1].body
    with schema_context("public"):
        assert PartnerOrganisation.objects.count() == 1  # the same company, not a new one
        link = ClinicLink.objects.get(clinic=clinic_b)
    assert link.status == "invited"
    answer_invitation(member, link.pk, accept=True)
    with schema_context("public"):
        link.refresh_from_db()
        assert link.status == "active" and TermsAcceptance.objects.count() == 1


def test_bad_terms_are_refused_and_nothing_is_written(world, add_partner, tenant):
    from partners.services import add_partner as add

    for terms, field in [(PartnerTerms(location_ids=[]), "locations"),
                         (PartnerTerms(location_ids=[world["here"].pk], commission=True, commission_percent="150"),
                          "commission_percent"),
                         (PartnerTerms(location_ids=[world["here"].pk], commission=True, commission_percent="0"),
                          "commission_percent")]:
        with pytest.raises(DomainError) as refused:
            add(PartnerData(name="X", registration_number="R9", kind="call_centre", contact_name="X",
                            contact_email="x@r9.example"), terms, actor=None)
        assert refused.value.field == field
    with schema_context("public"):
        assert not PartnerOrganisation.objects.exists()


def test_a_partner_books_only_what_it_may(world, add_partner, tenant):
    from partners.organisations.models import PartnerUser

    _partnership, member = add_partner()
    with pytest.raises(DomainError, match="may not book this service"):
        book(world, member, service_ids=[world["mri"].pk])
    with pytest.raises(DomainError, match="may not book at this location"):
        book(world, member, location=world["there"], practitioner=world["other"])
    with pytest.raises(DomainError, match="does not search the clinic's patients"):
        book(world, member, patient=world["patient"], new_patient=None)
    with schema_context("public"):
        PartnerUser.objects.filter(pk=member.pk).update(can_book=False)
        member.refresh_from_db()
    with pytest.raises(DomainError, match="may not book"):
        book(world, member)
    assert not PartnerBooking.objects.exists() and not Appointment.objects.exists()


def test_a_taken_slot_is_refused_and_references_are_never_reused(world, add_partner, tenant):
    from clinic.scheduling.services import SlotTaken

    _partnership, member = add_partner()
    first = book(world, member, hour=10)
    with pytest.raises(SlotTaken):
        book(world, member, hour=10)
    cancel_booking(first, by_name="Irina", reason="")
    first.refresh_from_db()
    assert first.cancelled_at is not None and first.appointment.status == "cancelled"
    second = book(world, member, hour=10)  # the slot is free again; a new reference
    assert second.reference > first.reference
    moved = move_booking(member, second, starts_at=next_day_at(14))
    assert moved.reference == second.reference and moved.appointment.starts_at == next_day_at(14)
    assert PartnerBooking.objects.count() == 2


def test_patient_search_needs_access_three_characters_and_is_logged(world, add_partner, tenant):
    from tests.factories import PatientFactory

    for n in range(12):
        PatientFactory(first_name=f"Doina{n}", last_name="Grosu")
    partnership, member = add_partner(access=False)
    assert search_patients_for_partner(member, "Grosu") == []
    partnership.patient_data_access = True
    partnership.save()
    assert search_patients_for_partner(member, "Gr") == []
    found = search_patients_for_partner(member, "grosu")
    assert len(found) == 10 and set(found[0]) == {"id", "name", "birth_year"}
    assert PatientSearch.objects.get().results == 10
    booking = book(world, member, patient=world["patient"], new_patient=None)
    assert booking.appointment.patient == world["patient"]
    assert partnership_for(member) == partnership


def test_a_partner_booking_cancelled_at_the_front_desk_is_cancelled_in_the_partners_account(
        world, add_partner, tenant, django_capture_on_commit_callbacks):
    from clinic.scheduling.services import change_status

    _partnership, member = add_partner()
    booking = book(world, member)
    mail.outbox.clear()
    desk = world["manager"]
    with django_capture_on_commit_callbacks(execute=True):
        change_status(booking.appointment, "cancel", actor=desk, reason="Patient called the clinic")
    booking.refresh_from_db()
    assert booking.cancelled_at is not None and booking.cancelled_by_name == (desk.full_name or desk.email)
    assert len(mail.outbox) == 1 and booking.code in mail.outbox[0].subject
    body = mail.outbox[0].body  # who cancelled, why, and which appointment with which services
    assert "Patient called the clinic" in body and "Consultation" in body and "Cancelled by" in body


def test_a_partner_booking_moved_at_the_front_desk_mails_the_partner_once(
        world, add_partner, tenant, client_for, django_capture_on_commit_callbacks):
    """The front desk's "move" (scheduling's reschedule) publishes AppointmentChanged like the
    portal's move; partners hears it and the partner's contact gets the "moved" mail."""
    from django.urls import reverse

    from clinic.scheduling.availability import clinic_zone

    _partnership, member = add_partner()
    booking = book(world, member, hour=10)
    mail.outbox.clear()
    moved_to = next_day_at(14).astimezone(clinic_zone())
    client = client_for(world["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("appointment_reschedule", args=[booking.appointment.pk]), {
            "day": moved_to.date().isoformat(), "time": moved_to.strftime("%H:%M"),
            "practitioner": world["practitioner"].pk, "location": world["here"].pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.appointment.starts_at == next_day_at(14) and booking.cancelled_at is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["contact@ro123.example"]
    assert mail.outbox[0].subject == f"Booking {booking.code} moved"
    assert moved_to.strftime("%H:%M") in mail.outbox[0].body


def test_the_appointment_change_event_carries_before_after_actor_and_kind(world, tenant):
    """Every change publishes one AppointmentChanged: booked, each transition, moved, cancelled."""
    from clinic.scheduling import events
    from clinic.scheduling.events import Change
    from clinic.scheduling.services import book_appointment, change_status, reschedule_appointment

    heard = []
    events.subscribe(heard.append)
    try:
        desk = world["manager"]
        appointment = book_appointment(actor=desk, patient=world["patient"], location=world["here"],
                                       practitioner=world["practitioner"], starts_at=next_day_at(10),
                                       service_ids=[world["consultation"].pk])
        change_status(appointment, "confirm", actor=desk)
        reschedule_appointment(appointment, actor=desk, starts_at=next_day_at(11))
        change_status(appointment, "cancel", actor=desk, reason="Called")
    finally:
        events.subscribers.unregister(heard.append)
    assert [event.kind for event in heard] == [Change.BOOKED, Change.CONFIRMED, Change.MOVED, Change.CANCELLED]
    assert heard[0].before is None and all(event.actor == desk for event in heard)
    assert heard[1].before.status == "booked" and heard[1].after.status == "confirmed"
    assert heard[2].before.starts_at == next_day_at(10) and heard[2].after.starts_at == next_day_at(11)
    assert heard[3].before.status == "booked" and heard[3].after.status == "cancelled"


def test_a_partner_removed_while_booking_books_nothing(world, add_partner, tenant, monkeypatch):
    """The checks are made again under the partnership's lock, in the booking's transaction:
    a partner removed (or a channel closed) after the first check books nothing."""
    import partners.services as services
    from partners.services import remove_partner

    partnership, member = add_partner()
    stale = services.partnership_for(member)
    remove_partner(partnership, actor=world["manager"])
    monkeypatch.setattr(services, "partnership_for", lambda member: stale)
    with pytest.raises(DomainError, match="cannot book at this clinic"):
        book(world, member)
    assert not PartnerBooking.objects.exists() and not Appointment.objects.exists()


def test_a_channel_closed_while_booking_books_nothing(world, add_partner, tenant, monkeypatch):
    import partners.services as services

    partnership, member = add_partner()
    stale = services.partnership_for(member)
    monkeypatch.setattr(services, "partnership_for", lambda member: stale)
    monkeypatch.setattr(services, "_check_booking", _checked_once(services._check_booking))
    partnership.services.remove(world["consultation"])
    with pytest.raises(DomainError, match="may not book this service"):
        book(world, member)
    assert not PartnerBooking.objects.exists() and not Appointment.objects.exists()


def _checked_once(check):
    """The first check (before the transaction) passes as if the channel were still open."""
    calls = []

    def checking(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            check(*args, **kwargs)

    return checking


def test_a_partner_cannot_cancel_or_move_an_appointment_that_has_begun(world, add_partner, tenant):
    from datetime import timedelta

    from django.utils import timezone

    from partners.services import cancel_booking_for_partner

    _partnership, member = add_partner()
    booking = book(world, member)
    Appointment.objects.filter(pk=booking.appointment_id).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(minutes=25))
    booking.refresh_from_db()
    with pytest.raises(DomainError, match="has begun or is over"):
        cancel_booking_for_partner(member, booking, reason="Too late")
    with pytest.raises(DomainError, match="has begun or is over"):
        move_booking(member, booking, starts_at=next_day_at(15))
    booking.refresh_from_db()
    assert booking.cancelled_at is None and booking.appointment.status == "booked"


def test_a_booking_paid_at_the_partner_charges_the_booked_services_to_the_partner(world, add_partner, tenant):
    from billing import ledger
    from billing.forms import LineForm
    from billing.services import add_line, open_visit
    from tests.factories import arrive

    _partnership, member = add_partner(payment_place="partner")
    booking = book(world, member)
    assert booking.payer.kind == "partner" and booking.payer.patient_id == booking.appointment.patient_id
    appointment = arrive(booking.appointment, actor=world["manager"])
    visit = open_visit(patient=appointment.patient, location=None, actor=world["manager"], appointment=appointment)
    assert [line.payer for line in visit.lines.all()] == [booking.payer]  # the booked service, to the partner
    assert ledger.visit_due(visit, booking.payer) == Decimal("400.00")
    assert ledger.balance(appointment.patient) == Decimal("0.00")  # the patient paid at the partner
    # A service added at the clinic is not the partner's: the patient's, unless the desk chooses.
    form = LineForm(visit=visit)
    assert form.fields["payer"].initial is None and booking.payer in form.fields["payer"].queryset
    add_line(visit, service=world["ecg"], actor=world["manager"])
    assert ledger.visit_due(visit, booking.payer) == Decimal("400.00")
    assert ledger.balance(appointment.patient) == Decimal("150.00")

    _other, clinic_paid = add_partner("Rusu Clinic", "RO-CL", payment_place="clinic")
    assert book(world, clinic_paid, hour=12).payer is None


def test_the_commission_percent_is_rounded_half_up(world, tenant):
    from partners.services import _check_terms

    _locations, percent = _check_terms(PartnerTerms(location_ids=[world["here"].pk], commission=True,
                                                    commission_percent="12.345"))
    assert percent == Decimal("12.35")


def test_a_cancellation_is_in_the_audit_trail(world, add_partner, tenant):
    from auditlog.models import LogEntry

    _partnership, member = add_partner()
    booking = book(world, member)
    cancel_booking(booking, by_name="Irina", reason="")
    entry = LogEntry.objects.get_for_object(booking).filter(action=LogEntry.Action.UPDATE).get()
    assert "cancelled_at" in entry.changes_dict and entry.actor is None  # a partner user is not a clinic user
