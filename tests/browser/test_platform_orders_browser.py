"""The front desk's platform orders, used as a person would (seed 000): the badge in the top
bar shows a new online booking; the desk opens it, creates the patient from the order and books
a free slot in the same dialog; a second order with the same phone and another name gets a new
patient whose phone relation is "other"; a no-show is re-confirmed on another day; an arrived
patient who cannot be treated is un-registered and the order cancelled. Every step is checked on
the screen and, through committed reads, in the database."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.conftest import in_alpha, in_schema

pytestmark = pytest.mark.browser

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")
# A Monday morning in the clinic: the test never depends on today's date.
NOW = datetime(2031, 3, 10, 9, 0, tzinfo=ALPHA_ZONE)
PHONE = "+8613800138000"


def build(unique: str):
    """A location open every day, two practitioners, the package's services in the price list,
    a platform with a package (committed in alpha; the platform and product in the public schema),
    new orders, a no-show and an arrived patient with their orders."""
    from clinic.scheduling.models import Status
    from platforms import services
    from platforms.models import OrderStatus
    from tests.factories import (
        AppointmentFactory,
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceFactory,
        open_every_day,
    )
    from tests.platform_factories import PlatformFactory, make_order, product_with

    location = LocationFactory(name=f"Dental centre {unique[:4]}")
    wang, zhou = PractitionerFactory(full_name="Dr Wang Lei"), PractitionerFactory(full_name="Dr Zhou Min")
    open_every_day(location, wang, opens=time(8), closes=time(20), starts=time(9), ends=time(18))
    open_every_day(location, zhou, opens=time(8), closes=time(20), starts=time(9), ends=time(18))
    ServiceFactory(code=f"CHK{unique[:5]}", name="Oral check-up", duration_minutes=30)
    ServiceFactory(code=f"CLN{unique[:5]}", name="Scaling and polishing", duration_minutes=30)
    platform = PlatformFactory(code=f"ins{unique}", name="Insurer benefits")
    product = product_with({f"CHK{unique[:5]}": 1, f"CLN{unique[:5]}": 1}, platform=platform,
                           code=f"CHK-{unique}", name="Check-up and cleaning")
    services.set_stock(product, 10, actor=None)
    first = make_order(product, number=f"WY{unique}01", customer_name="Li Wei", customer_phone=PHONE,
                       received_at=NOW - timedelta(minutes=20))
    second = make_order(product, number=f"WY{unique}02", customer_name="Li Na", customer_phone=PHONE,
                        received_at=NOW - timedelta(minutes=10))
    # Missed yesterday's appointment (marked no-show).
    missed_patient = PatientFactory(first_name="Chen", last_name=f"Jie{unique[:3]}", phone="+8613900139001")
    missed_at = NOW - timedelta(days=1)
    missed = AppointmentFactory(location=location, practitioner=zhou, patient=missed_patient, starts_at=missed_at,
                                ends_at=missed_at + timedelta(hours=1), status=Status.NO_SHOW, source="platform")
    no_show = make_order(product, number=f"WY{unique}03", customer_name=missed_patient.full_name,
                         customer_phone=missed_patient.phone, patient=missed_patient, appointment=missed,
                         status=OrderStatus.CONFIRMED, received_at=NOW - timedelta(days=3))
    # Registered as arrived this morning; cannot be treated today.
    arrived_patient = PatientFactory(first_name="Zhao", last_name=f"Min{unique[:3]}", phone="+8613900139002")
    arrived_at = NOW - timedelta(minutes=30)
    arrived = AppointmentFactory(location=location, practitioner=zhou, patient=arrived_patient, starts_at=arrived_at,
                                 ends_at=arrived_at + timedelta(hours=1), status=Status.ARRIVED, source="platform")
    cancel = make_order(product, number=f"WY{unique}04", customer_name=arrived_patient.full_name,
                        customer_phone=arrived_patient.phone, patient=arrived_patient, appointment=arrived,
                        status=OrderStatus.CONFIRMED, received_at=NOW - timedelta(days=2))
    return {"platform": platform.pk, "product": product.pk, "first": first.pk, "second": second.pk,
            "no_show": no_show.pk, "cancel": cancel.pk, "wang": wang.pk}


def forget(made):
    """The orders first (they hold the patients, appointments and the public product), then the
    product and platform; the rest goes with the suite's own clean-up of alpha."""
    from clinic.patients.models import Patient
    from platforms.catalogue.models import Platform, Product, ProductService
    from platforms.models import ChannelStock, OrderEvent, PlatformOrder

    def alpha_side():
        from auditlog.context import disable_auditlog

        # Raw deletes: the collector would look for other apps' tables that point at orders.
        with disable_auditlog():
            orders = PlatformOrder.objects.filter(product_id=made["product"])
            # A phone shared with relation "other" protects its owner: unlink the sharers first.
            Patient.objects.filter(pk__in=orders.values("patient_id")).update(phone_owner=None)
            OrderEvent.objects.filter(order__in=orders)._raw_delete("default")
            orders._raw_delete("default")
            ChannelStock.objects.filter(product_id=made["product"])._raw_delete("default")

    def public_side():  # raw: the collector would look for the clinics' tables in the public schema
        ProductService.objects.filter(product_id=made["product"])._raw_delete("default")
        Product.objects.filter(pk=made["product"])._raw_delete("default")
        Platform.objects.filter(pk=made["platform"])._raw_delete("default")

    in_alpha(alpha_side)
    in_schema("public", public_side)


