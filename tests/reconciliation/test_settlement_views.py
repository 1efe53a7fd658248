"""The settlement screens: the clinic's page, starting a batch, its summary PDF, My coupons and
the shop; the operator's console (requests, invoice received, paid, windows, the catalogue).
Who may open each, another clinic's ids, and bad input changing nothing."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, tenant_context
from pypdf import PdfReader

from reconciliation.models import SettlementBatch
from reconciliation.payouts.models import (
    ConsumablesVoucher,
    SettlementRequest,
    SettlementWindow,
    ShopItem,
    ShopOrder,
)
from reconciliation.statements import generate_statement, import_platform_statement, verify_statement
from tests.factories import make_staff, pass_second_factor
from tests.platform_factories import PlatformFactory, enrol, product_with
from tests.reconciliation.test_monthly_statements import redeemed, xlsx

BUCHAREST = ZoneInfo("Europe/Bucharest")
APRIL_3, MAY_3 = date(2030, 4, 3), date(2030, 5, 3)
IN_APRIL = datetime(2030, 4, 3, 12, tzinfo=BUCHAREST)
IN_MAY = datetime(2030, 5, 3, 12, tzinfo=BUCHAREST)
IBAN = "RO49AAAA1B31007593840000"
QUERIES = 25  # the settlement page with one platform (a few more per platform, none per batch)
CASH = {"method": "cash", "invoice_type": "ordinary", "account_holder": "Alpha Clinic SRL",
        "bank_name": "Banca Transilvania", "account_number": IBAN}


@pytest.fixture(autouse=True)
def clock():
    """April 2030, a settlement month; ``clock.move_to(IN_MAY)`` for a month outside the window
    (log in after moving: a session does not outlive its age)."""
    with time_machine.travel(IN_APRIL, tick=False) as traveller:
        yield traveller


@pytest.fixture
def verified(tenant, manager):
    """March 2030's statement of a platform, verified: two orders of 50.00 (100.00 in all)."""
    platform = PlatformFactory(name="Insurer benefits", invoice_details="Insurer Benefits SRL, CUI RO998877",
                               mailing_address="Str. Lipscani 1, Bucharest")
    enrol(tenant, platform)
    product = product_with({"CHK-V": 1}, platform=platform, settlement_price=Decimal("50.00"))
    for number in ("V-1", "V-2"):
        redeemed(product, at=datetime(2030, 3, 10, 12, tzinfo=BUCHAREST), actor=manager, number=number)
    statement = generate_statement(platform, date(2030, 3, 1), actor=manager, today=APRIL_3)[0]
    import_platform_statement(statement, file_name="m.xlsx", actor=manager,
                              content=xlsx([["订单号", "结算金额"], ["V-1", "50"], ["V-2", "50"]]))
    return verify_statement(statement, actor=manager)


def public_client(user=None, *, second_factor=True):
    client = Client(HTTP_HOST="localhost")
    if user is not None:
        previous = connection.tenant
        connection.set_schema_to_public()
        client.force_login(user)
        if second_factor:
            pass_second_factor(client, user)
        connection.set_tenant(previous)
    return client


@pytest.fixture
def operator(tenant):
    with schema_context("public"):
        user = make_staff(None, email="settlement-operator@example.com", is_operator=True)
    return user


def settle_in_cash(client, platform, **changes):
    return client.post(f"/settlement/platforms/{platform.pk}/start/", {**CASH, **changes})


# --- the clinic's side ------------------------------------------------------------------------


