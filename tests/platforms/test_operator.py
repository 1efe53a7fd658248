"""The operator's side of platforms (public host, /operator/): platforms and their signing
secrets (shown once, rotated with an overlap), products of both kinds with their description
PDF, and the clinics' enrolments approved or declined — and who may not reach any of it."""

import base64
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse as _reverse
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader
from standardwebhooks import Webhook

from clinic.accounts.models import User
from clinic.errors import DomainError
from platforms.catalogue import services
from platforms.catalogue.models import Enrolment, Platform, Product, SigningSecret
from tests.factories import pass_second_factor
from tests.platform_factories import PlatformFactory, ProductFactory, product_with

pytestmark = pytest.mark.django_db
PUBLIC = "localhost"
NOW = timezone.make_aware(timezone.datetime(2026, 3, 10, 9, 0))


def reverse(name, *args):
    return _reverse(name, urlconf="config.urls_public", args=args)


@pytest.fixture
def operator():
    connection.set_schema_to_public()
    return User.objects.create_user("op@example.com", "Olga Operator", "operator-pw-2026", is_operator=True)


@pytest.fixture
def console(operator):
    """A client signed in to the operator console with both factors."""
    client = Client(HTTP_HOST=PUBLIC)
    client.force_login(operator)
    pass_second_factor(client, operator)
    return client


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- services ---------------------------------------------------------------------------------


def test_a_new_platform_gets_a_standard_webhooks_secret_that_verifies(operator):
    platform, secret = services.create_platform(
        services.PlatformData(code="Insurer", name="Insurer benefits app", currency="CNY"), actor=operator)
    assert platform.code == "insurer"
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert platform.signing_secrets() == [secret]
    assert SigningSecret.objects.get(platform=platform).created_by == operator
    # The spec's own library signs and verifies with it.
    body = json.dumps({"order": "A-1"})
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(timezone.now().timestamp()))}
    headers["webhook-signature"] = Webhook(secret).sign("msg_1", timezone.now(), body)
    assert Webhook(platform.signing_secrets()[0]).verify(body, headers) == {"order": "A-1"}


def test_a_platform_code_is_checked_and_unique(operator):
    PlatformFactory(code="alipay")
    for code, message in (("alipay", "Another platform"), ("9x", "lower-case"), ("", "lower-case")):
        with pytest.raises(DomainError, match=message) as caught:
            services.create_platform(services.PlatformData(code=code, name="X", currency="CNY"), actor=operator)
        assert caught.value.field == "code"
    assert Platform.objects.filter(name="X").count() == 0


def test_rotating_keeps_the_old_secret_for_the_overlap_only(operator):
    with time_machine.travel(NOW, tick=False):
        platform, first = services.create_platform(
            services.PlatformData(code="alipay", name="Alipay", currency="CNY"), actor=operator)
        second = services.rotate_secret(platform, overlap=timedelta(hours=24), actor=operator)
        assert second != first and set(platform.signing_secrets()) == {first, second}
        old = SigningSecret.objects.get(secret=first)
        assert old.retires_at == NOW + timedelta(hours=24)
        assert SigningSecret.objects.get(secret=second).retires_at is None
    assert platform.signing_secrets(at=NOW + timedelta(hours=23, minutes=59)) == [second, first]
    assert platform.signing_secrets(at=NOW + timedelta(hours=24)) == [second]
    # A second rotation within the overlap: only the one before the current stays accepted.
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        third = services.rotate_secret(platform, overlap=timedelta(days=7), actor=operator)
        assert set(platform.signing_secrets()) == {second, third}
    assert SigningSecret.objects.filter(platform=platform, retires_at__isnull=True).get().secret == third


def test_rotating_at_once_leaves_only_the_new_secret(operator):
    platform, first = services.create_platform(
        services.PlatformData(code="alipay", name="Alipay", currency="CNY"), actor=operator)
    new = services.rotate_secret(platform, overlap=timedelta(0), actor=operator)
    assert platform.signing_secrets() == [new]
    with pytest.raises(DomainError):
        services.rotate_secret(platform, overlap=timedelta(days=-1), actor=operator)