@pytest.fixture
def orders_made(unique, django_db_blocker):
    with time_machine.travel(NOW - timedelta(hours=1), tick=True):
        made = in_alpha(lambda: build(unique), django_db_blocker)
    yield made
    with django_db_blocker.unblock():
        forget(made)


def order_row(pk):
    """The order as committed now, as plain values (read in alpha's schema)."""
    from platforms.models import PlatformOrder

    def read():
        order = PlatformOrder.objects.select_related("patient", "appointment").get(pk=pk)
        patient, appointment = order.patient, order.appointment
        return {"status": order.status, "patient_id": order.patient_id,
                "patient_name": patient.full_name if patient else "",
                "phone_relation": patient.phone_relation if patient else "",
                "phone_owner_id": patient.phone_owner_id if patient else None,
                "appointment_patient_id": appointment.patient_id if appointment else None,
                "appointment_source": appointment.source if appointment else "",
                "appointment_status": appointment.status if appointment else "",
                "starts_at": appointment.starts_at if appointment else None,
                "actions": list(order.events.values_list("action", flat=True))}

    return in_alpha(read)


def awaiting_count():
    from platforms.models import PlatformOrder

    return in_alpha(lambda: PlatformOrder.objects.filter(status="new").count())


def confirm_first_free_slot(page):
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", name=re.compile("Confirm order"))).to_be_visible()
    slot = dialog.locator("#order-slots label.btn").first
    expect(slot).to_be_visible()
    slot.click()
    dialog.get_by_role("button", name="Confirm and book").click()


