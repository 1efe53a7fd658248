"""Redemption at the visit (核销), as the front desk does it: in chromium.

From a confirmed package order the front desk registers the arrival, opens the visit, uploads
the panoramic X-ray, redeems (the package's lines go to the order at the settlement price), adds
an extra service the patient pays in cash; the cash report shows only that cash, the statement
shows the package at zero to the patient. A cash-voucher order then pays part of an extraction.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from playwright.sync_api import expect

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")
DAY = datetime(2031, 3, 12).date()  # a fixed day: nothing depends on today


def build_the_orders(unique: str):
    """Clinic alpha (committed): services, two patients with an appointment each on DAY and a
    confirmed order each: a package (check-up and scaling, settlement 180.00) and a 200.00
    wisdom-tooth voucher. The platform and its products are made in the public schema first."""
    from clinic.scheduling.models import AppointmentService, Status
    from platforms.models import OrderStatus
    from tests.factories import (
        AppointmentFactory,
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
    )
    from tests.platform_factories import make_order

    location = LocationFactory(name=f"Riverside {unique}")
    doctor = PractitionerFactory(full_name=f"Dr Chen {unique}")
    category = ServiceCategoryFactory(name=f"Dental {unique}")

    def service(code, name, price):
        return ServiceFactory(code=f"{code}-{unique}", name=name, price=Decimal(price), category=category)

    services = {"check": service("PCK", "Check-up", "120.00"), "scaling": service("SCL", "Scaling", "200.00"),
                "filling": service("FIL", "Filling", "90.00"),
                "extraction": service("EXT", "Wisdom tooth extraction", "350.00")}
    made = {"location": location, **services}
    for key, hour, first, wanted in (("package", 10, "Mei", ["check", "scaling"]),
                                     ("voucher", 11, "Jun", ["extraction"])):
        patient = PatientFactory(first_name=first, last_name=f"Li {unique}")
        starts = datetime.combine(DAY, time(hour), tzinfo=ALPHA_ZONE)
        appointment = AppointmentFactory(location=location, practitioner=doctor, patient=patient,
                                         status=Status.CONFIRMED, starts_at=starts,
                                         ends_at=starts + timedelta(minutes=60))
        for position, name in enumerate(wanted):
            AppointmentService.objects.create(appointment=appointment, service=services[name], position=position)
        order = make_order(PUBLIC[key], status=OrderStatus.CONFIRMED, patient=patient, appointment=appointment,
                           number=f"{key[:3].upper()}-{unique}")
        made[key] = {"patient": patient, "appointment": appointment, "order": order}
    return made


PUBLIC: dict = {}


def build_the_platform(unique: str):
    from tests.platform_factories import PlatformFactory, product_with

    platform = PlatformFactory(code=f"ins-{unique}", name="Insurer benefits", currency="EUR")
    PUBLIC["platform"] = platform
    PUBLIC["package"] = product_with({f"PCK-{unique}": 1, f"SCL-{unique}": 1}, platform=platform,
                                     name="Check-up and scaling", settlement_price=Decimal("180.00"))
    PUBLIC["voucher"] = product_with({f"EXT-{unique}": 1}, platform=platform, name="Wisdom-tooth voucher",
                                     kind="cash_voucher", face_value=Decimal("200.00"))


def forget_the_orders():
    from platforms.models import OrderEvent, PlatformOrder

    orders = PlatformOrder.objects.filter(product_id__in=[PUBLIC["package"].pk, PUBLIC["voucher"].pk])
    OrderEvent.objects.filter(order__in=orders)._raw_delete("default")
    orders._raw_delete("default")


def forget_the_platform():
    from django.db import connection

    from platforms.catalogue.models import Platform, Product, ProductService

    products = [PUBLIC["package"].pk, PUBLIC["voucher"].pk]
    with connection.cursor() as cursor:  # raw: the ORM's cascade would look for clinic tables here
        cursor.execute(f"DELETE FROM {ProductService._meta.db_table} WHERE product_id = ANY(%s)", [products])
        cursor.execute(f"DELETE FROM {Product._meta.db_table} WHERE id = ANY(%s)", [products])
        cursor.execute(f"DELETE FROM {Platform._meta.db_table} WHERE id = %s", [PUBLIC["platform"].pk])


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (64, 32), color=90).save(buffer, format="PNG")
    return buffer.getvalue()


def arrive_and_open_the_visit(page, appointment) -> None:
    page.goto(f"/appointments/{appointment.pk}/")
    page.locator('button[data-action="arrive"]').click()
    expect(page.get_by_role("alert")).to_contain_text("The patient's arrival was registered.")
    page.locator("#open-visit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Visit #")


def test_front_desk_redeems_a_package_and_a_cash_voucher_at_the_visit(
    page, login, make_alpha_staff, committed, committed_public, unique, screenshot, axe
):
    committed_public(lambda: build_the_platform(unique))
    try:
        made = committed(lambda: build_the_orders(unique))
        front_desk = make_alpha_staff("front_desk")
        package, voucher = made["package"], made["voucher"]
        with time_machine.travel(datetime.combine(DAY, time(9, 55), tzinfo=ALPHA_ZONE), tick=True):
            login(page, front_desk.email)
            arrive_and_open_the_visit(page, package["appointment"])

            # --- The order's panel: the booked services are the patient's until the order is redeemed.
            panel = page.locator("#platform-order-panel")
            expect(panel).to_contain_text(f"Platform order · {package['order'].number}")
            expect(panel.locator("#platform-order-status")).to_have_text("Confirmed")
            expect(page.locator("#visit-due")).to_have_text("320.00 EUR")
            expect(panel.get_by_role("button", name="Redeem", exact=True)).to_be_disabled()
            axe(page)

            panel.get_by_label("Panoramic X-ray (JPEG, PNG or DICOM)").set_input_files(
                {"name": "panorama.png", "mimeType": "image/png", "buffer": png_bytes()})
            panel.get_by_role("button", name="Upload").click()
            expect(page.get_by_role("alert")).to_contain_text(
                f"The X-ray of order {package['order'].number} is uploaded.")
            expect(panel.get_by_role("link", name="View the X-ray")).to_be_visible()
            panel.get_by_role("button", name="Redeem", exact=True).click()
            expect(page.get_by_role("alert")).to_contain_text(f"Order {package['order'].number} is redeemed.")
            expect(panel.locator("#platform-order-status")).to_have_text("Redeemed")

            # The package's lines at the settlement price, paid by the order; the patient owes nothing.
            lines = page.locator("#visit-lines tbody tr:not(.line-voided)")
            expect(lines).to_have_count(2)
            expect(lines.nth(0)).to_contain_text("67.50 EUR")  # 180 × 120 / 320
            expect(lines.nth(1)).to_contain_text("112.50 EUR")
            expect(lines.nth(0)).to_contain_text(f"Insurer benefits {package['order'].number}")
            expect(page.locator("#visit-due")).to_have_text("0.00 EUR")
            screenshot(page, "platform-redeem.png")

            # --- An extra service is the patient's, paid in cash at the cashier.
            page.get_by_label("Service", exact=True).select_option(label=f"FIL-{unique} · Filling · 90.00 EUR")
            page.locator("#line-form").get_by_role("button", name="Add").click()
            expect(page.locator("#visit-due")).to_have_text("90.00 EUR")
            page.get_by_role("button", name="Cashier").click()
            cashier = page.locator("#cashier-form")
            expect(cashier.get_by_label("Amount")).to_have_value("90.00")
            cashier.get_by_label("Method").select_option(label="Cash")
            cashier.get_by_role("button", name="Take payment").click()
            expect(page.locator("#statement-notice")).to_contain_text("90.00 EUR")

            # --- The cash report shows only the extra service's cash.
            page.goto(f"/reports/cash/?day={DAY.isoformat()}")
            expect(page.locator("#cash-total")).to_contain_text("90.00 EUR")
            expect(page.locator("#cash-table")).not_to_contain_text("180.00")
            expect(page.locator("#cash-table")).not_to_contain_text("Platform settlement")

            # --- The statement shows the package at zero to the patient.
            page.goto(f"/patients/{package['patient'].pk}/statement/?tab=visits")
            visits = page.locator("#statement-visits")
            expect(visits).to_contain_text(
                f"Check-up · paid by Insurer benefits {package['order'].number} · to the patient 0.00 EUR")

            # --- A cash voucher pays part of an extraction; the rest is the patient's.
            page.goto("/")
            arrive_and_open_the_visit(page, voucher["appointment"])
            panel = page.locator("#platform-order-panel")
            expect(page.locator("#visit-due")).to_have_text("350.00 EUR")
            panel.get_by_label("Reason for redeeming without an image").fill("Panoramic taken last week elsewhere")
            panel.get_by_role("button", name="Redeem without an image").click()
            expect(page.get_by_role("alert")).to_contain_text(f"Order {voucher['order'].number} is redeemed.")
            expect(panel.locator("#platform-voucher-paid")).to_have_text("200.00 EUR")
            expect(panel.locator("#platform-order-image")).to_contain_text("Panoramic taken last week elsewhere")
            expect(page.locator("#visit-payments")).to_contain_text("Cash-voucher principal")
            expect(page.locator("#visit-due")).to_have_text("150.00 EUR")
            screenshot(page, "platform-voucher.png")

            # Cash-voucher principal is its own row of the cash report, never cash.
            page.goto(f"/reports/cash/?day={DAY.isoformat()}")
            expect(page.locator("#cash-total")).to_contain_text("90.00 EUR")
            expect(page.locator("#non-cash-table")).to_contain_text("Cash-voucher principal")
            expect(page.locator("#non-cash-table")).to_contain_text("200.00 EUR")

        def statuses():
            from platforms.models import PlatformOrder

            return dict(PlatformOrder.objects.filter(pk__in=[package["order"].pk, voucher["order"].pk])
                        .values_list("number", "status"))

        assert committed(statuses) == {package["order"].number: "redeemed", voucher["order"].number: "redeemed"}
    finally:
        committed(forget_the_orders)  # before the public rows they point to (alpha's own clean-up runs later)
        committed_public(forget_the_platform)