def test_the_code_cannot_change_once_clinics_applied(operator, clinic_a):
    platform = PlatformFactory(code="insurer")
    Enrolment.objects.create(clinic=clinic_a, platform=platform)
    data = services.PlatformData(code="insurer-2", name="Renamed", currency="CNY")
    with pytest.raises(DomainError, match="code can no longer change"):
        services.update_platform(platform, data, actor=operator)
    data.code = "insurer"
    services.update_platform(platform, data, actor=operator)
    platform.refresh_from_db()
    assert platform.name == "Renamed"


def product_data(**overrides):
    data = {"code": "PA-CHECK", "name": "Oral check-up", "kind": "package", "price": Decimal("180"),
            "valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31), "contents": "CON-08 × 1\ndia-01 x 2"}
    data.update(overrides)
    return services.ProductData(**data)


def test_a_package_keeps_its_services_quantities_and_settlement_price(operator):
    platform = PlatformFactory(currency="CNY")
    product = services.save_product(platform, product_data(price=Decimal("180.005")), actor=operator)
    assert (product.kind, product.settlement_price, product.face_value) == ("package", Decimal("180.01"), None)
    assert [(s.service_code, s.quantity) for s in product.services.all()] == [("CON-08", 1), ("DIA-01", 2)]
    assert services.contents_text(product) == "CON-08 × 1\nDIA-01 × 2"
    # Edited: a line removed, one changed, one added.
    services.save_product(platform, product_data(contents="DIA-01*3\nDEN-01"), product=product, actor=operator)
    assert [(s.service_code, s.quantity) for s in product.services.all()] == [("DIA-01", 3), ("DEN-01", 1)]


def test_a_cash_voucher_has_a_face_value_and_no_quantities(operator):
    platform = PlatformFactory()
    voucher = services.save_product(platform, product_data(kind="cash_voucher", code="WISDOM-200", price="200",
                                                           contents="DEN-06\nDIA-01"), actor=operator)
    assert (voucher.face_value, voucher.settlement_price, voucher.price) == (Decimal("200.00"), None,
                                                                            Decimal("200.00"))
    with pytest.raises(DomainError, match="without quantities"):
        services.save_product(platform, product_data(kind="cash_voucher", code="V2", contents="DEN-06 × 2"),
                              actor=operator)


@pytest.mark.parametrize("overrides, field, message", [
    ({"contents": ""}, "contents", "at least one service"),
    ({"contents": "CON-08 × 1\nCON-08 × 2"}, "contents", "Line 2: CON-08 is named twice"),
    ({"contents": "CON-08 × two"}, "contents", "Line 1: write a service code"),
    ({"contents": "CON-08 × 0"}, "contents", "Line 1: the quantity must be from 1 to 99"),
    ({"price": Decimal("0")}, "price", "settlement price"),
    ({"price": None, "kind": "cash_voucher"}, "price", "face value"),
    ({"valid_to": date(2025, 12, 31)}, "valid_to", "cannot be before"),
    ({"valid_from": None}, "valid_from", "first day"),
    ({"kind": "gift"}, "kind", "package or a cash voucher"),
])
def test_a_product_with_bad_input_is_refused_with_a_clear_message(operator, overrides, field, message):
    platform = PlatformFactory()
    with pytest.raises(DomainError, match=message) as caught:
        services.save_product(platform, product_data(**overrides), actor=operator)
    assert caught.value.field == field
    assert not Product.objects.filter(platform=platform).exists()


def test_a_product_code_is_once_per_platform(operator):
    platform = PlatformFactory()
    services.save_product(platform, product_data(), actor=operator)
    with pytest.raises(DomainError, match="product with this code"):
        services.save_product(platform, product_data(name="Another"), actor=operator)
    services.save_product(PlatformFactory(), product_data(), actor=operator)  # another platform: fine


def test_approving_records_the_identifier_who_and_when(operator, clinic_a, clinic_b):
    platform = PlatformFactory()
    first = Enrolment.objects.create(clinic=clinic_a, platform=platform, note="We do check-ups")
    second = Enrolment.objects.create(clinic=clinic_b, platform=platform)
    with time_machine.travel(NOW, tick=False):
        services.approve_enrolment(first, identifier=" PA-0001 ", actor=operator)
    first.refresh_from_db()
    assert (first.status, first.identifier, first.decided_by, first.decided_at) == ("approved", "PA-0001",
                                                                                    operator, NOW)
    with pytest.raises(DomainError, match="Another clinic has this identifier"):
        services.approve_enrolment(second, identifier="PA-0001", actor=operator)
    with pytest.raises(DomainError, match="identifier"):
        services.approve_enrolment(second, identifier="has space", actor=operator)
    with pytest.raises(DomainError, match="decided already"):
        services.decline_enrolment(first, reason="Changed our mind", actor=operator)
    second.refresh_from_db()
    assert second.status == "applied" and second.identifier == ""


def test_declining_needs_a_reason_and_the_clinic_may_apply_again(operator, clinic_a, manager):
    platform = PlatformFactory()
    connection.set_schema_to_public()
    enrolment = services.apply_for_platform(clinic_a, platform, note="Please", actor=manager)
    assert enrolment.applied_by.startswith(manager.full_name)
    with pytest.raises(DomainError, match="Say why"):
        services.decline_enrolment(enrolment, reason="  ", actor=operator)
    services.decline_enrolment(enrolment, reason="No licence for X-rays on file", actor=operator)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.reason, enrolment.decided_by) == ("declined",
                                                                          "No licence for X-rays on file", operator)
    again = services.apply_for_platform(clinic_a, platform, note="Licence attached", actor=manager)
    assert (again.pk, again.status, again.reason, again.note, again.decided_by) == (
        enrolment.pk, "applied", "", "Licence attached", None)
    with pytest.raises(DomainError, match="applied already"):
        services.apply_for_platform(clinic_a, platform, actor=manager)
    services.approve_enrolment(again, identifier="A-1", actor=operator)
    with pytest.raises(DomainError, match="enrolled with this platform already"):
        services.apply_for_platform(clinic_a, platform, actor=manager)


