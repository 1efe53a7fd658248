"""Settlement actions accept a submission once: starting a batch, a shop order, and the operator's
"invoice received" and "paid", sent twice (a double click, a proxy's retry, back-and-resubmit) or at
once from threads, record one batch, one request, one order, one payment."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from reconciliation.models import BatchEvent, SettlementBatch
from reconciliation.payouts.models import ConsumablesVoucher, SettlementRequest, ShopItem, ShopOrder
from tests.concurrency import at_once
from tests.reconciliation.test_settlement_views import (  # noqa: F401 - fixtures
    CASH,
    clock,
    operator,
    public_client,
    verified,
)

THREADS = 6


def key() -> str:
    return str(uuid.uuid4())


def issued_key(html: str) -> str:
    return html.split('name="idempotency_key" value="')[1][:36]


def test_each_settlement_form_is_issued_with_a_key(verified, manager, operator, tenant, client_for):  # noqa: F811
    client = client_for(manager)
    assert issued_key(client.get(f"/settlement/platforms/{verified.platform_id}/start/").content.decode())
    with schema_context("public"):
        ShopItem.objects.create(name="Gloves", price="5.00", currency=tenant.currency)
    assert issued_key(client.get("/settlement/vouchers/").content.decode())
    client.post(f"/settlement/platforms/{verified.platform_id}/start/", CASH | {"idempotency_key": key()})
    with schema_context("public"):
        request = SettlementRequest.objects.get(clinic=tenant)
    console = public_client(operator)
    assert issued_key(console.get(f"/operator/settlements/{request.pk}/").content.decode())


def test_a_settlement_started_twice_is_one_batch_and_one_request(verified, manager, tenant, client_for):  # noqa: F811
    client = client_for(manager)
    data = CASH | {"idempotency_key": key()}
    first = client.post(f"/settlement/platforms/{verified.platform_id}/start/", data)
    again = client.post(f"/settlement/platforms/{verified.platform_id}/start/", data)
    assert first.status_code == again.status_code == 302 and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    batch = SettlementBatch.objects.get(platform=verified.platform)
    assert batch.status == "requested" and batch.amount == Decimal("100.00")
    assert BatchEvent.objects.filter(batch=batch, action="requested").count() == 1
    with schema_context("public"):
        assert SettlementRequest.objects.filter(clinic=tenant).count() == 1


def test_a_voucher_settlement_started_twice_issues_one_voucher(verified, manager, tenant, client_for):  # noqa: F811
    client = client_for(manager)
    data = {"method": "voucher", "idempotency_key": key()}
    for _twice in range(2):
        assert client.post(f"/settlement/platforms/{verified.platform_id}/start/", data).status_code == 302
    with schema_context("public"):
        voucher = ConsumablesVoucher.objects.get(clinic=tenant)
    assert voucher.amount == Decimal("100.00")


def test_a_shop_order_without_a_voucher_sent_twice_places_one_order(tenant, manager, client_for):
    with schema_context("public"):
        gloves = ShopItem.objects.create(name="Nitrile gloves", price="12.50", currency=tenant.currency)
    client = client_for(manager)
    data = {f"quantity-{gloves.pk}": "2", "idempotency_key": key()}
    first = client.post("/settlement/vouchers/order/", data)
    again = client.post("/settlement/vouchers/order/", data)
    assert first.status_code == again.status_code == 302 and again["Idempotent-Replayed"] == "true"
    with schema_context("public"):
        order = ShopOrder.objects.get(clinic=tenant)
    assert order.total == Decimal("25.00") and order.to_pay == Decimal("25.00")
    # A new form (a new key) is a new order.
    assert client.post("/settlement/vouchers/order/", data | {"idempotency_key": key()}).status_code == 302
    with schema_context("public"):
        assert ShopOrder.objects.filter(clinic=tenant).count() == 2


def test_a_refused_shop_order_can_be_corrected_with_the_new_form(tenant, manager, client_for):
    with schema_context("public"):
        gloves = ShopItem.objects.create(name="Nitrile gloves", price="12.50", currency=tenant.currency)
    client = client_for(manager)
    refused = client.post("/settlement/vouchers/order/", {f"quantity-{gloves.pk}": "x", "idempotency_key": key()})
    assert refused.status_code == 422
    corrected = client.post("/settlement/vouchers/order/",
                            {f"quantity-{gloves.pk}": "1", "idempotency_key": issued_key(refused.content.decode())})
    assert corrected.status_code == 302
    with schema_context("public"):
        assert ShopOrder.objects.filter(clinic=tenant).count() == 1


def test_the_operators_invoice_received_and_payment_sent_twice_act_once(verified, manager, operator, tenant,  # noqa: F811
                                                                       client_for):
    client_for(manager).post(f"/settlement/platforms/{verified.platform_id}/start/", CASH | {"idempotency_key": key()})
    with schema_context("public"):
        request = SettlementRequest.objects.get(clinic=tenant)
    console = public_client(operator)
    received = {"idempotency_key": key()}
    for _twice in range(2):
        response = console.post(f"/operator/settlements/{request.pk}/invoice-received/", received)
        assert response.status_code == 302
    assert response["Idempotent-Replayed"] == "true"
    paid = {"transaction_number": "TX 1", "paid_on": "2030-04-03", "idempotency_key": key()}
    first = console.post(f"/operator/settlements/{request.pk}/pay/", paid)
    again = console.post(f"/operator/settlements/{request.pk}/pay/", paid)
    # The second is the first's answer, not "already paid".
    assert first.status_code == again.status_code == 302 and again["Idempotent-Replayed"] == "true"
    with schema_context("public"):
        request.refresh_from_db()
    assert (request.status, request.transaction_number) == ("paid", "TX 1")
    with tenant_context(tenant):
        batch = SettlementBatch.objects.get(pk=request.batch_id)
        assert list(BatchEvent.objects.filter(batch=batch).order_by("id").values_list("action", flat=True)) == [
            "requested", "invoice_received", "paid"]


# --- at once, from threads (committed data, a connection each) -----------------------------------


@pytest.fixture
def committed_shop(django_db_blocker, clinic_a):
    from tests.factories import make_staff

    with django_db_blocker.unblock():
        with tenant_context(clinic_a):
            buyer = make_staff("manager", email="shop-race@alpha.example")
        with schema_context("public"):
            item = ShopItem.objects.create(name="Race gloves", price="3.00", currency=clinic_a.currency)
    yield {"buyer": buyer, "item": item}
    with django_db_blocker.unblock():
        with schema_context("public"):
            ShopOrder.objects.filter(clinic=clinic_a, lines__0__item=item.pk).delete()
            item.delete()
        with tenant_context(clinic_a):
            buyer.delete()


def test_the_same_shop_order_posted_at_once_places_one_order(committed_shop, clinic_a, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        login = Client(HTTP_HOST=clinic_a.primary_domain)
        login.force_login(committed_shop["buyer"])
    cookies = {name: morsel.value for name, morsel in login.cookies.items()}
    data = {f"quantity-{committed_shop['item'].pk}": "1", "idempotency_key": key()}

    def post():
        client = Client(HTTP_HOST=clinic_a.primary_domain)
        for name, value in cookies.items():
            client.cookies[name] = value
        response = client.post("/settlement/vouchers/order/", data)
        return response.status_code, response.get("Idempotent-Replayed")

    results = at_once(django_db_blocker, [post] * THREADS, returns=True)
    assert sorted(results, key=str) == sorted([(302, None)] + [(302, "true")] * (THREADS - 1), key=str)
    with django_db_blocker.unblock(), schema_context("public"):
        assert ShopOrder.objects.filter(clinic=clinic_a, lines__0__item=committed_shop["item"].pk).count() == 1
