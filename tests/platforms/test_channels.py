"""The clinic's value-added services (tenant host, /channels/): applying for a platform, the
channel page of an approved one with its products resolved to the clinic's price list, the
inventory and the product description — and who may not, and another clinic's nothing."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import schema_context, tenant_context
from pypdf import PdfReader

from platforms.catalogue.models import Enrolment, Product
from platforms.models import ChannelStock, OrderStatus
from tests.factories import ServiceFactory, make_staff
from tests.platform_factories import PlatformFactory, enrol, make_order, product_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant):
    """Clinic alpha with an oral check-up and a cleaning in its price list; the insurer with a
    package (one code alpha lacks) and a voucher; Alipay, not applied for."""
    ServiceFactory(code="CON-08", name="Preventive check-up")
    ServiceFactory(code="DEN-06", name="Wisdom tooth extraction")
    insurer = PlatformFactory(code="insurer", name="Insurer benefits app", )
    alipay = PlatformFactory(code="alipay", name="Alipay", )
    package = product_with({"CON-08": 1, "XRAY-9": 2}, platform=insurer, code="PA-CHECK", name="Oral check-up package",
                           settlement_price=Decimal("180.00"))
    voucher = product_with({"DEN-06": 1}, platform=insurer, code="W-200", name="Wisdom-tooth voucher",
                           kind="cash_voucher")
    return {"insurer": insurer, "alipay": alipay, "package": package, "voucher": voucher,
            "manager": make_staff("manager"), "desk": make_staff("front_desk")}


def enrolled(world, clinic):
    enrol(clinic, world["insurer"], identifier="PA-ALPHA")
    connection.set_tenant(clinic)


def test_the_manager_applies_with_a_note_and_sees_the_status(world, client_for, clinic_a):
    client = client_for(world["manager"])
    page = client.get("/channels/").content.decode()
    assert "Insurer benefits app" in page and "Alipay" in page and "Not applied" in page
    response = client.post("/channels/alipay/apply/", {"note": "We have two dentists for check-ups"})
    assert response.status_code == 302 and response["Location"] == "/channels/"
    with schema_context("public"):
        enrolment = Enrolment.objects.get(clinic=clinic_a, platform=world["alipay"])
    assert (enrolment.status, enrolment.note) == ("applied", "We have two dentists for check-ups")
    assert enrolment.applied_by.startswith(world["manager"].full_name)
    page = client.get("/channels/").content.decode()
    assert "Applied, waiting for the operator" in page
    twice = client.post("/channels/alipay/apply/", {"note": ""}, follow=True).content.decode()
    assert "applied already" in twice


def test_a_declined_application_shows_its_reason_and_can_be_made_again(world, client_for, clinic_a):
    with schema_context("public"):
        Enrolment.objects.create(clinic=clinic_a, platform=world["alipay"], status="declined",
                                 reason="No licence for X-rays on file")
    client = client_for(world["manager"])
    page = client.get("/channels/").content.decode()
    assert "No licence for X-rays on file" in page and "Apply again" in page
    client.post("/channels/alipay/apply/", {"note": "Licence attached"})
    with schema_context("public"):
        assert Enrolment.objects.get(clinic=clinic_a, platform=world["alipay"]).status == "applied"


def test_the_channel_page_resolves_the_contents_to_the_price_list(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    ChannelStock.objects.create(product=world["package"], available=7)
    make_order(world["package"])
    make_order(world["package"], status=OrderStatus.CANCELLED)
    client = client_for(world["desk"])
    response = client.get("/channels/insurer/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Preventive check-up" in page and "Wisdom tooth extraction" in page and "PA-ALPHA" in page
    assert "XRAY-9 × 2</span>: not in the price list" in page
    assert "180.00 EUR" in page and "200.00 EUR" in page
    rows = {row["product"].code: row for row in response.context["rows"]}
    assert (rows["PA-CHECK"]["available"], rows["PA-CHECK"]["held"]) == (7, 1)
    assert (rows["W-200"]["available"], rows["W-200"]["held"]) == (0, 0)
    # The front desk sees the inventory but cannot change it.
    assert 'name="available"' not in page


def test_the_channel_page_queries_do_not_grow_with_its_products(world, client_for, clinic_a):
    from django.test.utils import CaptureQueriesContext

    enrolled(world, clinic_a)
    client = client_for(world["desk"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/channels/insurer/").status_code == 200
        return len(captured)

    queries()
    few = queries()
    for index in range(5):
        product = product_with({"CON-08": 1, f"X-{index}": 2}, platform=world["insurer"])
        ChannelStock.objects.create(product=product, available=3)
        make_order(product)
    assert queries() == few


def test_the_manager_sets_the_inventory(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    client = client_for(world["manager"])
    url = f"/channels/insurer/products/{world['package'].pk}/stock/"
    assert client.post(url, {"available": "50"}).status_code == 302
    assert ChannelStock.objects.get(product=world["package"]).available == 50
    refused = client.post(url, {"available": "-3"}, follow=True).content.decode()
    assert "Enter a whole number of at least 0." in refused
    assert ChannelStock.objects.get(product=world["package"]).available == 50


def test_the_clinic_downloads_the_product_description_with_its_own_names(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    response = client_for(world["desk"]).get(f"/channels/insurer/products/{world['package'].pk}/description.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Oral check-up package", "Insurer benefits app", "180.00 EUR", "Settlement price",
                     "Preventive check-up", "Not in the clinic's price list", "Alpha Clinic"):
        assert expected in text, expected


def test_the_front_desk_may_look_but_not_apply_or_set_the_inventory(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    client = client_for(world["desk"])
    assert client.get("/channels/").status_code == 200
    assert "/apply/" not in client.get("/channels/").content.decode()
    assert client.post("/channels/alipay/apply/", {"note": "x"}).status_code == 403
    assert client.post(f"/channels/insurer/products/{world['package'].pk}/stock/", {"available": "9"}).status_code == 403
    assert not ChannelStock.objects.filter(product=world["package"]).exists()
    with schema_context("public"):
        assert not Enrolment.objects.filter(platform=world["alipay"]).exists()


def test_roles_without_platform_work_are_refused(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    client = client_for(make_staff("doctor"))
    for path in ("/channels/", "/channels/insurer/", f"/channels/insurer/products/{world['package'].pk}/description.pdf"):
        assert client.get(path).status_code == 403, path
    anonymous = client_for(None)
    assert anonymous.get("/channels/")["Location"].startswith("/accounts/login/")


def test_a_channel_the_clinic_is_not_enrolled_with_is_a_404(world, client_for, clinic_a, clinic_b):
    # Beta is enrolled with the insurer; alpha only applied.
    enrol(clinic_b, world["insurer"], identifier="PA-BETA")
    with schema_context("public"):
        Enrolment.objects.create(clinic=clinic_a, platform=world["alipay"])
    connection.set_tenant(clinic_a)
    client = client_for(world["manager"])
    alipay_product = product_with({"CON-08": 1}, platform=world["alipay"])
    for path in ("/channels/insurer/", "/channels/alipay/", "/channels/nowhere/",
                 f"/channels/insurer/products/{world['package'].pk}/description.pdf",
                 f"/channels/alipay/products/{alipay_product.pk}/description.pdf"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/channels/insurer/products/{world['package'].pk}/stock/",
                       {"available": "5"}).status_code == 404
    assert client.post("/channels/nowhere/apply/").status_code == 404
    # Alpha's page does not show beta's enrolment (nor its identifier).
    page = client.get("/channels/").content.decode()
    assert "PA-BETA" not in page and "Not applied" in page


def test_a_product_of_another_platform_is_a_404_on_a_channel(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    other = product_with({"CON-08": 1}, platform=world["alipay"])
    client = client_for(world["manager"])
    assert client.get(f"/channels/insurer/products/{other.pk}/description.pdf").status_code == 404
    assert client.post(f"/channels/insurer/products/{other.pk}/stock/", {"available": "5"}).status_code == 404


def test_the_top_bar_shows_value_added_services_to_who_may_see_them(world, client_for):
    assert 'href="/channels/"' in client_for(world["desk"]).get("/").content.decode()
    assert 'href="/channels/"' not in client_for(make_staff("doctor")).get("/").content.decode()


def test_the_demo_platforms_are_seeded_once_with_the_price_lists_codes(clinic_b):
    from config.management.commands.seed_demo import SERVICES
    from platforms.demo import DEMO_STOCK, seed_platforms

    seed_platforms(clinic_b)
    seed_platforms(clinic_b)
    codes = {code for rows in SERVICES.values() for code, *_rest in rows}
    with schema_context("public"):
        products = list(Product.objects.filter(platform__code__in=["insurer", "alipay"]).prefetch_related("services"))
        assert {p.kind for p in products} == {"package", "cash_voucher"} and len(products) == 4
        assert all(line.service_code in codes for p in products for line in p.services.all())
        voucher = next(p for p in products if p.kind == "cash_voucher")
        assert voucher.face_value == Decimal("200.00")
        enrolments = Enrolment.objects.filter(clinic=clinic_b, platform__code__in=["insurer", "alipay"])
        assert sorted(e.status for e in enrolments) == ["approved", "approved"]
        from platforms.demo import DEMO_SECRETS

        for platform in {product.platform for product in products}:
            assert platform.signing_secrets() == [DEMO_SECRETS[platform.code]]
    with tenant_context(clinic_b):
        assert sorted(ChannelStock.objects.filter(product__in=products).values_list("available", flat=True)) == \
            [DEMO_STOCK] * 4


def test_the_description_prints_in_the_readers_language(world, client_for, clinic_a):
    enrolled(world, clinic_a)
    client = client_for(world["desk"])
    client.cookies["django_language"] = "zh-hans"
    response = client.get(f"/channels/insurer/products/{world['package'].pk}/description.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("结算价", "套餐内容", "不在诊所价目表中", "Oral check-up package"):
        assert expected in text, expected
