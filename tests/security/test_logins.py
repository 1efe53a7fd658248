"""Issue 16, defect 2: an e-mail address is one identity whatever its case; the lockout
of every door (clinic, portal, operator) is keyed on the normalised address."""

import importlib

import pytest
from django.db import connection

from clinic.accounts.models import User
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-2026"


def _doors(client_for, clinic_a):
    from django.test import Client

    return {
        "clinic": (lambda: client_for(None, clinic_a), "/accounts/login/"),
        "portal": (lambda: Client(HTTP_HOST="localhost"), "/portal/login/"),
        "operator": (lambda: Client(HTTP_HOST="localhost"), "/operator/login/"),
    }


def _user_for(door, clinic_a):
    if door == "clinic":
        connection.set_tenant(clinic_a)
        make_staff("finance", email="finance@alpha.example", password=PASSWORD)
        return "finance@alpha.example"
    connection.set_schema_to_public()
    if door == "portal":
        from partners.organisations.services import create_partner

        create_partner(name="MedAsist SRL", registration_number="RO1", kind="call_centre",
                       contact_name="Irina", contact_email="finance@alpha.example", password=PASSWORD)
    else:
        User.objects.create_user("finance@alpha.example", "Op", PASSWORD, is_operator=True)
    return "finance@alpha.example"


@pytest.mark.parametrize("door", ["clinic", "portal", "operator"])
def test_a_capitalised_address_does_not_get_its_own_tries_nor_lift_the_lock(door, client_for, clinic_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    email = _user_for(door, clinic_a)
    make_client, url = _doors(client_for, clinic_a)[door]
    client = make_client()
    # Three wrong tries under three capitalisations lock the one address.
    for variant in ("finance@alpha.example", "Finance@Alpha.Example", "FINANCE@ALPHA.EXAMPLE"):
        client.post(url, {"username": variant, "password": "wrong"})
    for variant in ("Finance@Alpha.Example", email):
        response = client.post(url, {"username": variant, "password": PASSWORD})
        assert response.status_code == 429, variant
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("door", ["clinic", "portal", "operator"])
def test_any_capitalisation_of_the_address_logs_in(door, client_for, clinic_a):
    _user_for(door, clinic_a)
    make_client, url = _doors(client_for, clinic_a)[door]
    client = make_client()
    response = client.post(url, {"username": "  Finance@Alpha.EXAMPLE ", "password": PASSWORD})
    assert response.status_code == 302


def test_addresses_are_stored_normalised_and_unique_whatever_the_case(tenant):
    from django.db import IntegrityError, transaction

    user = make_staff("finance", email="Mixed@Alpha.Example")
    user.refresh_from_db()
    assert user.email == "mixed@alpha.example"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="MIXED@alpha.example", full_name="Twin")


def test_the_migration_normalises_stored_addresses(tenant):
    from django.apps import apps

    User.objects.bulk_create([User(email="Stored@Alpha.Example ", full_name="Old")])  # bulk: no save()
    importlib.import_module("clinic.accounts.migrations.0002_normalise_emails").normalise(apps, None)
    assert User.objects.filter(full_name="Old").get().email == "stored@alpha.example"
