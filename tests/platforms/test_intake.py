"""Order intake on the public host: a platform's signed messages become orders in the clinic's
schema; every refusal says why and stores nothing; the same number is stored once, also when
it arrives ten times at once; inventory is never oversold."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context, tenant_context
from standardwebhooks.webhooks import Webhook

from platforms.catalogue.models import Enrolment, Platform, Product, SigningSecret
from platforms.models import ChannelStock, OrderEvent, OrderStatus, PlatformOrder
from tests.concurrency import at_once
from tests.platform_factories import PlatformFactory, ProductFactory, enrol, product_with, signing_secret

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
PUBLIC = "localhost"


def signed(body: bytes, secret: str = SECRET, *, msg_id: str | None = None, at: datetime | None = None) -> dict:
    """The Standard Webhooks headers for ``body``, signed with ``secret`` at ``at`` (now)."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}


def order_message(number="A-1001", clinic="alpha-insurer", product="CHECKUP", **extra) -> dict:
    message = {"type": "order.created", "order_number": number, "clinic": clinic, "product": product,
               "customer": {"name": "Li Wei", "phone": "+86 138 0013 8000"},
               "purchased_at": "2025-03-01T09:30:00+08:00"}
    message.update(extra)
    return message


def post(platform_code: str, message, *, secret: str = SECRET, headers: dict | None = None, client=None, **sign):
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    client = client or Client(HTTP_HOST=PUBLIC)
    return client.post(f"/api/platforms/{platform_code}/orders", body, content_type="application/json",
                       headers=headers if headers is not None else signed(body, secret, **sign))


@pytest.fixture
def world(db, clinic_a):
    """Clinic alpha enrolled with an insurer as "alpha-insurer"; 3 check-ups in stock."""
    connection.set_schema_to_public()
    platform = PlatformFactory(code="insurer", name="Insurer benefits")
    signing_secret(platform, SECRET)
    product = product_with({"CHK": 1}, platform=platform, code="CHECKUP", name="Check-up")
    enrol(clinic_a, platform, identifier="alpha-insurer")
    with tenant_context(clinic_a):
        ChannelStock.objects.create(product=product, available=3)
    return {"platform": platform, "product": product, "clinic": clinic_a}


def orders(clinic):
    with tenant_context(clinic):
        return list(PlatformOrder.objects.order_by("id"))


def stock(clinic, product) -> int:
    with tenant_context(clinic):
        return ChannelStock.objects.get(product=product).available


def assert_refused(response, status: int, reason: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["reason"] == reason, body
    assert body["detail"]
    return body


# --- accepted ---------------------------------------------------------------------------------


def test_a_signed_order_is_stored_in_the_clinic_with_its_history_and_takes_one_unit(world):
    response = post("insurer", order_message())

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["result"], body["order_number"], body["clinic"], body["product"]) == (
        "accepted", "A-1001", "alpha-insurer", "CHECKUP")
    [order] = orders(world["clinic"])
    assert (order.status, order.source, order.kind, order.price, order.currency) == (
        "new", "api", "package", Decimal("180.00"), "CNY")
    assert (order.customer_name, order.customer_phone) == ("Li Wei", "+8613800138000")
    assert order.purchased_at == datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
    assert order.message_id.startswith("msg_")
    with tenant_context(world["clinic"]):
        assert [(e.action, e.to_status, e.actor) for e in order.events.all()] == [("received", "new", None)]
    assert stock(world["clinic"], world["product"]) == 2
    # Nothing of the order in the public schema.
    with schema_context("public"):
        assert "platforms_platformorder" not in connection.introspection.table_names()


def test_a_local_phone_is_stored_in_the_one_canonical_form(world):
    message = order_message(customer={"name": "Ana Rusu", "phone": "0721 234 567"})  # alpha is in Romania
    assert post("insurer", message).status_code == 201
    assert orders(world["clinic"])[0].customer_phone == "+40721234567"


def test_the_same_order_number_again_is_stored_once_and_answered_as_the_first_time(world):
    first = post("insurer", order_message())
    again = post("insurer", order_message(customer={"name": "Someone Else", "phone": "+40721234567"}))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(orders(world["clinic"])) == 1
    assert orders(world["clinic"])[0].customer_name == "Li Wei"
    assert stock(world["clinic"], world["product"]) == 2


