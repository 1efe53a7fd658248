"""Importing a platform's orders from its xlsx/csv export: all rows stored as new orders taking
inventory, or a row-by-row report and nothing saved; only a manager, only enrolled platforms."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context, tenant_context

from platforms.models import ChannelStock, PlatformOrder
from tests.platform_factories import PlatformFactory, enrol, make_order, product_with

URL = "/platform-orders/import/"
HEADER = "Order number,Product code,Name,Phone,Purchased at\n"


@pytest.fixture
def world(tenant, clinic_a):
    platform = PlatformFactory(code="insurer", name="Insurer benefits")
    product = product_with({"CHK": 1}, platform=platform, code="CHECKUP", name="Check-up")
    enrol(clinic_a, platform, identifier="alpha-insurer")
    ChannelStock.objects.create(product=product, available=3)
    return {"platform": platform, "product": product}


def csv_file(rows: str, header: str = HEADER, name: str = "orders.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (header + rows).encode(), content_type="text/csv")


def upload(client, platform, file):
    return client.post(URL, {"platform": platform.pk, "file": file})


def test_a_manager_imports_every_row_as_a_new_order_taking_inventory(world, manager, client_for):
    rows = ("A-1,CHECKUP,Li Wei,+86 138 0013 8000,2026-11-03 14:20\n"
            "A-2,checkup,Ana Rusu,0721 234 567,2026/11/04 09:05:00\n")
    client = client_for(manager)
    response = upload(client, world["platform"], csv_file(rows))

    assert response.status_code == 302, response.content.decode()[:2000]
    orders = list(PlatformOrder.objects.order_by("number"))
    assert [(o.number, o.customer_name, o.customer_phone, o.source, o.status) for o in orders] == [
        ("A-1", "Li Wei", "+8613800138000", "import", "new"),
        ("A-2", "Ana Rusu", "+40721234567", "import", "new")]
    # Without an offset the time is the clinic's (Europe/Bucharest, UTC+2 in November).
    assert orders[0].purchased_at == datetime(2026, 11, 3, 12, 20, tzinfo=UTC)
    assert orders[0].price == world["product"].settlement_price
    event = orders[0].events.get()
    assert (event.action, event.to_status, event.actor, event.details) == (
        "imported", "new", manager, {"line": 2, "file": "orders.csv"})
    from django.utils import translation

    with translation.override("en"):
        assert event.text == "Line 2 of orders.csv"
    with translation.override("ro"):
        assert event.text != "Line 2 of orders.csv" and "orders.csv" in event.text
    assert ChannelStock.objects.get(product=world["product"]).available == 1
    page = client.get(response["Location"])
    assert "2 orders of Insurer benefits imported" in page.content.decode()


def test_an_xlsx_export_with_date_cells_is_imported(world, manager, client_for):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Order number", "Product code", "Name", "Phone", "Purchased at"])
    sheet.append([20261103001, "CHECKUP", "Zhang Min", "+86 13800138001", datetime(2026, 11, 3, 8, 0)])
    content = io.BytesIO()
    workbook.save(content)
    file = SimpleUploadedFile("export.xlsx", content.getvalue())
    assert upload(client_for(manager), world["platform"], file).status_code == 302
    order = PlatformOrder.objects.get()
    assert (order.number, order.customer_phone) == ("20261103001", "+8613800138001")
    assert order.purchased_at == datetime(2026, 11, 3, 6, 0, tzinfo=UTC)


def test_every_wrong_row_is_reported_and_nothing_is_saved(world, manager, client_for):
    make_order(world["product"], number="OLD-1")
    rows = ("A-1,CHECKUP,Li Wei,+86 138 0013 8000,2026-11-03 14:20\n"
            "A-2,NOPE,Ana Rusu,+40721234567,2026-11-03 14:20\n"
            "A-1,CHECKUP,Ion Popescu,+40721234568,2026-11-03 14:20\n"
            "A-4,CHECKUP,,12,yesterday\n"
            "A-5,CHECKUP,Maria Ciobanu,+40721234569,2099-01-01 10:00\n"
            "\n"
            "OLD-1,CHECKUP,Elena Rusu,+40721234570,2026-11-03 14:20\n")
    response = upload(client_for(manager), world["platform"], csv_file(rows))

    assert response.status_code == 200
    errors = [(e.line, e.column, e.reason) for e in response.context["errors"]]
    assert errors == [
        (3, "Product code", "The platform sells no product of this code."),
        (4, "Order number", "The same order number is already on line 2."),
        (5, "Name", "This value is required."),
        (5, "Phone", "Enter a valid phone number."),
        (5, "Purchased at", "Enter a date and time such as 2026-11-03 14:20."),
        (6, "Purchased at", "The purchase time is in the future."),
    ]
    assert "Nothing was saved." in response.content.decode()
    assert list(PlatformOrder.objects.values_list("number", flat=True)) == ["OLD-1"]
    assert ChannelStock.objects.get(product=world["product"]).available == 3


def test_numbers_already_recorded_and_orders_beyond_stock_are_reported(world, manager, client_for):
    make_order(world["product"], number="OLD-1")
    ChannelStock.objects.filter(product=world["product"]).update(available=1)
    rows = ("OLD-1,CHECKUP,Elena Rusu,+40721234570,2026-11-03 14:20\n"
            "A-1,CHECKUP,Li Wei,+8613800138000,2026-11-03 14:20\n"
            "A-2,CHECKUP,Ana Rusu,+40721234567,2026-11-03 14:20\n")
    response = upload(client_for(manager), world["platform"], csv_file(rows))

    assert [(e.line, e.column, e.reason) for e in response.context["errors"]] == [
        (2, "Order number", "An order of this number is already recorded."),
        (4, "Product code", "The channel's inventory of this product is used up."),
    ]
    assert PlatformOrder.objects.count() == 1
    assert ChannelStock.objects.get(product=world["product"]).available == 1


def test_a_product_not_on_sale_on_the_purchase_day_is_reported(world, manager, client_for):
    from datetime import date

    world["product"].valid_to = date(2026, 10, 31)
    world["product"].save()
    rows = "A-1,CHECKUP,Li Wei,+8613800138000,2026-11-01 10:00\n"
    response = upload(client_for(manager), world["platform"], csv_file(rows))
    assert [(e.line, e.column, e.reason) for e in response.context["errors"]] == [
        (2, "Product code", "The product was not on sale on the day it was bought.")]
    assert not PlatformOrder.objects.exists()


def test_a_missing_column_is_reported_on_the_first_line(world, manager, client_for):
    response = upload(client_for(manager), world["platform"],
                      csv_file("A-1,CHECKUP,Li Wei\n", header="Order number,Product code,Name\n"))
    assert [(e.line, e.column, e.reason) for e in response.context["errors"]] == [
        (1, "Phone", "This column is missing."), (1, "Purchased at", "This column is missing.")]
    assert not PlatformOrder.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_by_the_upload_checks(world, manager, client_for):
    file = SimpleUploadedFile("orders.csv", b"%PDF-1.4 not really", content_type="text/csv")
    response = upload(client_for(manager), world["platform"], file)
    assert response.status_code == 200
    assert "This file is not an .xlsx or .csv file." in response.content.decode()
    assert not PlatformOrder.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "doctor", "finance"])
def test_roles_without_the_import_permission_are_refused(world, make_user, client_for, role):
    client = client_for(make_user(role))
    assert client.get(URL).status_code == 403
    rows = "A-1,CHECKUP,Li Wei,+8613800138000,2026-11-03 14:20\n"
    assert upload(client, world["platform"], csv_file(rows)).status_code == 403
    assert not PlatformOrder.objects.exists()


def test_only_the_clinics_approved_platforms_are_offered(world, manager, client_for, clinic_b):
    other = PlatformFactory(code="alipay", name="Alipay")
    product_with({"CHK": 1}, platform=other, code="CHECKUP")
    enrol(clinic_b, other, identifier="beta-alipay")  # beta's platform, not alpha's
    applied = PlatformFactory(code="applied", name="Applied only")
    with schema_context("public"):
        from platforms.catalogue.models import Enrolment

        Enrolment.objects.create(clinic=world["platform"].enrolments.get().clinic, platform=applied)
    client = client_for(manager)
    page = client.get(URL)
    choices = [str(c[1]) for c in page.context["form"].fields["platform"].choices][1:]
    assert choices == ["Insurer benefits"]
    rows = "A-1,CHECKUP,Li Wei,+8613800138000,2026-11-03 14:20\n"
    for platform in (other, applied):
        response = upload(client, platform, csv_file(rows))
        assert response.status_code == 200
        assert "platform" in response.context["form"].errors
    assert not PlatformOrder.objects.exists()
    with tenant_context(clinic_b):
        assert not PlatformOrder.objects.exists()


def test_another_clinics_host_does_not_know_this_manager(world, manager, client_for, clinic_b):
    from django.test import Client

    client = client_for(manager)
    other_host = Client(HTTP_HOST=clinic_b.primary_domain)
    other_host.cookies = client.cookies  # the session cookie is host-only; even sent, it means nothing there
    response = other_host.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_clinic_enrolled_with_no_platform_is_told_so(manager, client_for):
    page = client_for(manager).get(URL)
    assert page.status_code == 200
    assert 'id="not-enrolled"' in page.content.decode()
