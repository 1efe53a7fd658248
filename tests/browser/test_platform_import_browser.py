"""A manager imports a platform's order export in chromium: a file with a wrong row is refused
row by row with nothing saved; the corrected file becomes orders awaiting confirmation."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import nav_link


@pytest.fixture
def enrolled_platform(committed, committed_public, clinic_a):
    """A committed platform alpha is enrolled with, a product with 5 in stock; removed afterwards."""
    from auditlog.models import LogEntry

    from platforms.catalogue.models import Enrolment, Platform, Product
    from platforms.models import ChannelStock, OrderEvent, PlatformOrder
    from tests.platform_factories import PlatformFactory, enrol, product_with

    code = f"imp{uuid.uuid4().hex[:8]}"

    def build():
        platform = PlatformFactory(code=code, name="Dental benefits club")
        product = product_with({"CLEAN": 1}, platform=platform, code="CLEANING", name="Cleaning")
        enrol(clinic_a, platform, identifier=f"alpha-{code}")
        return platform, product

    platform, product = committed_public(build)
    committed(lambda: ChannelStock.objects.create(product=product, available=5))
    yield platform, product

    def clinic_side():
        ids = list(PlatformOrder.objects.filter(platform=platform).values_list("id", flat=True))
        # Raw deletes: a collector would follow every model that refers to orders (none here).
        OrderEvent.objects.filter(order_id__in=ids)._raw_delete("default")
        PlatformOrder.objects.filter(id__in=ids)._raw_delete("default")
        ChannelStock.objects.filter(product=product)._raw_delete("default")

    def public_side():
        Enrolment.objects.filter(platform=platform).delete()
        LogEntry.objects.filter(content_type__app_label="platform_catalogue").delete()
        # Not .delete(): its collector would look for the clinics' order tables here.
        product.services.all().delete()
        Product.objects.filter(pk=product.pk)._raw_delete("default")
        platform.secrets.all().delete()
        Platform.objects.filter(pk=platform.pk)._raw_delete("default")

    committed(clinic_side)
    committed_public(public_side)


def test_manager_imports_a_platform_order_export_all_or_nothing(
    page, login, make_alpha_staff, committed, enrolled_platform, screenshot, axe
):
    from platforms.models import ChannelStock, PlatformOrder

    platform, product = enrolled_platform
    manager = make_alpha_staff("manager")
    login(page, manager.email)
    nav_link(page, "Import platform orders").click()
    expect(page.get_by_role("heading", level=1, name="Import platform orders")).to_be_visible()
    axe(page)

    header = "Order number,Product code,Name,Phone,Purchased at\n"
    bad = (header
           + "DBC-1001,CLEANING,Elena Rusu,+40 721 234 567,2026-11-03 14:20\n"
           + "DBC-1002,WHITENING,Ion Popescu,0721 234 568,2026-11-03 15:05\n"
           + "DBC-1003,CLEANING,Maria Ciobanu,12,2026-11-04 09:00\n")
    page.get_by_label("Platform").select_option(label="Dental benefits club")
    upload = page.get_by_label("Orders file (.xlsx or .csv)")
    upload.set_input_files({"name": "club-orders.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    page.get_by_role("button", name="Import", exact=True).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The file was not imported: 2 problems were found.")
    expect(alert).to_contain_text("Nothing was saved.")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td")).to_have_text(["3", "Product code",
                                                      "The platform sells no product of this code."])
    expect(errors.nth(1).locator("td")).to_have_text(["4", "Phone", "Enter a valid phone number."])
    assert committed(lambda: PlatformOrder.objects.filter(platform=platform).count()) == 0
    screenshot(page, "platform-order-import.png")

    good = (header
            + "DBC-1001,CLEANING,Elena Rusu,+40 721 234 567,2026-11-03 14:20\n"
            + "DBC-1003,CLEANING,Maria Ciobanu,0721 234 569,2026-11-04 09:00\n")
    page.get_by_label("Platform").select_option(label="Dental benefits club")
    upload.set_input_files({"name": "club-orders.csv", "mimeType": "text/csv", "buffer": good.encode()})
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text(
        "2 orders of Dental benefits club imported: they await confirmation.")
    stored = committed(lambda: list(PlatformOrder.objects.filter(platform=platform).order_by("number")
                                    .values_list("number", "customer_phone", "source", "status")))
    assert stored == [("DBC-1001", "+40721234567", "import", "new"), ("DBC-1003", "+40721234569", "import", "new")]
    assert committed(lambda: ChannelStock.objects.get(product=product).available) == 3
