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
