"""The core every platform-order workflow shares: the transitions table with its history,
the channel inventory, the platform as a counterparty and the order as a payer."""

from decimal import Decimal

import pytest
from django.db import transaction

from clinic.errors import DomainError
from platforms import services
from platforms.models import ChannelStock, OrderStatus
from tests.factories import PatientFactory
from tests.platform_factories import PlatformFactory, make_order, product_with


@pytest.fixture
def product(tenant):
    return product_with({"CHK": 1}, platform=PlatformFactory(name="Insurer benefits"))


def test_inventory_is_taken_once_per_order_and_never_below_zero(product):
    services.set_stock(product, 1, actor=None)
    with transaction.atomic():
        services.take_stock(product)
    with pytest.raises(services.OutOfStock), transaction.atomic():
        services.take_stock(product)
    assert ChannelStock.objects.get(product=product).available == 0


def test_a_cancelled_order_gives_its_unit_back_and_records_who_and_when(product, manager):
    services.set_stock(product, 0, actor=manager)
    order = make_order(product)
    with transaction.atomic():
        services.move(services.locked_order(order), OrderStatus.CANCELLED, action="cancelled", actor=manager,
                      note="Patient changed plans")
    assert ChannelStock.objects.get(product=product).available == 1
    event = order.events.last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "new", "cancelled", manager, "Patient changed plans")


def test_a_finished_order_cannot_move_again(product):
    order = make_order(product, status=OrderStatus.REFUNDED)
    with pytest.raises(DomainError, match="refunded"), transaction.atomic():
        services.move(services.locked_order(order), OrderStatus.CONFIRMED, action="confirmed")


def test_the_order_pays_as_a_coverage_of_the_platform_counterparty(product):
    patient = PatientFactory()
    order = make_order(product, patient=patient)
    payer = order.payer
    assert (payer.kind, payer.patient, payer.counterparty.kind) == ("platform_order", patient, "platform")
    assert payer.counterparty.reference == f"platform:{product.platform.code}"
    assert payer.counterparty.name == "Insurer benefits"
    assert order.price == Decimal("180.00")
