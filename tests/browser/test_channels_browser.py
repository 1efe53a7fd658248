"""The clinic's value-added services, used as a person would: a manager applies for a platform
with a note, sees the application waiting, and once the operator approved it opens the
channel, reads the products in the clinic's own service names, sets the inventory and
downloads a product's description. Photographed for the README."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import log_in, nav_link
from tests.browser.platforms_cleanup import forget_platforms


@pytest.fixture
def world(unique, committed, committed_public, clinic_a):
    """Alpha's price list with a check-up, an X-ray and an extraction; the insurer (alpha
    enrolled) and Alipay (not applied for), each with products naming those codes."""
    codes = {name: f"{name}-{unique[:4]}".upper() for name in ("chk", "xray", "wis")}
    insurer, alipay = f"ins-{unique}", f"ali-{unique}"

    def price_list():
        from tests.factories import ServiceFactory

        ServiceFactory(code=codes["chk"], name="Preventive check-up", price=Decimal("950.00"))
        ServiceFactory(code=codes["xray"], name="Panoramic dental X-ray", price=Decimal("350.00"))
        ServiceFactory(code=codes["wis"], name="Wisdom tooth extraction", price=Decimal("1500.00"))

    def platforms():
        from datetime import date

        from tests.platform_factories import PlatformFactory, enrol, product_with

        first = PlatformFactory(code=insurer, name="Insurer benefits app", currency="EUR")
        product_with({codes["chk"]: 1, codes["xray"]: 1}, platform=first, code="PA-ORAL-CHECK",
                     name="Oral check-up package", settlement_price=Decimal("180.00"), valid_from=date(2026, 1, 1))
        enrol(clinic_a, first, identifier="PA-ALPHA-0001")
        second = PlatformFactory(code=alipay, name="Alipay", currency="EUR")
        product_with({codes["chk"]: 1, "DEN-01": 1}, platform=second, code="ALI-CLEAN",
                     name="Cleaning and check-up package", settlement_price=Decimal("298.00"),
                     valid_from=date(2026, 1, 1))
        product_with({codes["wis"]: 1, codes["xray"]: 1}, platform=second, code="ALI-WISDOM-200",
                     kind="cash_voucher", name="200-yuan wisdom-tooth extraction voucher",
                     valid_from=date(2026, 1, 1), valid_to=date(2027, 12, 31))

    committed(price_list)
    committed_public(platforms)
    yield {"insurer": insurer, "alipay": alipay, "codes": codes}
    forget_platforms(committed, committed_public, [insurer, alipay])


def test_a_manager_applies_then_sets_the_inventory_and_downloads_the_description(
        page, world, make_alpha_staff, committed, committed_public, clinic_a, screenshot, tmp_path):
    manager = make_alpha_staff("manager")
    log_in(page, manager.email)
    nav_link(page, "Value-added services").click()
    alipay = page.locator(f'[data-platform="{world["alipay"]}"]')
    expect(alipay).to_contain_text("Not applied")
    expect(page.locator(f'[data-platform="{world["insurer"]}"]')).to_contain_text("Enrolled")
    alipay.get_by_label("Note to the operator (optional)").fill("Two dentists do check-ups and extractions")
    alipay.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("The clinic has applied for Alipay; the operator decides.")).to_be_visible()
    expect(alipay).to_contain_text("Applied, waiting for the operator")
    screenshot(page, "channels.png")

    def operator_approves():
        from platforms.catalogue.models import Enrolment
        from platforms.catalogue.services import approve_enrolment

        approve_enrolment(Enrolment.objects.get(clinic=clinic_a, platform__code=world["alipay"]),
                          identifier="2088-ALPHA-01", actor=None)

    committed_public(operator_approves)
    page.reload()
    expect(alipay).to_contain_text("Enrolled")
    expect(alipay).to_contain_text("2088-ALPHA-01")
    alipay.get_by_role("link", name="Open the channel").click()
    expect(page.get_by_role("heading", name="Alipay")).to_be_visible()

    voucher = page.locator('tr[data-product="ALI-WISDOM-200"]')
    expect(voucher).to_contain_text("200.00 EUR")
    expect(voucher).to_contain_text("Wisdom tooth extraction")
    package = page.locator('tr[data-product="ALI-CLEAN"]')
    expect(package).to_contain_text("298.00 EUR")
    expect(package).to_contain_text("Preventive check-up")
    expect(package).to_contain_text("DEN-01 × 1: not in the price list")

    for row in (package, voucher):
        row.get_by_role("spinbutton").fill("50")
        row.get_by_role("button", name="Set").click()
        expect(page.get_by_text(re.compile(r"The platform may now sell 50 of"))).to_be_visible()
    expect(package.get_by_role("spinbutton")).to_have_value("50")
    expect(package.locator(".held-count")).to_have_text("0")
    screenshot(page, "channel-detail.png")

    def stock():
        from platforms.models import ChannelStock

        return sorted(ChannelStock.objects.filter(product__platform__code=world["alipay"])
                      .values_list("product__code", "available"))

    assert committed(stock) == [("ALI-CLEAN", 50), ("ALI-WISDOM-200", 50)]

    with page.expect_download() as info:
        voucher.get_by_role("link", name="Description (PDF)").click()
    download = info.value
    assert download.suggested_filename == f"{world['alipay']}-ALI-WISDOM-200.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    for expected in ("200-yuan wisdom-tooth extraction voucher", "Alipay", "200.00 EUR", "Face value",
                     "Wisdom tooth extraction", world["codes"]["wis"], "Alpha Clinic"):
        assert expected in text, expected


def test_the_front_desk_sees_the_channel_but_changes_nothing(page, world, make_alpha_staff):
    desk = make_alpha_staff("front_desk")
    log_in(page, desk.email)
    nav_link(page, "Value-added services").click()
    expect(page.locator(f'[data-platform="{world["alipay"]}"]')).to_contain_text("Not applied")
    expect(page.get_by_role("button", name="Apply")).to_have_count(0)
    page.locator(f'[data-platform="{world["insurer"]}"]').get_by_role("link", name="Open the channel").click()
    row = page.locator('tr[data-product="PA-ORAL-CHECK"]')
    expect(row).to_contain_text("Panoramic dental X-ray")
    expect(row.locator(".stock-value")).to_have_text("0")
    expect(page.get_by_role("spinbutton")).to_have_count(0)
