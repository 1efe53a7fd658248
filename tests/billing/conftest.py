from decimal import Decimal

import pytest

from tests.factories import LocationFactory, PatientFactory, PractitionerFactory, ServiceFactory
from tests.scheduling.conftest import clinic_day  # noqa: F401 - the scheduling fixture, for quick bookings


@pytest.fixture
def desk(tenant):
    """A clinic (alpha, EUR) with a location, a practitioner, two services, a patient and a front-desk cashier."""
    from tests.factories import make_staff

    return {
        "location": LocationFactory(),
        "practitioner": PractitionerFactory(),
        "cleaning": ServiceFactory(price=Decimal("100.00")),
        "filling": ServiceFactory(price=Decimal("250.00")),
        "patient": PatientFactory(),
        "cashier": make_staff("front_desk"),
        "manager": make_staff("manager"),
    }


@pytest.fixture
def open_visit(desk):
    from billing.services import open_visit

    def build(patient=None):
        return open_visit(
            patient=patient or desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
            actor=desk["cashier"],
        )

    return build


@pytest.fixture
def barter_payer(desk):
    """``barter_payer(patient, *services)``: the payer of a reviewed barter policy (limit 1,000,000)
    under an agreement that covers those services, valid since 2000."""
    from datetime import date

    from billing.barter.services import register_policy, review_policy, save_agreement

    def build(patient, *services):
        agreement = save_agreement(None, actor=desk["manager"], data={
            "kind": "company", "name": f"Acme Barter {patient.pk}-{len(services)}", "overspend": "company",
            "valid_from": date(2000, 1, 1), "services": list(services)})
        policy = register_policy(agreement=agreement, patient=patient, number="P-1", limit="1000000",
                                 actor=desk["manager"])
        return review_policy(policy, actor=desk["manager"]).payer

    return build
