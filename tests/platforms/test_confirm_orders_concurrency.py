"""Two desks confirm the same platform order at once, each with a slot of their own: the order is
locked inside the booking's transaction, so one confirms it and the other is told, and its
booking and new patient are undone (committed data, a connection per thread)."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context, tenant_context

DESKS = 4


@pytest.fixture
def committed_order(django_db_blocker, clinic_a):
    from billing.models import Payer
    from clinic.models import Location, OpeningHours, Practitioner, Service, ServiceCategory, WorkingHours
    from clinic.patients.models import Patient
    from clinic.scheduling.models import Appointment
    from platforms.catalogue.models import Platform, Product, ProductService
    from platforms.models import OrderEvent, PlatformOrder
    from tests.factories import make_staff, open_every_day
    from tests.platform_factories import PlatformFactory, make_order, product_with

    with django_db_blocker.unblock():
        with tenant_context(clinic_a):
            location = Location.objects.create(name="Order race room")
            practitioner = Practitioner.objects.create(full_name="Dr Order Race")
            open_every_day(location, practitioner)
            category = ServiceCategory.objects.create(name="Order race")
            Service.objects.create(code="ORACE-1", name="Race check", category=category, duration_minutes=30,
                                   price="1.00")
            product = product_with({"ORACE-1": 1}, platform=PlatformFactory(name="Race platform"))
            order = make_order(product, customer_name="Race Customer", customer_phone="+8613700137000")
            desks = [make_staff("front_desk", email=f"order-racer-{i}@alpha.example") for i in range(DESKS)]
            patients_before = Patient.objects.count()
        day = (datetime.now(ZoneInfo(clinic_a.time_zone)) + timedelta(days=7)).date()
        yield {"location": location, "practitioner": practitioner, "order": order, "desks": desks, "day": day,
               "patients_before": patients_before}
        with tenant_context(clinic_a):
            orders = PlatformOrder.objects.filter(pk=order.pk)
            patient_ids = list(Appointment.objects.filter(practitioner=practitioner).values_list("patient_id", flat=True))
            payer_ids = list(orders.exclude(payer=None).values_list("payer_id", flat=True))
            OrderEvent.objects.filter(order__in=orders)._raw_delete("default")
            orders._raw_delete("default")
            Payer.objects.filter(pk__in=payer_ids)._raw_delete("default")
            Appointment.objects.filter(practitioner=practitioner).delete()
            Patient.objects.filter(pk__in=patient_ids).delete()
            WorkingHours.objects.filter(practitioner=practitioner).delete()
            OpeningHours.objects.filter(location=location).delete()
            practitioner.delete()
            Service.objects.filter(code="ORACE-1").delete()
            category.delete()
            location.delete()
            for desk in desks:
                desk.delete()
        with schema_context("public"):
            ProductService.objects.filter(product=product)._raw_delete("default")
            Product.objects.filter(pk=product.pk)._raw_delete("default")
            Platform.objects.filter(pk=product.platform_id)._raw_delete("default")
        connection.set_schema_to_public()


def test_one_order_confirmed_from_four_desks_at_once_is_confirmed_once(committed_order, clinic_a, django_db_blocker):
    from clinic.errors import DomainError
    from clinic.patients.models import Patient
    from clinic.scheduling.models import Appointment
    from platforms.models import PlatformOrder
    from platforms.orders import confirm_order

    barrier = threading.Barrier(DESKS)
    results, lock = [], threading.Lock()
    zone = ZoneInfo(clinic_a.time_zone)

    def attempt(index):
        try:
            with django_db_blocker.unblock(), tenant_context(clinic_a):
                starts = datetime.combine(committed_order["day"], time(9 + index), tzinfo=zone)
                mine = PlatformOrder.objects.get(pk=committed_order["order"].pk)  # each desk's own copy
                barrier.wait(timeout=30)
                try:
                    confirm_order(mine, actor=committed_order["desks"][index],
                                  location=committed_order["location"],
                                  practitioner=committed_order["practitioner"], starts_at=starts)
                    outcome = "confirmed"
                except DomainError as refused:
                    outcome = str(refused.message)
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(DESKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results.count("confirmed") == 1, results
    assert all(r == "confirmed" or "confirm" in r for r in results), results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        order = committed_order["order"]
        order.refresh_from_db()
        assert order.status == "confirmed"
        assert Appointment.objects.filter(practitioner=committed_order["practitioner"]).count() == 1
        assert Patient.objects.count() == committed_order["patients_before"] + 1
        assert list(order.events.values_list("action", flat=True)) == ["received", "confirmed"]