def test_a_get_is_refused_with_json(world):
    response = Client(HTTP_HOST=PUBLIC).get("/api/platforms/insurer/orders")
    assert_refused(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_the_endpoint_is_not_on_a_clinics_host(world):
    body = json.dumps(order_message()).encode()
    response = Client(HTTP_HOST=world["clinic"].primary_domain).post(
        "/api/platforms/insurer/orders", body, content_type="application/json", headers=signed(body))
    assert response.status_code == 404
    assert orders(world["clinic"]) == []


# --- refusals: nothing stored -------------------------------------------------------------------


def assert_nothing_stored(world):
    assert orders(world["clinic"]) == []
    assert stock(world["clinic"], world["product"]) == 3


def test_a_wrong_signature_is_refused(world):
    body = json.dumps(order_message()).encode()
    headers = signed(body, NEW_SECRET)  # a secret the platform does not have
    assert_refused(post("insurer", body, headers=headers), 401, "bad_signature")
    tampered = signed(body)
    assert_refused(post("insurer", body.replace(b"A-1001", b"A-1002"), headers=tampered), 401, "bad_signature")
    assert_nothing_stored(world)


def test_missing_signature_headers_are_refused(world):
    body = json.dumps(order_message()).encode()
    headers = signed(body)
    del headers["webhook-signature"]
    assert_refused(post("insurer", body, headers=headers), 400, "missing_headers")
    headers = signed(body) | {"webhook-timestamp": "yesterday"}
    assert_refused(post("insurer", body, headers=headers), 400, "bad_timestamp")
    assert_nothing_stored(world)


@pytest.mark.parametrize(("offset", "reason"), [(-301, "stale_timestamp"), (301, "future_timestamp")])
def test_a_message_more_than_five_minutes_old_or_ahead_is_refused(world, offset, reason):
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        response = post("insurer", order_message(), at=now + timedelta(seconds=offset))
        assert_refused(response, 401, reason)
        # Within the tolerance it is accepted.
        assert post("insurer", order_message(), at=now + timedelta(seconds=offset // 2)).status_code == 201


def test_an_unknown_or_inactive_platform_is_refused(world):
    assert_refused(post("nobody", order_message()), 404, "unknown_platform")
    world["platform"].is_active = False
    world["platform"].save()
    assert_refused(post("insurer", order_message()), 404, "unknown_platform")
    assert_nothing_stored(world)


def test_a_body_over_64_kb_is_refused_unread(world):
    message = order_message(customer={"name": "Li Wei", "phone": "+8613800138000", "note": "x" * 70_000})
    assert_refused(post("insurer", message), 413, "body_too_large")
    assert_nothing_stored(world)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_malformed_body_is_refused(world, body):
    assert_refused(post("insurer", body), 400, "malformed_body")
    assert_nothing_stored(world)


def test_missing_and_wrong_fields_are_named_all_at_once(world):
    message = order_message(customer={"phone": ["+40"]}, purchased_at="March")
    del message["product"]
    body = assert_refused(post("insurer", message), 422, "invalid_message")
    assert body["fields"] == {"product": "required", "customer.name": "required",
                              "customer.phone": "must be a string",
                              "purchased_at": "an ISO 8601 date and time with its offset"}
    assert_refused(post("insurer", order_message(type="order.shipped")), 422, "unknown_type")
    naive = assert_refused(post("insurer", order_message(purchased_at="2025-03-01T09:30:00")), 422,
                           "invalid_message")
    assert list(naive["fields"]) == ["purchased_at"]
    assert_nothing_stored(world)


def test_an_unknown_product_or_one_of_another_platform_is_refused(world):
    assert_refused(post("insurer", order_message(product="NOPE")), 422, "unknown_product")
    ProductFactory(platform=PlatformFactory(code="alipay"), code="WISDOM")
    assert_refused(post("insurer", order_message(product="WISDOM")), 422, "unknown_product")
    assert_nothing_stored(world)


def test_a_product_not_on_sale_on_the_purchase_day_is_refused(world):
    product = world["product"]
    product.valid_from, product.valid_to = date(2024, 1, 1), date(2025, 2, 28)
    product.save()
    # 1 March 2025 00:30 in Shanghai is still 28 February in Bucharest (the clinic's day): accepted.
    late = order_message(number="A-1", purchased_at="2025-03-01T00:30:00+08:00")
    assert post("insurer", late).status_code == 201
    body = assert_refused(post("insurer", order_message(number="A-2")), 422, "product_not_valid")
    assert "sale" in body["detail"]
    product.valid_from = date(2025, 6, 1)
    product.valid_to = None
    product.save()
    assert_refused(post("insurer", order_message(number="A-3")), 422, "product_not_valid")
    assert [o.number for o in orders(world["clinic"])] == ["A-1"]


def test_an_unknown_clinic_or_one_not_enrolled_is_refused(world, clinic_b):
    assert_refused(post("insurer", order_message(clinic="somewhere")), 422, "unknown_clinic")
    with schema_context("public"):
        Enrolment.objects.create(clinic=clinic_b, platform=world["platform"], identifier="beta-insurer")
    assert_refused(post("insurer", order_message(clinic="beta-insurer")), 422, "clinic_not_enrolled")
    with tenant_context(clinic_b):
        assert not PlatformOrder.objects.exists()
    assert_nothing_stored(world)


def test_an_order_beyond_the_stock_is_refused_as_out_of_stock(world):
    with tenant_context(world["clinic"]):
        ChannelStock.objects.filter(product=world["product"]).update(available=1)
    assert post("insurer", order_message(number="A-1")).status_code == 201
    assert_refused(post("insurer", order_message(number="A-2")), 409, "out_of_stock")
    assert [o.number for o in orders(world["clinic"])] == ["A-1"]
    assert stock(world["clinic"], world["product"]) == 0


def test_a_clinic_without_inventory_for_the_product_is_refused(world):
    with tenant_context(world["clinic"]):
        ChannelStock.objects.filter(product=world["product"]).delete()
    assert_refused(post("insurer", order_message()), 409, "out_of_stock")
    assert orders(world["clinic"]) == []


def test_each_clinic_gets_its_own_orders(world, clinic_b):
    enrol(clinic_b, world["platform"], identifier="beta-insurer")
    with tenant_context(clinic_b):
        ChannelStock.objects.create(product=world["product"], available=1)
    assert post("insurer", order_message(clinic="beta-insurer")).status_code == 201
    assert orders(world["clinic"]) == []
    [order] = orders(clinic_b)
    assert order.customer_phone == "+8613800138000"


# --- secret rotation --------------------------------------------------------------------------


def test_the_old_secret_is_accepted_until_it_retires_and_refused_after(world):
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        SigningSecret.objects.filter(platform=world["platform"]).update(retires_at=start + timedelta(hours=24))
        signing_secret(world["platform"], NEW_SECRET)
        assert post("insurer", order_message(number="OLD-1"), secret=SECRET).status_code == 201
        assert post("insurer", order_message(number="NEW-1"), secret=NEW_SECRET).status_code == 201
        # A sender signing with both during the switch (the header carries both signatures).
        body = json.dumps(order_message(number="BOTH-1")).encode()
        headers = signed(body, NEW_SECRET)
        headers["webhook-signature"] += " " + signed(body, SECRET, msg_id=headers["webhook-id"])["webhook-signature"]
        assert post("insurer", body, headers=headers).status_code == 201
    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        assert_refused(post("insurer", order_message(number="OLD-2"), secret=SECRET), 401, "bad_signature")
        with tenant_context(world["clinic"]):
            ChannelStock.objects.filter(product=world["product"]).update(available=1)
        assert post("insurer", order_message(number="NEW-2"), secret=NEW_SECRET).status_code == 201
    assert [o.number for o in orders(world["clinic"])] == ["OLD-1", "NEW-1", "BOTH-1", "NEW-2"]


# --- refunds and cancellations ----------------------------------------------------------------


def close_message(kind="order.refunded", number="A-1001", reason="Refunded at the customer's request"):
    return {"type": kind, "order_number": number, "clinic": "alpha-insurer", "reason": reason}


@pytest.mark.parametrize(("kind", "status"), [("order.refunded", "refunded"), ("order.cancelled", "cancelled")])
def test_a_refund_or_cancellation_closes_an_unredeemed_order_and_returns_its_unit(world, kind, status):
    post("insurer", order_message())
    assert stock(world["clinic"], world["product"]) == 2
    response = post("insurer", close_message(kind))
    assert response.status_code == 200, response.content
    assert response.json() == {"result": status, "order_number": "A-1001", "clinic": "alpha-insurer"}
    [order] = orders(world["clinic"])
    assert (order.status, order.closed_reason) == (status, "Refunded at the customer's request")
    with tenant_context(world["clinic"]):
        last = order.events.last()
        assert (last.action, last.from_status, last.to_status) == (status, "new", status)
    assert stock(world["clinic"], world["product"]) == 3
    # The same message again: the same answer, the unit not returned twice.
    again = post("insurer", close_message(kind))
    assert (again.status_code, again.json()) == (200, response.json())
    assert stock(world["clinic"], world["product"]) == 3
    # A repeat of the creation is still answered as the first time, and stores nothing.
    assert post("insurer", order_message()).status_code == 200
    assert len(orders(world["clinic"])) == 1


def test_a_confirmed_order_refunded_by_the_platform_returns_its_unit(world):
    from tests.factories import PatientFactory

    post("insurer", order_message())
    with tenant_context(world["clinic"]):
        PlatformOrder.objects.update(patient=PatientFactory(), status=OrderStatus.CONFIRMED)
    assert post("insurer", close_message()).status_code == 200
    order = orders(world["clinic"])[0]
    assert order.status == "refunded"
    with tenant_context(world["clinic"]):
        assert order.events.last().from_status == "confirmed"
    assert stock(world["clinic"], world["product"]) == 3


def _confirmed_with_appointment(world, status="booked"):
    """The order confirmed with an appointment tomorrow at 10:00 (in ``status``)."""
    from tests.factories import AppointmentFactory

    post("insurer", order_message())
    with tenant_context(world["clinic"]):
        appointment = AppointmentFactory(status=status)
        PlatformOrder.objects.update(patient=appointment.patient, appointment=appointment,
                                     status=OrderStatus.CONFIRMED)
    return appointment


@pytest.mark.parametrize(("kind", "status"), [("order.refunded", "refunded"), ("order.cancelled", "cancelled")])
@pytest.mark.parametrize("appointment_status", ["booked", "confirmed", "no_show"])
def test_an_order_closed_by_the_platform_frees_its_appointments_slot(world, kind, status, appointment_status):
    from tests.factories import AppointmentFactory

    appointment = _confirmed_with_appointment(world, appointment_status)
    assert post("insurer", close_message(kind)).status_code == 200
    assert orders(world["clinic"])[0].status == status
    with tenant_context(world["clinic"]):
        appointment.refresh_from_db()
        assert appointment.status == "cancelled"
        assert appointment.cancel_reason == "Insurer benefits · A-1001 · Refunded at the customer's request"
        # The slot is free: another patient may be booked there (the overlap constraint allows it).
        AppointmentFactory(practitioner=appointment.practitioner, location=appointment.location,
                           starts_at=appointment.starts_at, ends_at=appointment.ends_at)
    # The same message again: nothing more happens.
    assert post("insurer", close_message(kind)).status_code == 200


def test_a_closure_without_a_reason_stores_no_words_of_ours(world, client_for):
    """No English "refunded by the platform" written into the order: the history shows the
    status change and the platform as who, in the reader's language."""
    from tests.factories import make_staff

    appointment = _confirmed_with_appointment(world)
    message = close_message(reason="")
    assert post("insurer", message).status_code == 200
    [order] = orders(world["clinic"])
    assert (order.status, order.closed_reason) == ("refunded", "")
    with tenant_context(world["clinic"]):
        assert order.events.last().note == ""
        appointment.refresh_from_db()
        assert appointment.cancel_reason == "Insurer benefits · A-1001"
        client = client_for(make_staff("manager"))
        client.cookies["django_language"] = "ro"
        response = client.get(reverse("platform_order_detail", args=[order.pk]))
        assert response.status_code == 200
        html = response.content.decode()
    history = html[html.index('id="order-history"'):]
    assert "Insurer benefits" in history and "by the platform" not in html


@pytest.mark.parametrize("appointment_status", ["arrived", "in_treatment"])
def test_a_patient_who_has_come_keeps_the_appointment_when_the_platform_refunds(world, appointment_status):
    appointment = _confirmed_with_appointment(world, appointment_status)
    assert post("insurer", close_message()).status_code == 200
    assert orders(world["clinic"])[0].status == "refunded"
    with tenant_context(world["clinic"]):
        appointment.refresh_from_db()
        assert appointment.status == appointment_status  # the desk decides; the visit is the patient's to pay


def test_an_appointment_that_cannot_be_cancelled_refuses_the_whole_message(world, monkeypatch):
    """One transaction: the order is not closed, nor its unit returned, when its appointment's
    change fails."""
    from clinic.scheduling import services as scheduling

    _confirmed_with_appointment(world)

    def failing(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(scheduling, "change_status_within", failing)
    with pytest.raises(RuntimeError):
        post("insurer", close_message())
    assert orders(world["clinic"])[0].status == "confirmed"
    assert stock(world["clinic"], world["product"]) == 2


def test_a_cash_voucher_order_is_worth_its_face_value(world):
    voucher = product_with({"EXT": 1}, platform=world["platform"], code="WISDOM200", kind="cash_voucher",
                           name="Wisdom-tooth voucher")
    with tenant_context(world["clinic"]):
        ChannelStock.objects.create(product=voucher, available=1)
    assert post("insurer", order_message(product="WISDOM200")).status_code == 201
    order = orders(world["clinic"])[0]
    assert (order.product_id, order.kind, order.price) == (voucher.pk, "cash_voucher", Decimal("200.00"))
    assert stock(world["clinic"], voucher) == 0


def test_a_redeemed_order_is_not_refunded(world):
    from billing.services import open_visit
    from tests.factories import LocationFactory, PatientFactory, make_staff

    post("insurer", order_message())
    with tenant_context(world["clinic"]):
        patient = PatientFactory()
        visit = open_visit(patient=patient, location=LocationFactory(), actor=make_staff("manager"))
        PlatformOrder.objects.update(patient=patient, visit=visit, status=OrderStatus.REDEEMED,
                                     redeemed_at=visit.opened_at)
        events = OrderEvent.objects.count()
    assert_refused(post("insurer", close_message()), 409, "already_redeemed")
    assert orders(world["clinic"])[0].status == "redeemed"
    assert stock(world["clinic"], world["product"]) == 2
    with tenant_context(world["clinic"]):
        assert OrderEvent.objects.count() == events


def test_closing_an_unknown_or_closed_order_is_refused(world):
    assert_refused(post("insurer", close_message(number="NOPE")), 404, "unknown_order")
    post("insurer", order_message())
    post("insurer", close_message("order.cancelled"))
    body = assert_refused(post("insurer", close_message("order.refunded")), 409, "order_closed")
    assert body["status"] == "cancelled"
    assert orders(world["clinic"])[0].status == "cancelled"


# --- at once (committed data; each thread has its own connection) ----------------------------


@pytest.fixture
def committed_world(django_db_blocker, clinic_a):
    from auditlog.models import LogEntry

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        platform = PlatformFactory(code=f"race{uuid.uuid4().hex[:8]}", name="Race platform")
        signing_secret(platform, SECRET)
        product = ProductFactory(platform=platform, code="RACE")
        enrol(clinic_a, platform, identifier="alpha-race")
        with tenant_context(clinic_a):
            ChannelStock.objects.create(product=product, available=5)
    yield {"platform": platform, "product": product, "clinic": clinic_a}
    with django_db_blocker.unblock():
        with tenant_context(clinic_a):
            ids = list(PlatformOrder.objects.filter(platform=platform).values_list("id", flat=True))
            # Raw deletes: a collector would follow every model that refers to orders (none here).
            OrderEvent.objects.filter(order_id__in=ids)._raw_delete("default")
            LogEntry.objects.filter(content_type__model__in=["platformorder", "channelstock"]).delete()
            PlatformOrder.objects.filter(id__in=ids)._raw_delete("default")
            ChannelStock.objects.filter(product=product)._raw_delete("default")
        connection.set_schema_to_public()
        Enrolment.objects.filter(platform=platform).delete()
        LogEntry.objects.filter(content_type__model__in=["enrolment", "product", "platform"]).delete()
        # Not .delete(): its collector would look for the clinics' order tables in the public schema.
        SigningSecret.objects.filter(platform=platform)._raw_delete("default")
        Product.objects.filter(pk=product.pk)._raw_delete("default")
        Platform.objects.filter(pk=platform.pk)._raw_delete("default")
    connection.set_schema_to_public()


def post_at_once(django_db_blocker, code: str, messages: list[dict]) -> list[tuple[int, dict]]:
    """Each message posted from a thread of its own, released together: (status, answer) each."""

    def deliver(message):
        body = json.dumps(message).encode()
        response = post(code, body, headers=signed(body), client=Client(HTTP_HOST=PUBLIC))
        return response.status_code, response.json()

    outcomes = at_once(django_db_blocker, [partial(deliver, message) for message in messages], returns=True)
    return [outcome if isinstance(outcome, tuple) else (0, {"error": outcome}) for outcome in outcomes]


def test_one_order_number_from_ten_threads_at_once_is_stored_once(committed_world, django_db_blocker):
    world = committed_world
    message = order_message(number="RACE-1", clinic="alpha-race", product="RACE")
    results = post_at_once(django_db_blocker, world["platform"].code, [message] * 10)

    statuses = sorted(status for status, _body in results)
    assert statuses == [200] * 9 + [201], results
    assert len({json.dumps(body, sort_keys=True) for _status, body in results}) == 1, results
    with django_db_blocker.unblock(), tenant_context(world["clinic"]):
        assert PlatformOrder.objects.filter(platform=world["platform"]).count() == 1
        assert OrderEvent.objects.filter(order__platform=world["platform"]).count() == 1
        assert ChannelStock.objects.get(product=world["product"]).available == 4


def test_twenty_orders_at_a_stock_of_five_sell_five(committed_world, django_db_blocker):
    world = committed_world
    messages = [order_message(number=f"RUSH-{i:02d}", clinic="alpha-race", product="RACE") for i in range(20)]
    results = post_at_once(django_db_blocker, world["platform"].code, messages)

    accepted = sorted(body["order_number"] for status, body in results if status == 201)
    refused = [body for status, body in results if status == 409]
    assert len(accepted) == 5, results
    assert len(refused) == 15 and all(body["reason"] == "out_of_stock" for body in refused), results
    with django_db_blocker.unblock(), tenant_context(world["clinic"]):
        stored = sorted(PlatformOrder.objects.filter(platform=world["platform"]).values_list("number", flat=True))
        assert stored == accepted  # none lost, none doubled
        assert ChannelStock.objects.get(product=world["product"]).available == 0


# --- the public rows kept in the process --------------------------------------------------------


def test_a_secret_rotated_in_another_process_is_read_again_before_a_message_is_refused(world):
    """The intake keeps the platform and its secrets a few seconds: a message signed with a
    secret it has not seen yet (rotated by another process, which this one heard nothing of)
    reads them again instead of being refused."""
    from django.db.models.signals import post_save

    from platforms.intake import forget_lookups

    assert post("insurer", order_message(number="KEPT-1"), secret=SECRET).status_code == 201  # now kept
    post_save.disconnect(forget_lookups, sender=SigningSecret, dispatch_uid="intake-lookups-save-SigningSecret")
    try:
        # As another process's rotation would: the current secret retires, a new one is current.
        SigningSecret.objects.filter(platform=world["platform"]).update(
            retires_at=datetime.now(UTC) + timedelta(hours=1))
        signing_secret(world["platform"], NEW_SECRET)
    finally:
        post_save.connect(forget_lookups, sender=SigningSecret, dispatch_uid="intake-lookups-save-SigningSecret")
    assert post("insurer", order_message(number="KEPT-2"), secret=NEW_SECRET).status_code == 201
    assert_refused(post("insurer", order_message(number="KEPT-3"), secret="whsec_" + "A" * 32), 401, "bad_signature")


def test_a_declined_enrolment_refuses_the_next_message_at_once_in_this_process(world):
    from platforms.catalogue.models import Enrolment

    assert post("insurer", order_message(number="DECL-1"), secret=SECRET).status_code == 201
    enrolment = Enrolment.objects.get(platform=world["platform"], clinic=world["clinic"])
    enrolment.status, enrolment.reason = Enrolment.Status.DECLINED, "Contract ended"
    enrolment.save()
    assert_refused(post("insurer", order_message(number="DECL-2"), secret=SECRET), 422, "clinic_not_enrolled")