def test_the_front_desk_confirms_books_reconfirms_and_cancels_platform_orders(
        page, make_alpha_staff, login, orders_made, unique, screenshot, axe, django_db_blocker):
    with time_machine.travel(NOW, tick=True), django_db_blocker.unblock():
        desk = make_alpha_staff("front_desk")
        login(page, desk.email)

        # The badge in the top bar counts the orders awaiting confirmation.
        badge = page.locator("#order-badge")
        expect(badge.locator(".badge")).to_have_text(str(awaiting_count()))
        badge.click()
        expect(page.get_by_role("heading", name="Online bookings awaiting confirmation")).to_be_visible()
        expect(page.locator("#order-table")).to_contain_text("Li Wei")
        expect(page.locator("#order-table")).not_to_contain_text("Zhao")  # confirmed orders are not waiting
        screenshot(page, "platform-orders.png")

        # The first order: a new patient made from the order, booked on a free slot in the same dialog.
        page.get_by_role("link", name=f"WY{unique}01").click()
        expect(page.locator("h1")).to_contain_text("Awaiting confirmation")
        page.get_by_role("button", name="Confirm and book").click()
        dialog = page.locator("#dialog")
        expect(dialog.get_by_label("First name")).to_have_value("Li")
        expect(dialog.get_by_label("Last name")).to_have_value("Wei")
        expect(dialog.get_by_label("A new patient from the order")).to_be_checked()
        expect(dialog.locator("#order-slots label.btn").first).to_be_visible()
        axe(page, include="#dialog", what="the confirm dialog")
        screenshot(page, "platform-order-confirm.png")
        confirm_first_free_slot(page)
        expect(page.locator(".alert-success")).to_contain_text("confirmed")
        expect(page.locator("#order-patient")).to_contain_text("Li Wei")
        expect(page.locator("#order-history")).to_contain_text("Confirmed")
        expect(page.locator("#order-history")).to_contain_text(desk.full_name)
        first = order_row(orders_made["first"])
        assert first["status"] == "confirmed" and first["patient_name"] == "Li Wei"
        assert first["appointment_source"] == "platform" and first["starts_at"] >= NOW
        assert first["appointment_patient_id"] == first["patient_id"]
        screenshot(page, "platform-order-detail.png")

        # The second order: the same phone, another name -> a new patient, relation "other".
        page.goto(f"/platform-orders/{orders_made['second']}/")
        page.get_by_role("button", name="Confirm and book").click()
        expect(page.locator("#phone-shared")).to_contain_text("Li Wei")
        confirm_first_free_slot(page)
        expect(page.locator("#order-patient")).to_contain_text("Other relation to the phone's owner")
        second = order_row(orders_made["second"])
        assert second["patient_name"] == "Li Na" and second["patient_id"] != first["patient_id"]
        assert (second["phone_relation"], second["phone_owner_id"]) == ("other", first["patient_id"])

        # A no-show: re-confirmed with the appointment moved to the day the patient really comes.
        page.goto(f"/platform-orders/{orders_made['no_show']}/")
        page.get_by_role("button", name="Re-confirm on another day").click()
        dialog = page.locator("#dialog")
        expect(dialog.get_by_role("heading", name=re.compile("Re-confirm order"))).to_be_visible()
        later = (NOW + timedelta(days=2)).date().isoformat()
        dialog.get_by_label("From").fill(later)
        dialog.get_by_label("From").dispatch_event("change")
        expect(dialog.locator("#order-slots label.btn").first).to_contain_text("09:00")
        dialog.locator("#order-slots label.btn").first.click()
        dialog.get_by_role("button", name="Re-confirm", exact=True).click()
        expect(page.locator("#order-history")).to_contain_text("Re-confirmed")
        moved = order_row(orders_made["no_show"])
        assert moved["status"] == "confirmed" and moved["actions"][-1] == "reconfirmed"
        assert moved["starts_at"].astimezone(ALPHA_ZONE).date() == (NOW + timedelta(days=2)).date()
        assert moved["appointment_status"] == "booked"

        # An arrived patient who cannot be treated: un-registered first, then the order is cancelled.
        page.goto(f"/platform-orders/{orders_made['cancel']}/")
        page.get_by_role("button", name="Cancel the order").click()
        dialog = page.locator("#dialog")
        expect(dialog.locator("#revert-arrival")).to_be_visible()
        dialog.get_by_role("button", name="Cancel the order").click()
        expect(dialog.locator(".invalid-feedback")).to_be_visible()  # a reason is required
        dialog.get_by_label("Reason").fill("Acute pain elsewhere: cannot be treated today")
        dialog.get_by_role("button", name="Cancel the order").click()
        expect(page.locator("h1")).to_contain_text("Cancelled")
        cancelled = order_row(orders_made["cancel"])
        assert cancelled["status"] == "cancelled" and cancelled["appointment_status"] == "cancelled"

        # The badge counts what is still waiting.
        page.goto("/")
        waiting = awaiting_count()
        if waiting:
            expect(page.locator("#order-badge .badge")).to_have_text(str(waiting))
        else:
            expect(page.locator("#order-badge .badge")).to_have_count(0)

        # The same screens in Persian, right to left.
        host = page.url.split("//", 1)[1].split(":")[0]
        page.context.add_cookies([{"name": "django_language", "value": "fa", "domain": host, "path": "/"}])
        page.goto(f"/platform-orders/{orders_made['first']}/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("h1")).to_contain_text("سفارش")
        axe(page, what="an order in Persian")
        page.goto("/platform-orders/")
        expect(page.locator("#order-table")).to_contain_text("Li Na")


def test_the_bind_dialog_keeps_the_focus_in_the_dialog_through_its_search(
        page, make_alpha_staff, login, orders_made, unique, axe, django_db_blocker):
    """A patient registered outside the order, found and bound from the order's page: each step draws
    the dialog again, and the focus stays in it (before, it was left on the page behind the dialog)."""
    with time_machine.travel(NOW, tick=True), django_db_blocker.unblock():
        login(page, make_alpha_staff("front_desk").email)
        page.goto(f"/platform-orders/{orders_made['second']}/")
        page.locator("#bind-order").click()
        dialog = page.locator("#dialog")
        expect(dialog.get_by_role("heading", name=re.compile(f"Bind order WY{unique}02"))).to_be_visible()
        query = dialog.get_by_label("Find a registered patient")
        query.fill(f"Jie{unique[:3]}")
        dialog.get_by_role("button", name="Search").click()
        found = dialog.locator("#bind-found button")
        expect(found).to_have_count(1)
        expect(query).to_be_focused()  # the dialog drawn again: the focus on its first field
        axe(page, include="#dialog", what="the bind dialog")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(found).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_contain_text("Patient:")
        page.wait_for_function("() => !!document.activeElement.closest('#dialog')")  # once htmx has settled
        page.wait_for_timeout(100)
        assert page.evaluate("() => !!document.activeElement.closest('#dialog')"), \
            page.evaluate("() => document.activeElement.outerHTML")
        dialog.get_by_role("button", name="Bind", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text(f"Order WY{unique}02 bound to")
        assert order_row(orders_made["second"])["patient_name"].startswith("Chen")
