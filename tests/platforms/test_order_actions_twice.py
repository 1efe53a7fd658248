"""The front desk's order actions accept a submission once: confirming, binding and cancelling an
order sent twice (a double click, a proxy's retry) give the first answer again and act once —
one patient, one appointment, one event — instead of a second action or a refusal."""

import uuid

import pytest

from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment
from tests.factories import PatientFactory
from tests.platform_factories import make_order
from tests.platforms.test_confirm_orders import PHONE, at, clock, confirm, desk, desk_setup  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def key() -> str:
    return str(uuid.uuid4())


def twice(client, url, data):
    first = client.post(url, data, **HTMX)
    again = client.post(url, data, **HTMX)
    assert first.status_code == again.status_code == 204, (first.content, again.content)
    assert again["HX-Redirect"] == first["HX-Redirect"] and again["Idempotent-Replayed"] == "true"
    return first


def actions(order) -> list[str]:
    return list(order.events.order_by("id").values_list("action", flat=True))


def test_each_order_dialog_is_issued_with_a_key(desk_setup, desk, client_for):  # noqa: F811
    order = make_order(desk_setup["product"])
    client = client_for(desk)
    for action in ("confirm", "bind", "cancel"):
        html = client.get(f"/platform-orders/{order.pk}/{action}/", **HTMX).content.decode()
        assert 'name="idempotency_key"' in html, action


def test_a_confirmation_sent_twice_books_one_appointment_for_one_new_patient(desk_setup, desk, client_for):  # noqa: F811
    order = make_order(desk_setup["product"], customer_name="Anna Popescu", customer_phone=PHONE)
    slot = f'{desk_setup["practitioner"].pk}|{desk_setup["location"].pk}|{at(1, 9):%Y-%m-%dT%H:%M}'
    twice(client_for(desk), f"/platform-orders/{order.pk}/confirm/", {
        "patient": "new", "first_name": "Anna", "last_name": "Popescu", "phone": PHONE, "slot": slot,
        "idempotency_key": key()})
    order.refresh_from_db()
    assert order.status == "confirmed" and order.appointment.starts_at == at(1, 9)
    assert Patient.objects.filter(last_name="Popescu").count() == 1
    assert Appointment.objects.filter(practitioner=desk_setup["practitioner"]).count() == 1
    assert actions(order).count("confirmed") == 1


def test_a_binding_sent_twice_binds_once(desk_setup, desk, client_for):  # noqa: F811
    patient = PatientFactory(first_name="Registered", last_name="Elsewhere")
    order = make_order(desk_setup["product"])
    twice(client_for(desk), f"/platform-orders/{order.pk}/bind/", {"patient": patient.pk, "idempotency_key": key()})
    order.refresh_from_db()
    assert order.patient == patient and actions(order).count("bound") == 1


def test_a_cancellation_sent_twice_cancels_once(desk_setup, desk, client_for):  # noqa: F811
    order = make_order(desk_setup["product"], customer_name="No Show", customer_phone="+8613900139000")
    confirm(order, desk, desk_setup)
    twice(client_for(desk), f"/platform-orders/{order.pk}/cancel/", {"reason": "Moved away",
                                                                     "idempotency_key": key()})
    order.refresh_from_db()
    assert (order.status, order.closed_reason) == ("cancelled", "Moved away")
    assert actions(order).count("cancelled") == 1
    order.appointment.refresh_from_db()
    assert order.appointment.status == "cancelled"