def test_the_page_lists_the_verified_statements_and_when_the_next_window_opens(verified, manager, finance,
                                                                             client_for, clock,
                                                                             django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(QUERIES):
        text = client.get("/settlement/").content.decode()
    assert "The settlement window is open" in text and "Start batch settlement" in text
    clock.move_to(IN_MAY)
    for user in (manager, finance):
        page = client_for(user).get("/settlement/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Insurer benefits" in text and "100.00" in text and "March 2030" in text
        assert "the next window opens on 1 July 2030" in text
        assert "Start batch settlement" not in text  # outside the window


def test_the_start_page_shows_both_invoice_amounts_and_the_operators_invoice_details(verified, manager,
                                                                                    client_for):
    page = client_for(manager).get(f"/settlement/platforms/{verified.platform_id}/start/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "100.00" in text and "94.34" in text  # VAT special: the amount; ordinary: amount / 1.06
    assert "Insurer Benefits SRL, CUI RO998877" in text and "Str. Lipscani 1, Bucharest" in text
    assert "Verifying a statement settles nothing by itself" in text and "Incomplete bank details delay" in text


def test_a_cash_settlement_is_started_and_its_summary_is_a_pdf_with_the_amounts(verified, manager, client_for):
    client = client_for(manager)
    response = settle_in_cash(client, verified.platform)
    assert response.status_code == 302
    batch = SettlementBatch.objects.get(platform=verified.platform)
    assert (batch.status, batch.amount, batch.payout, batch.account_number) == (
        "requested", Decimal("100.00"), Decimal("94.34"), IBAN)
    text = client.get("/settlement/").content.decode()
    assert "Requested" in text and "94.34" in text and "Start batch settlement" not in text

    pdf = client.get(f"/settlement/batches/{batch.pk}/summary.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("100.00", "94.34", "Ordinary invoice", IBAN, "Banca Transilvania", "V-1", "V-2",
                     "CUI RO998877", "Lipscani"):
        assert expected in words, expected


@pytest.mark.parametrize("changes, message", [
    ({"account_holder": ""}, "Enter the account holder."),
    ({"account_number": "RO49AAAA1B31007593840001"}, "This IBAN is not valid"),
    ({"invoice_type": ""}, "Choose the invoice type."),
])
def test_bad_bank_details_show_the_message_and_change_nothing(verified, manager, client_for, changes, message):
    response = settle_in_cash(client_for(manager), verified.platform, **changes)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not SettlementBatch.objects.exclude(status="proposed").exists()
    verified.refresh_from_db()
    assert verified.settlement_id is None
    with schema_context("public"):
        assert not SettlementRequest.objects.filter(platform=verified.platform).exists()


def test_a_voucher_settlement_is_spent_once_in_the_shop(verified, manager, tenant, client_for):
    client = client_for(manager)
    assert client.post(f"/settlement/platforms/{verified.platform_id}/start/",
                       {"method": "voucher"}).status_code == 302
    with schema_context("public"):
        voucher = ConsumablesVoucher.objects.get(clinic=tenant)
        gloves = ShopItem.objects.create(name="Nitrile gloves", price="12.50", currency=tenant.currency)
    batch = SettlementBatch.objects.get(platform=verified.platform)
    pdf = client.get(f"/settlement/batches/{batch.pk}/summary.pdf")
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert voucher.code in words and "100.00" in words and "Invoice amount" not in words
    page = client.get("/settlement/vouchers/").content.decode()
    assert voucher.code in page and "100.00" in page and "Valid" in page and "Nitrile gloves" in page

    assert client.post("/settlement/vouchers/order/", {f"quantity-{gloves.pk}": "2", "voucher": voucher.pk}
                       ).status_code == 302
    with schema_context("public"):
        order = ShopOrder.objects.get(clinic=tenant)
    assert (order.total, order.voucher_deduction, order.to_pay) == (Decimal("25.00"), Decimal("25.00"),
                                                                    Decimal("0.00"))
    again = client.post("/settlement/vouchers/order/", {f"quantity-{gloves.pk}": "1", "voucher": voucher.pk})
    assert again.status_code == 422 and "used already" in again.content.decode()
    with schema_context("public"):
        assert ShopOrder.objects.filter(clinic=tenant).count() == 1
    assert "Used" in client.get("/settlement/vouchers/").content.decode()


def test_front_desk_and_doctors_are_refused_and_anonymous_visitors_sent_to_log_in(verified, front_desk, doctor,
                                                                                client_for):
    batch = SettlementBatch.objects.create(platform=verified.platform, quarter=APRIL_3.replace(day=1),
                                           currency="RON", proposed_at=IN_APRIL)
    urls = ["/settlement/", f"/settlement/platforms/{verified.platform_id}/start/",
            f"/settlement/batches/{batch.pk}/summary.pdf", "/settlement/vouchers/"]
    for user in (front_desk, doctor):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        assert client.post("/settlement/vouchers/order/", {}).status_code == 403
        assert client.post(urls[1], CASH).status_code == 403
    assert client_for(None).get("/settlement/").status_code == 302
    assert not SettlementBatch.objects.exclude(pk=batch.pk).exists()


def test_a_clinic_that_may_see_but_not_settle_cannot_order(verified, make_user, client_for):
    from django.contrib.auth.models import Permission

    viewer = make_user(None)
    viewer.user_permissions.add(Permission.objects.get(codename="view_settlementbatch"))
    client = client_for(viewer)
    assert client.get("/settlement/vouchers/").status_code == 200
    assert client.post("/settlement/vouchers/order/", {}).status_code == 403
    assert client.get(f"/settlement/platforms/{verified.platform_id}/start/").status_code == 403


def test_another_clinics_batch_platform_and_voucher_are_not_found(verified, manager, clinic_b, in_clinic,
                                                                  client_for, tenant):
    other_platform = PlatformFactory(name="Other clinic's platform")
    with in_clinic(clinic_b):
        enrol(clinic_b, other_platform)
        theirs = SettlementBatch.objects.create(platform=other_platform, quarter=APRIL_3.replace(day=1),
                                                currency="RON", proposed_at=IN_APRIL)
    assert not SettlementBatch.objects.filter(pk=theirs.pk).exists()
    with schema_context("public"):
        request = SettlementRequest.objects.create(
            clinic=clinic_b, platform=other_platform, batch_id=theirs.pk, quarter=APRIL_3, method="voucher",
            amount="10.00", currency="RON", payout="10.00", requested_at=IN_APRIL, requested_by="B")
        voucher = ConsumablesVoucher.objects.create(clinic=clinic_b, request=request, code="VBTEST01",
                                                    amount="10.00", currency="RON", issued_at=IN_APRIL,
                                                    expires_on=date(2033, 4, 3))
        item = ShopItem.objects.create(name="Masks", price="5.00", currency="RON")
    client = client_for(manager)
    assert client.get(f"/settlement/batches/{theirs.pk}/summary.pdf").status_code == 404
    assert client.get(f"/settlement/platforms/{other_platform.pk}/start/").status_code == 404
    assert client.post("/settlement/vouchers/order/", {f"quantity-{item.pk}": "1", "voucher": voucher.pk}
                       ).status_code == 404
    assert "VBTEST01" not in client.get("/settlement/vouchers/").content.decode()
    with schema_context("public"):
        voucher.refresh_from_db()
        assert voucher.used_at is None and not ShopOrder.objects.exists()


# --- the operator's console -------------------------------------------------------------------


OPERATOR_URLS = ["/operator/settlements/", "/operator/settlements/windows/", "/operator/settlements/shop/"]


def test_clinic_users_partners_and_anonymous_visitors_are_refused_the_operator_console(verified, manager,
                                                                                      client_for, tenant):
    from partners.organisations.models import PartnerOrganisation, PartnerUser

    started = settle_in_cash(client_for(manager), verified.platform)
    assert started.status_code == 302
    with schema_context("public"):
        request = SettlementRequest.objects.get(clinic=tenant)
        company = PartnerOrganisation.objects.create(name="MedAsist SRL", registration_number="RO-SETTLE-1",
                                                     kind="medical_provider", contact_name="Ana",
                                                     contact_email="ana@medasist.example")
        partner = make_staff(None, email="partner-settle@example.com")
        PartnerUser.objects.create(user=partner, organisation=company)
        nobody = make_staff(None, email="not-an-operator@example.com")
    urls = [*OPERATOR_URLS, f"/operator/settlements/{request.pk}/"]
    for url in urls:
        assert public_client().get(url)["Location"].startswith("/operator/login/")
        assert public_client(partner, second_factor=False).get(url).status_code == 403
        assert public_client(nobody, second_factor=False).get(url).status_code == 403
        assert client_for(manager, tenant).get(url).status_code == 404  # not on a clinic's site at all
    for user in (partner, nobody):
        assert public_client(user, second_factor=False).post(
            f"/operator/settlements/{request.pk}/invoice-received/").status_code == 403
    with schema_context("public"):
        request.refresh_from_db()
    assert request.status == "requested"


def test_the_operator_receives_the_invoice_and_pays_and_the_clinic_sees_it(verified, manager, operator, tenant,
                                                                          client_for, django_assert_max_num_queries):
    clinic = client_for(manager)
    settle_in_cash(clinic, verified.platform)
    with schema_context("public"):
        request = SettlementRequest.objects.get(clinic=tenant)
    console = public_client(operator)
    with django_assert_max_num_queries(20):
        listing = console.get("/operator/settlements/", {"status": "requested", "clinic": tenant.pk,
                                                         "platform": verified.platform_id})
    assert listing.status_code == 200 and "94.34" in listing.content.decode()
    assert "94.34" not in console.get("/operator/settlements/", {"status": "paid"}).content.decode()
    detail = console.get(f"/operator/settlements/{request.pk}/").content.decode()
    assert IBAN in detail and "Alpha Clinic SRL" in detail and "Invoice received" in detail

    early = console.post(f"/operator/settlements/{request.pk}/pay/",
                         {"transaction_number": "TX-1", "paid_on": "2030-04-03"})
    assert early.status_code == 422  # no invoice yet: nothing paid
    assert console.post(f"/operator/settlements/{request.pk}/invoice-received/").status_code == 302
    refused = console.post(f"/operator/settlements/{request.pk}/pay/", {"transaction_number": " ",
                                                                        "paid_on": "2030-04-03"})
    assert refused.status_code == 422
    with schema_context("public"):
        request.refresh_from_db()
    assert request.status == "invoice_received"
    paid = console.post(f"/operator/settlements/{request.pk}/pay/",
                        {"transaction_number": "TX 556677", "paid_on": "2030-04-03"})
    assert paid.status_code == 302
    with schema_context("public"):
        request.refresh_from_db()
    assert (request.status, request.transaction_number, request.processed_by_id) == ("paid", "TX 556677",
                                                                                     operator.pk)
    with tenant_context(tenant):
        page = clinic.get("/settlement/").content.decode()
    assert "Paid" in page and "TX 556677" in page and "Invoice received" in page


def test_the_operator_opens_an_off_cycle_window_with_a_reason(verified, operator, tenant, manager, client_for,
                                                               clock):
    console = public_client(operator)
    refused = console.post("/operator/settlements/windows/", {"clinic": tenant.pk, "opens_on": "2030-05-01",
                                                              "closes_on": "2030-05-10", "reason": " "})
    assert refused.status_code == 422
    with schema_context("public"):
        assert not SettlementWindow.objects.filter(clinic=tenant).exists()
    assert console.post("/operator/settlements/windows/", {
        "clinic": tenant.pk, "opens_on": "2030-05-01", "closes_on": "2030-05-10", "reason": "Clinic moving",
    }).status_code == 302
    clock.move_to(IN_MAY)
    page = client_for(manager, tenant).get("/settlement/").content.decode()
    assert "Clinic moving" in page and "Start batch settlement" in page


def test_the_operator_keeps_the_shop_catalogue(operator, tenant):
    console = public_client(operator)
    assert console.post("/operator/settlements/shop/", {"name": "Gloves", "price": "0", "currency": "RON",
                                                        "is_active": "on"}).status_code == 422
    assert console.post("/operator/settlements/shop/", {"name": "Nitrile gloves", "price": "12.50",
                                                        "currency": "RON", "is_active": "on"}).status_code == 302
    with schema_context("public"):
        item = ShopItem.objects.get(name="Nitrile gloves")
    assert console.post(f"/operator/settlements/shop/{item.pk}/", {"name": "Nitrile gloves (100)",
                                                                  "price": "13.00", "currency": "RON"}
                        ).status_code == 302
    with schema_context("public"):
        item.refresh_from_db()
    assert (item.name, item.price, item.is_active) == ("Nitrile gloves (100)", Decimal("13.00"), False)
    assert console.get("/operator/settlements/shop/999999/").status_code == 404
    assert console.get("/operator/settlements/999999/").status_code == 404
