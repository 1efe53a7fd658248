"""The front desk's order work (seed 000, sections 四, 五, 十一, 十二, 十三): confirming an order
(the patient created from the order or bound, the appointment booked, in one transaction), a
patient bound later, a no-show re-confirmed on the real visit day, a cancellation that
un-registers an arrived patient first; and the pages: the list, awaiting confirmation, the
badge, the order with its history, the dialogs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.errors import DomainError
from clinic.patients.models import Patient, PhoneRelation
from clinic.scheduling.models import Appointment, Status
from clinic.scheduling.services import SlotTaken, book_appointment, change_status
from platforms import orders, services
from platforms.models import ChannelStock, OrderStatus
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    open_every_day,
)
from tests.platform_factories import PlatformFactory, make_order, product_with

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Europe/Bucharest")  # clinic alpha's
NOW = datetime(2030, 6, 3, 8, 0, tzinfo=ZONE)  # a Monday morning
PHONE = "+8613800138000"


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return (NOW + timedelta(days=day_offset)).replace(hour=hour, minute=minute)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk_setup(tenant, clock):
    location, practitioner = LocationFactory(), PractitionerFactory(full_name="Dr Wang")
    open_every_day(location, practitioner)
    check = ServiceFactory(code="CHK", name="Check-up", duration_minutes=30)
    clean = ServiceFactory(code="CLN", name="Cleaning", duration_minutes=30)
    product = product_with({"CHK": 1, "cln": 1}, platform=PlatformFactory(name="Insurer benefits"), name="Check-up and cleaning")
    services.set_stock(product, 5, actor=None)
    return {"location": location, "practitioner": practitioner, "product": product, "services": [check, clean]}


@pytest.fixture
def desk(make_user):
    return make_user("front_desk")


def confirm(order, desk, setup, *, starts_at=None, **kwargs):
    return orders.confirm_order(order, actor=desk, location=setup["location"], practitioner=setup["practitioner"],
                                starts_at=starts_at or at(1, 10), **kwargs)


# --- the customer's name --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "split"), [
    ("Anna Popescu", ("Anna", "Popescu")), ("李伟", ("伟", "李")), ("欧阳娜娜", ("娜娜", "欧阳")),
    ("  Maria  Elena   Rusu ", ("Maria Elena", "Rusu")), ("Madonna", ("", "Madonna")),
])
def test_the_platforms_name_is_split_as_people_write_it(name, split):
    assert orders.split_name(name) == split


# --- confirm ----------------------------------------------------------------------------------------


def test_confirming_creates_the_patient_from_the_order_and_books_the_package(desk_setup, desk):
    order = make_order(desk_setup["product"], customer_name="王芳", customer_phone="+86 138-0013-8000")
    confirm(order, desk, desk_setup)
    order.refresh_from_db()
    patient, appointment = order.patient, order.appointment
    assert (patient.first_name, patient.last_name, patient.phone, patient.source) == ("芳", "王", "+8613800138000",
                                                                                    "platform")
    assert patient.phone_relation == PhoneRelation.SELF
    assert (appointment.patient, appointment.source, appointment.starts_at, appointment.ends_at) == (
        patient, "platform", at(1, 10), at(1, 11))
    assert [s.code for s in appointment.services.all()] == ["CHK", "CLN"]  # the product's codes, any case
    assert order.number in appointment.source_detail
    assert order.status == OrderStatus.CONFIRMED
    event = order.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor) == ("confirmed", "new", "confirmed", desk)
    assert (order.payer.kind, order.payer.patient) == ("platform_order", patient)


def test_a_second_order_with_the_phone_and_another_name_gets_a_new_patient_related_other(desk_setup, desk):
    first = make_order(desk_setup["product"], customer_name="Li Wei", customer_phone=PHONE)
    confirm(first, desk, desk_setup)
    second = make_order(desk_setup["product"], customer_name="Li Na", customer_phone=PHONE)
    confirm(second, desk, desk_setup, starts_at=at(1, 11))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.patient != first.patient
    assert (second.patient.full_name, second.patient.phone) == ("Li Na", PHONE)
    assert (second.patient.phone_relation, second.patient.phone_owner) == (PhoneRelation.OTHER, first.patient)


def test_the_same_name_and_phone_offers_that_patient_and_changes_nothing(desk_setup, desk):
    known = PatientFactory(first_name="Wei", last_name="Li", phone=PHONE)
    order = make_order(desk_setup["product"], customer_name="Li Wei", customer_phone=PHONE)
    with pytest.raises(orders.SamePersonFound) as offered:
        confirm(order, desk, desk_setup)
    assert offered.value.patients == [known]
    order.refresh_from_db()
    assert (order.status, order.patient, Patient.objects.count(), Appointment.objects.count()) == ("new", None, 1, 0)
    confirm(order, desk, desk_setup, patient=known)
    order.refresh_from_db()
    assert (order.status, order.patient, order.appointment.patient) == ("confirmed", known, known)


def test_another_person_of_the_same_name_may_be_created_on_purpose(desk_setup, desk):
    known = PatientFactory(first_name="Wei", last_name="Li", phone=PHONE)
    order = make_order(desk_setup["product"], customer_name="Li Wei", customer_phone=PHONE)
    confirm(order, desk, desk_setup, another_person=True)
    order.refresh_from_db()
    assert order.patient != known
    assert (order.patient.phone_owner, order.patient.phone_relation) == (known, PhoneRelation.OTHER)


def test_a_taken_slot_is_refused_and_leaves_no_patient_and_the_order_new(desk_setup, desk):
    other = PatientFactory()
    book_appointment(actor=desk, patient=other, location=desk_setup["location"],
                     practitioner=desk_setup["practitioner"], starts_at=at(1, 10, 30),
                     service_ids=[desk_setup["services"][0].pk])
    order = make_order(desk_setup["product"])
    patients = Patient.objects.count()
    with pytest.raises(SlotTaken):
        confirm(order, desk, desk_setup)
    order.refresh_from_db()
    assert (order.status, order.patient, order.appointment, Patient.objects.count()) == ("new", None, None, patients)
    assert list(order.events.values_list("action", flat=True)) == ["received"]


def test_the_database_refuses_a_double_booking_that_got_past_the_check(desk_setup, desk, monkeypatch):
    # Two desks looked at the same free slot: the check passed for both; the exclusion constraint decides.
    from clinic.scheduling import services as scheduling

    other = PatientFactory()
    book_appointment(actor=desk, patient=other, location=desk_setup["location"],
                     practitioner=desk_setup["practitioner"], starts_at=at(1, 10),
                     service_ids=[desk_setup["services"][0].pk])
    monkeypatch.setattr(scheduling, "_check_slot", lambda **kwargs: None)
    order = make_order(desk_setup["product"])
    with pytest.raises(SlotTaken, match="just taken"):
        confirm(order, desk, desk_setup)
    order.refresh_from_db()
    assert (order.status, order.patient) == ("new", None)


def test_only_a_new_order_is_confirmed_and_the_price_list_must_have_its_services(desk_setup, desk):
    order = make_order(desk_setup["product"], status=OrderStatus.CANCELLED)
    with pytest.raises(DomainError, match="cancelled: only an order awaiting confirmation"):
        confirm(order, desk, desk_setup)
    unknown = make_order(product_with({"XRAY": 1}, platform=desk_setup["product"].platform))
    with pytest.raises(DomainError, match="no service with the code XRAY"):
        confirm(unknown, desk, desk_setup)
    unknown.refresh_from_db()
    assert (unknown.status, Appointment.objects.count()) == ("new", 0)


def test_a_new_patient_needs_both_names(desk_setup, desk):
    order = make_order(desk_setup["product"], customer_name="Madonna")
    with pytest.raises(DomainError, match="first and last name"):
        confirm(order, desk, desk_setup)


# --- bind later ----------------------------------------------------------------------------------------


def test_a_patient_registered_elsewhere_is_bound_later_with_their_appointment(desk_setup, desk):
    patient = PatientFactory(first_name="Wei", last_name="Li")
    appointment = book_appointment(actor=desk, patient=patient, location=desk_setup["location"],
                                   practitioner=desk_setup["practitioner"], starts_at=at(2, 9),
                                   service_ids=[desk_setup["services"][0].pk])
    order = make_order(desk_setup["product"])
    orders.bind_patient(order, patient, actor=desk)
    assert (order.status, order.patient, order.payer.patient) == ("new", patient, patient)
    orders.bind_patient(order, patient, actor=desk, appointment=appointment)
    assert (order.status, order.appointment) == ("confirmed", appointment)
    assert list(order.events.values_list("action", "to_status")) == [
        ("received", "new"), ("bound", "new"), ("bound", "confirmed")]


def test_binding_refuses_a_redeemed_order_and_another_patients_appointment(desk_setup, desk):
    patient, stranger = PatientFactory(), PatientFactory()
    appointment = book_appointment(actor=desk, patient=stranger, location=desk_setup["location"],
                                   practitioner=desk_setup["practitioner"], starts_at=at(2, 9),
                                   service_ids=[desk_setup["services"][0].pk])
    order = make_order(desk_setup["product"])
    with pytest.raises(DomainError, match="another patient's"):
        orders.bind_patient(order, patient, actor=desk, appointment=appointment)
    confirm(order, desk, desk_setup)
    order.refresh_from_db()
    with pytest.raises(DomainError, match="appointment is"):
        orders.bind_patient(order, patient, actor=desk)  # the appointment stays its patient's
    done = make_order(desk_setup["product"], status=OrderStatus.REFUNDED)
    with pytest.raises(DomainError, match="only before redemption"):
        orders.bind_patient(done, patient, actor=desk)


# --- no-shows ---------------------------------------------------------------------------------------------


def test_a_no_show_is_reconfirmed_with_the_appointment_moved_to_the_real_day(desk_setup, desk, clock):
    order = make_order(desk_setup["product"])
    confirm(order, desk, desk_setup)
    order.refresh_from_db()
    clock.move_to(at(1, 12))
    change_status(order.appointment, "no_show", actor=desk)
    orders.reconfirm_order(order, actor=desk, starts_at=at(3, 14))
    appointment = order.appointment
    appointment.refresh_from_db()
    assert (order.status, appointment.status, appointment.starts_at) == ("confirmed", Status.BOOKED, at(3, 14))
    event = order.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "reconfirmed", "confirmed", "confirmed", desk)
    assert event.details["was"]["starts_at"] != event.details["appointment"]["starts_at"]
    assert "→" in event.text


def test_the_history_reads_in_the_readers_language_whoever_wrote_it(desk_setup, desk, clock):
    """A confirmation made on a Romanian page is read on a Chinese one with Chinese dates
    (2030-06-04, not 04.06.2030): the event keeps the appointment as data and writes it out
    when read."""
    from django.utils import translation

    order = make_order(desk_setup["product"])
    with translation.override("ro"):
        confirm(order, desk, desk_setup)
    order.refresh_from_db()
    event = order.events.get(action="confirmed")
    assert event.note == "" and set(event.details) == {"appointment"}
    with translation.override("zh-hans"):
        chinese = event.text
    with translation.override("ro"):
        romanian = event.text
    assert chinese != romanian and order.appointment.practitioner.full_name in chinese
    from django.utils.formats import date_format

    from clinic.periods import clinic_zone

    local = order.appointment.starts_at.astimezone(clinic_zone())
    with translation.override("zh-hans"):
        assert date_format(local, "SHORT_DATETIME_FORMAT") in chinese


def test_reconfirming_refuses_a_taken_time_and_an_order_not_confirmed(desk_setup, desk, clock):
    order = make_order(desk_setup["product"])
    confirm(order, desk, desk_setup)
    blocker = make_order(desk_setup["product"], customer_name="Zhang San", customer_phone="+8613900139000")
    confirm(blocker, desk, desk_setup, starts_at=at(3, 14))
    order.refresh_from_db()
    with pytest.raises(SlotTaken):
        orders.reconfirm_order(order, actor=desk, starts_at=at(3, 14))
    order.appointment.refresh_from_db()
    assert order.appointment.starts_at == at(1, 10)
    assert order.events.last().action == "confirmed"
    with pytest.raises(DomainError, match="only a confirmed order"):
        orders.reconfirm_order(make_order(desk_setup["product"]), actor=desk, starts_at=at(3, 15))


def test_an_order_whose_appointment_was_cancelled_gets_a_new_one(desk_setup, desk):
    order = make_order(desk_setup["product"])
    confirm(order, desk, desk_setup)
    order.refresh_from_db()
    old = order.appointment
    change_status(old, "cancel", actor=desk, reason="Called to move it")
    orders.reconfirm_order(order, actor=desk, starts_at=at(2, 9))
    assert order.appointment != old
    assert (order.appointment.starts_at, order.appointment.source, order.appointment.patient) == (
        at(2, 9), "platform", order.patient)


# --- cancel -------------------------------------------------------------------------------------------------


def test_an_arrived_patient_is_unregistered_then_the_order_cancelled_and_stock_returned(desk_setup, desk, clock):
    order = make_order(desk_setup["product"])
    confirm(order, desk, desk_setup, starts_at=at(0, 10))
    stock = ChannelStock.objects.get(product=desk_setup["product"]).available
    order.refresh_from_db()
    clock.move_to(at(0, 10, 5))
    change_status(order.appointment, "arrive", actor=desk)
    orders.cancel_order(order, actor=desk, reason="Cannot be treated today")
    order.appointment.refresh_from_db()
    assert (order.status, order.closed_reason, order.appointment.status) == (
        "cancelled", "Cannot be treated today", Status.CANCELLED)
    assert ChannelStock.objects.get(product=desk_setup["product"]).available == stock + 1
    event = order.events.last()
    assert (event.action, event.from_status, event.actor, event.note) == (
        "cancelled", "confirmed", desk, "Cannot be treated today")
    from auditlog.models import LogEntry

    statuses = [e.changes.get("status") for e in LogEntry.objects.get_for_object(order.appointment).order_by("id")
                if "status" in (e.changes or {})]
    assert statuses[-2:] == [["arrived", "confirmed"], ["confirmed", "cancelled"]]  # un-registered first


def test_cancelling_needs_a_reason_and_refuses_a_begun_treatment_and_a_finished_order(desk_setup, desk, clock):
    order = make_order(desk_setup["product"])
    with pytest.raises(DomainError, match="reason"):
        orders.cancel_order(order, actor=desk, reason="  ")
    assert order.events.count() == 1
    confirm(order, desk, desk_setup, starts_at=at(0, 10))
    order.refresh_from_db()
    clock.move_to(at(0, 10, 5))
    change_status(order.appointment, "arrive", actor=desk)
    change_status(order.appointment, "start", actor=desk)
    with pytest.raises(DomainError, match="treatment has begun"):
        orders.cancel_order(order, actor=desk, reason="Changed mind")
    order.refresh_from_db()
    assert order.status == "confirmed"
    done = make_order(desk_setup["product"], status=OrderStatus.CANCELLED)
    with pytest.raises(DomainError, match="can no longer be cancelled"):
        orders.cancel_order(done, actor=desk, reason="Twice")


def test_a_new_order_is_cancelled_without_an_appointment(desk_setup, desk):
    order = make_order(desk_setup["product"])
    orders.cancel_order(order, actor=desk, reason="Duplicate purchase")
    assert order.status == "cancelled"


# --- the pages -------------------------------------------------------------------------------------------------


def test_the_list_filters_on_the_server_and_pages_in_a_fixed_number_of_queries(desk_setup, desk, client_for,
                                                                                django_assert_max_num_queries):
    product = desk_setup["product"]
    other = product_with({"CHK": 1}, name="Voucher", kind="cash_voucher")
    for index in range(12):
        make_order(product, received_at=at(-10 + index, 9), customer_name=f"Customer {index}",
                   status=OrderStatus.NEW if index % 2 else OrderStatus.CANCELLED)
    make_order(other, received_at=at(-1, 9), customer_name="Voucher buyer")
    client = client_for(desk)
    with django_assert_max_num_queries(17):
        page = client.get("/platform-orders/").content.decode()
    assert page.count('href="/platform-orders/') >= 13 and "13 orders" in page
    with django_assert_max_num_queries(17):
        client.get("/platform-orders/?page=1&status=new")
    by_platform = client.get(f"/platform-orders/?platform={other.platform_id}").content.decode()
    assert "Voucher buyer" in by_platform and "Customer 1" not in by_platform
    by_status = client.get("/platform-orders/?status=cancelled").content.decode()
    assert "Customer 0" in by_status and "Customer 1<" not in by_status and "6 orders" in by_status
    by_product = client.get(f"/platform-orders/?product={other.pk}").content.decode()
    assert "1 order" in by_product
    first = at(-10, 0).date().isoformat()
    by_period = client.get(f"/platform-orders/?first={first}&last={first}").content.decode()
    assert "Customer 0" in by_period and "1 order" in by_period
    refused = client.get(f"/platform-orders/?first={first}&last=2000-01-01").content.decode()
    assert "The last day comes before the first." in refused


def test_awaiting_confirmation_lists_only_new_orders(desk_setup, desk, client_for):
    make_order(desk_setup["product"], customer_name="Waiting Person")
    make_order(desk_setup["product"], customer_name="Cancelled Person", status=OrderStatus.CANCELLED)
    page = client_for(desk).get("/platform-orders/awaiting/?status=cancelled").content.decode()
    assert "Waiting Person" in page and "Cancelled Person" not in page


def test_the_badge_counts_new_orders_and_stops_polling_when_signed_out(desk_setup, desk, client_for):
    make_order(desk_setup["product"])
    make_order(desk_setup["product"])
    make_order(desk_setup["product"], status=OrderStatus.CANCELLED)
    response = client_for(desk).get("/platform-orders/badge/", HTTP_HX_REQUEST="true")
    assert 'data-count="2"' in response.content.decode()
    assert 'hx-trigger="every 30s"' in response.content.decode()
    assert client_for(None).get("/platform-orders/badge/").status_code == 286
    home = client_for(desk).get("/").content.decode()
    assert 'id="order-badge"' in home and "load, every 30s" in home


def test_the_order_shows_the_customer_the_patient_the_appointment_and_its_history(desk_setup, desk, client_for):
    order = make_order(desk_setup["product"], customer_name="王芳", customer_phone=PHONE)
    confirm(order, desk, desk_setup)
    page = client_for(desk).get(f"/platform-orders/{order.pk}/").content.decode()
    assert "王芳" in page and "CHK × 1" in page
    history = page.split('id="order-history"')[1]
    assert "Received" in history and "Confirmed" in history and desk.full_name in history
    assert "03.06.2030 08:00" in history  # who and when, in the language's short date-time format


def test_confirming_in_the_dialog_creates_the_patient_and_books_the_slot_chosen(desk_setup, desk, client_for):
    order = make_order(desk_setup["product"], customer_name="Anna Popescu", customer_phone=PHONE)
    client = client_for(desk)
    dialog = client.get(f"/platform-orders/{order.pk}/confirm/", HTTP_HX_REQUEST="true").content.decode()
    assert 'value="Anna"' in dialog and 'value="Popescu"' in dialog
    slot = f'{desk_setup["practitioner"].pk}|{desk_setup["location"].pk}|{at(0, 9):%Y-%m-%dT%H:%M}'
    assert f'value="{slot}"' in dialog  # the first free slot from now: today at 09:00
    refused = client.post(f"/platform-orders/{order.pk}/confirm/", {"patient": "new", "first_name": "Anna",
                                                                     "last_name": "Popescu", "phone": PHONE},
                          HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "Choose a free slot." in refused.content.decode()
    response = client.post(f"/platform-orders/{order.pk}/confirm/", {
        "patient": "new", "first_name": "Anna", "last_name": "Popescu", "phone": PHONE, "slot": slot},
        HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == f"/platform-orders/{order.pk}/"
    order.refresh_from_db()
    assert (order.status, order.patient.full_name, order.appointment.starts_at) == ("confirmed", "Anna Popescu",
                                                                                   at(0, 9))


def test_the_dialog_offers_the_patient_of_the_same_name_and_binds_them(desk_setup, desk, client_for):
    known = PatientFactory(first_name="Anna", last_name="Popescu", phone=PHONE)
    order = make_order(desk_setup["product"], customer_name="Anna Popescu", customer_phone=PHONE)
    client = client_for(desk)
    slot = f'{desk_setup["practitioner"].pk}|{desk_setup["location"].pk}|{at(1, 9):%Y-%m-%dT%H:%M}'
    offered = client.post(f"/platform-orders/{order.pk}/confirm/", {
        "patient": "new", "first_name": "Anna", "last_name": "Popescu", "phone": PHONE, "slot": slot},
        HTTP_HX_REQUEST="true")
    assert offered.status_code == 200 and 'id="same-person"' in offered.content.decode()
    assert f'id="candidate-{known.pk}"' in offered.content.decode()
    client.post(f"/platform-orders/{order.pk}/confirm/", {"patient": str(known.pk), "slot": slot},
                HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert (order.status, order.patient) == ("confirmed", known)


def test_the_dialog_finds_patients_by_name_too(desk_setup, desk, client_for):
    PatientFactory(first_name="Ioana", last_name="Searchable", phone="+37369000001")
    order = make_order(desk_setup["product"])
    found = client_for(desk).get(f"/platform-orders/{order.pk}/confirm/?part=patients&q=Searchable",
                                 HTTP_HX_REQUEST="true").content.decode()
    assert "Ioana Searchable" in found


def test_binding_reconfirming_and_cancelling_in_their_dialogs(desk_setup, desk, client_for, clock):
    client = client_for(desk)
    patient = PatientFactory(first_name="Registered", last_name="Elsewhere")
    order = make_order(desk_setup["product"])
    found = client.get(f"/platform-orders/{order.pk}/bind/?q=Elsewhere", HTTP_HX_REQUEST="true").content.decode()
    assert "Registered Elsewhere" in found
    response = client.post(f"/platform-orders/{order.pk}/bind/", {"patient": patient.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    order.refresh_from_db()
    assert order.patient == patient and order.events.last().action == "bound"

    booked = make_order(desk_setup["product"], customer_name="No Show", customer_phone="+8613900139000")
    confirm(booked, desk, desk_setup)
    booked.refresh_from_db()
    clock.move_to(at(1, 12))
    change_status(booked.appointment, "no_show", actor=desk)
    client = client_for(desk)  # the next day: a new session
    slot = f'{desk_setup["practitioner"].pk}|{desk_setup["location"].pk}|{at(2, 15):%Y-%m-%dT%H:%M}'
    assert "Re-confirm" in client.get(f"/platform-orders/{booked.pk}/reconfirm/").content.decode()
    response = client.post(f"/platform-orders/{booked.pk}/reconfirm/", {"slot": slot}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    booked.appointment.refresh_from_db()
    assert booked.appointment.starts_at == at(2, 15)

    refused = client.post(f"/platform-orders/{booked.pk}/cancel/", {"reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    response = client.post(f"/platform-orders/{booked.pk}/cancel/", {"reason": "Moved away"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    booked.refresh_from_db()
    assert (booked.status, booked.closed_reason) == ("cancelled", "Moved away")


def test_the_patient_page_shows_the_patients_platform_orders(desk_setup, desk, client_for):
    order = make_order(desk_setup["product"], customer_name="Anna Popescu", customer_phone=PHONE)
    confirm(order, desk, desk_setup)
    order.refresh_from_db()
    page = client_for(desk).get(f"/patients/{order.patient.pk}/").content.decode()
    assert 'id="patient-platform-orders"' in page and order.number in page
    from tests.factories import make_staff

    doctor_page = client_for(make_staff("doctor")).get(
        f"/patients/{order.patient.pk}/").content.decode()
    assert 'id="patient-platform-orders"' not in doctor_page


VIEWS = [
    ("get", "/platform-orders/", None), ("get", "/platform-orders/awaiting/", None),
    ("get", "/platform-orders/badge/", None), ("get", "/platform-orders/{pk}/", None),
    ("get", "/platform-orders/{pk}/slots/", "change"), ("get", "/platform-orders/{pk}/confirm/", "change"),
    ("post", "/platform-orders/{pk}/confirm/", "change"), ("get", "/platform-orders/{pk}/bind/", "change"),
    ("post", "/platform-orders/{pk}/bind/", "change"), ("get", "/platform-orders/{pk}/reconfirm/", "change"),
    ("post", "/platform-orders/{pk}/reconfirm/", "change"), ("get", "/platform-orders/{pk}/cancel/", "cancel"),
    ("post", "/platform-orders/{pk}/cancel/", "cancel"),
]


@pytest.mark.parametrize(("method", "url", "needs"), VIEWS)
def test_a_role_without_the_permission_is_refused(desk_setup, make_user, client_for, method, url, needs):
    order = make_order(desk_setup["product"])
    doctor, finance = make_user("doctor"), make_user("finance")
    url = url.format(pk=order.pk)
    assert getattr(client_for(doctor), method)(url).status_code == 403
    if needs:  # finance reads orders, and changes none
        assert getattr(client_for(finance), method)(url).status_code == 403
    else:
        assert getattr(client_for(finance), method)(url).status_code == 200
    order.refresh_from_db()
    assert order.status == "new"


@pytest.mark.parametrize(("method", "url", "needs"), [v for v in VIEWS if "{pk}" in v[1]])
def test_another_clinics_order_is_a_404(desk_setup, desk, client_for, clinic_b, in_clinic, method, url, needs):
    with in_clinic(clinic_b):
        theirs = make_order(product_with({"CHK": 1}))
    from platforms.models import PlatformOrder

    assert not PlatformOrder.objects.filter(pk=theirs.pk).exists()
    assert getattr(client_for(desk), method)(url.format(pk=theirs.pk)).status_code == 404


def test_a_no_show_may_be_cancelled_instead(desk_setup, desk, clock):
    order = make_order(desk_setup["product"])
    confirm(order, desk, desk_setup)
    order.refresh_from_db()
    clock.move_to(at(1, 12))
    change_status(order.appointment, "no_show", actor=desk)
    orders.cancel_order(order, actor=desk, reason="Will not come")
    order.appointment.refresh_from_db()
    assert (order.status, order.appointment.status, order.appointment.cancel_reason) == (
        "cancelled", Status.CANCELLED, "Will not come")