def test_an_inactive_platform_takes_no_application(clinic_a, manager):
    platform = PlatformFactory(is_active=False)
    connection.set_schema_to_public()
    with pytest.raises(DomainError, match="no applications"):
        services.apply_for_platform(clinic_a, platform, actor=manager)
    assert not Enrolment.objects.filter(platform=platform).exists()


# --- the pages --------------------------------------------------------------------------------


def test_the_operator_creates_a_platform_and_sees_its_secret_once(console):
    response = console.post(reverse("operator_platform_create"), {
        "code": "alipay", "name": "Alipay", "currency": "CNY", "invoice_details": "Alipay Co.",
        "mailing_address": "Hangzhou", "is_active": "on"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    platform = Platform.objects.get(code="alipay")
    secret = platform.secrets.get().secret
    assert secret in response.content.decode()
    page = console.get(reverse("operator_platform", platform.pk)).content.decode()
    assert secret not in page and "Alipay" in page
    listing = console.get(reverse("operator_platforms")).content.decode()
    assert 'data-platform="alipay"' in listing


def test_a_bad_platform_form_is_shown_again_with_its_errors(console):
    PlatformFactory(code="alipay")
    response = console.post(reverse("operator_platform_create"), {"code": "alipay", "name": "Alipay 2",
                                                                  "currency": "CNY"})
    assert response.status_code == 422
    assert "Another platform has this code already." in response.content.decode()


def test_rotating_from_the_page_shows_the_new_secret_once(console):
    platform, first = services.create_platform(services.PlatformData(code="alipay", name="Alipay", currency="CNY"),
                                               actor=None)
    response = console.post(reverse("operator_platform_rotate", platform.pk), {"overlap": "1h"})
    new = platform.secrets.get(retires_at__isnull=True).secret
    assert response.status_code == 200 and new in response.content.decode() and first not in response.content.decode()
    old = platform.secrets.get(secret=first)
    assert timedelta(minutes=59) < old.retires_at - timezone.now() <= timedelta(hours=1)
    page = console.get(reverse("operator_platform", platform.pk)).content.decode()
    assert "Accepted until" in page and new not in page


def test_the_operator_edits_a_platform(console):
    platform = PlatformFactory(code="alipay", name="Alipay")
    response = console.post(reverse("operator_platform", platform.pk), {
        "code": "alipay", "name": "Alipay (Ant Group)", "currency": "CNY", "mailing_address": "Hangzhou"})
    assert response.status_code == 302
    platform.refresh_from_db()
    assert (platform.name, platform.mailing_address, platform.is_active) == ("Alipay (Ant Group)", "Hangzhou", False)


def test_the_operator_adds_and_edits_a_product_from_the_form(console):
    platform = PlatformFactory(code="insurer", currency="CNY")
    form = {"kind": "package", "code": "PA-CLEAN", "name": "Cleaning package", "price": "260,00",
            "contents": "DEN-01 × 1\nDEN-08 × 1", "valid_from": "2026-01-01", "valid_to": ""}
    response = console.post(reverse("operator_product_create", platform.pk), form)
    assert response.status_code == 302
    product = Product.objects.get(platform=platform, code="PA-CLEAN")
    assert product.settlement_price == Decimal("260.00") and product.valid_to is None
    edit = console.get(reverse("operator_product", product.pk)).content.decode()
    assert "DEN-01 × 1\nDEN-08 × 1" in edit
    bad = console.post(reverse("operator_product", product.pk), {**form, "contents": "DEN-01 × 1\nDEN-01 × 3"})
    assert bad.status_code == 422 and "Line 2: DEN-01 is named twice." in bad.content.decode()
    assert product.services.count() == 2


def test_the_product_description_is_a_real_pdf(console):
    voucher = product_with({"DEN-06": 1}, kind="cash_voucher", name="Wisdom-tooth voucher", code="WISDOM-200",
                           platform=PlatformFactory(name="Alipay", currency="CNY"), valid_from=date(2026, 1, 1),
                           valid_to=date(2026, 12, 31))
    response = console.get(reverse("operator_product_pdf", voucher.pk))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for expected in ("Wisdom-tooth voucher", "Alipay", "WISDOM-200", "200.00 CNY", "DEN-06", "Face value",
                     date_format(date(2026, 1, 1), "SHORT_DATE_FORMAT"),
                     date_format(date(2026, 12, 31), "SHORT_DATE_FORMAT")):
        assert expected in text, expected


def test_the_enrolment_list_filters_and_the_operator_decides(console, operator, clinic_a, clinic_b):
    platform = PlatformFactory(name="Alipay")
    waiting = Enrolment.objects.create(clinic=clinic_a, platform=platform, note="Ready to start")
    declined = Enrolment.objects.create(clinic=clinic_b, platform=PlatformFactory(name="Insurer"),
                                        status="declined", reason="Outside the region")
    page = console.get(reverse("operator_enrolments")).content.decode()
    assert "Ready to start" in page and "Outside the region" not in page
    assert "Outside the region" in console.get(reverse("operator_enrolments") + "?status=declined").content.decode()
    everything = console.get(reverse("operator_enrolments") + "?status=").content.decode()
    assert "Outside the region" in everything and "Ready to start" in everything
    alipay_only = console.get(reverse("operator_enrolments") + f"?status=&platform={platform.pk}").content.decode()
    assert "Ready to start" in alipay_only and "Outside the region" not in alipay_only
    refused = console.post(reverse("operator_enrolment_approve", waiting.pk), {"identifier": ""}, follow=True)
    assert "Alpha Clinic at Alipay" in refused.content.decode()
    response = console.post(reverse("operator_enrolment_approve", waiting.pk), {"identifier": "2088-A"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.identifier, waiting.decided_by) == ("approved", "2088-A", operator)
    again = console.post(reverse("operator_enrolment_decline", waiting.pk), {"reason": "Too late"}, follow=True)
    assert "decided already" in again.content.decode()
    assert declined.status == "declined"


def test_the_enrolment_and_platform_lists_queries_do_not_grow_with_their_rows(console, clinic_a, clinic_b):
    from django.test.utils import CaptureQueriesContext

    def queries():
        counts = []
        for name in ("operator_enrolments", "operator_platforms"):
            with CaptureQueriesContext(connection) as captured:
                assert console.get(reverse(name) + ("?status=" if name == "operator_enrolments" else "")).status_code == 200
            counts.append(len(captured))
        return counts

    def add_rows(number):
        for _index in range(number):
            platform = PlatformFactory()
            ProductFactory(platform=platform)
            Enrolment.objects.create(clinic=clinic_a, platform=platform)
            Enrolment.objects.create(clinic=clinic_b, platform=platform, status="declined", reason="No")

    add_rows(1)
    queries()  # the session's first requests load what is cached afterwards
    few = queries()
    add_rows(8)
    assert queries() == few


def test_a_declined_reason_is_required_on_the_page(console, clinic_a):
    enrolment = Enrolment.objects.create(clinic=clinic_a, platform=PlatformFactory())
    console.post(reverse("operator_enrolment_decline", enrolment.pk), {"reason": ""})
    enrolment.refresh_from_db()
    assert enrolment.status == "applied"
    console.post(reverse("operator_enrolment_decline", enrolment.pk), {"reason": "Missing licence"})
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.reason) == ("declined", "Missing licence")


# --- who may not ------------------------------------------------------------------------------


def operator_pages():
    """Every page of the console's platform part (GET or POST), with an object for its id."""
    platform = PlatformFactory()
    product = ProductFactory(platform=platform)
    enrolment = Enrolment.objects.create(clinic_id=_alpha_id(), platform=platform)
    return [("get", reverse("operator_platforms")), ("get", reverse("operator_platform_create")),
            ("get", reverse("operator_platform", platform.pk)), ("post", reverse("operator_platform_rotate", platform.pk)),
            ("get", reverse("operator_product_create", platform.pk)), ("get", reverse("operator_product", product.pk)),
            ("get", reverse("operator_product_pdf", product.pk)), ("get", reverse("operator_enrolments")),
            ("post", reverse("operator_enrolment_approve", enrolment.pk)),
            ("post", reverse("operator_enrolment_decline", enrolment.pk))]


def _alpha_id():
    from clinic.tenants.models import Clinic

    return Clinic.objects.get(slug="alpha").pk


def test_every_platform_page_of_the_console_refuses_everyone_but_an_operator(operator, clinic_a):
    from partners.organisations.services import create_partner

    pages = operator_pages()
    anonymous = Client(HTTP_HOST=PUBLIC)
    partner = create_partner(name="MedAsist SRL", registration_number="RO123", kind="call_centre",
                             contact_name="Irina", contact_email="irina@medasist.example", password="partner-pw-26")
    partner_client = Client(HTTP_HOST=PUBLIC)
    partner_client.force_login(partner.member.user)
    # An operator who has not passed the second factor yet is sent to it.
    half = Client(HTTP_HOST=PUBLIC)
    half.force_login(operator)
    assert 'href="/operator/platforms/"' not in half.get("/operator/two-factor/setup/").content.decode()
    for method, path in pages:
        response = getattr(anonymous, method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/operator/login/"), path
        assert getattr(partner_client, method)(path).status_code == 403, path
        assert getattr(half, method)(path)["Location"].startswith("/operator/two-factor/"), path
    # Clinic pages are not on the public host's urlconf, and the console is not on a clinic's host.
    clinic_client = Client(HTTP_HOST=clinic_a.primary_domain)
    assert clinic_client.get("/operator/platforms/").status_code == 404
    assert Enrolment.objects.get(platform__products__isnull=False).status == "applied"


def test_clinic_staff_credentials_do_not_open_the_console(client, in_clinic, clinic_a):
    from tests.factories import make_staff

    with in_clinic(clinic_a):
        make_staff("manager", email="boss@alpha.example", password="manager-pw-2026")
    connection.set_schema_to_public()
    response = client.post("/operator/login/", {"username": "boss@alpha.example", "password": "manager-pw-2026"},
                           HTTP_HOST=PUBLIC)
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/operator/platforms/", HTTP_HOST=PUBLIC).status_code == 302


def test_an_unknown_id_is_a_404(console):
    for path in (reverse("operator_platform", 999999), reverse("operator_product", 999999),
                 reverse("operator_product_pdf", 999999)):
        assert console.get(path).status_code == 404, path
    assert console.post(reverse("operator_enrolment_approve", 999999), {"identifier": "X"}).status_code == 404


def test_the_console_menu_shows_platforms_and_enrolments_to_operators(console):
    page = console.get(reverse("operator_platforms")).content.decode()
    for path in ("/operator/", "/operator/platforms/", "/operator/enrolments/"):
        assert f'href="{path}"' in page, path
