"""Host routing, schema isolation and creating clinics."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from clinic.accounts.models import User
from clinic.models import Service
from clinic.tenants.models import Clinic, Domain
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_clinic_host_serves_the_clinic_site(client_for, clinic_a):
    response = client_for(clinic=clinic_a).get("/accounts/login/")
    assert response.status_code == 200
    assert b"Alpha Clinic" in response.content


def test_public_host_serves_the_landing_page(client):
    response = client.get("/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert b"Operator console" in response.content


def test_unknown_host_is_a_404_page_not_a_crash(client):
    response = client.get("/", HTTP_HOST="nowhere.localhost")
    assert response.status_code == 404
    assert b"No clinic is served at nowhere.localhost" in response.content


def test_the_template_schema_is_never_served(client, settings):
    Domain.objects.create(domain="clinic-template.localhost", tenant=Clinic.objects.get(is_template=True))
    response = client.get("/", HTTP_HOST="clinic-template.localhost")
    assert response.status_code == 404


def test_each_clinic_sees_only_its_own_rows(in_clinic, clinic_a, clinic_b):
    with in_clinic(clinic_a):
        ServiceFactory(code="ONLY-A", price=Decimal("10.00"))
    with in_clinic(clinic_b):
        assert not Service.objects.filter(code="ONLY-A").exists()
    with in_clinic(clinic_a):
        assert Service.objects.filter(code="ONLY-A").exists()


def test_an_id_from_another_clinic_is_a_404(in_clinic, clinic_a, clinic_b, client_for):
    from tests.factories import make_staff

    with in_clinic(clinic_b):
        foreign = ServiceFactory(code="BETA-1")
    with in_clinic(clinic_a):
        manager = make_staff("manager")
        assert not Service.objects.filter(pk=foreign.pk).exists()
        response = client_for(manager, clinic_a).get(f"/services/{foreign.pk}/")
    assert response.status_code == 404


def test_a_session_of_one_clinic_is_not_valid_on_another(in_clinic, clinic_a, clinic_b, client_for):
    from tests.factories import make_staff

    with in_clinic(clinic_a):
        manager = make_staff("manager", email="same.person@example.com")
        client = client_for(manager, clinic_a)
        assert client.get("/services/").status_code == 200
    with in_clinic(clinic_b):
        # Even the same email address in clinic B is another account.
        make_staff("manager", email="same.person@example.com")
    response = client.get("/services/", HTTP_HOST=clinic_b.primary_domain)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_create_clinic_command_clones_the_template_and_prints_a_one_time_password(capsys):
    call_command(
        "create_clinic",
        slug="gamma",
        name="Gamma Dental",
        currency="RON",
        timezone="Europe/Bucharest",
        language="ro",
        admin_email="Boss@Gamma.example",
    )
    out = capsys.readouterr().out
    assert "gamma.localhost" in out
    password = out.split("one-time password: ")[1].split()[0]
    clinic = Clinic.objects.get(slug="gamma")
    assert (clinic.currency, clinic.time_zone, clinic.default_language) == ("RON", "Europe/Bucharest", "ro")
    assert clinic.primary_domain == "gamma.localhost"
    connection.set_tenant(clinic)
    manager = User.objects.get(email="boss@gamma.example")
    assert manager.check_password(password)
    assert manager.must_change_password
    assert manager.has_perm("clinic.change_clinic_settings")
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) == {
        "front_desk", "doctor", "manager", "marketing", "sales_head", "finance"
    }
    connection.set_schema_to_public()


def test_create_clinic_with_set_password_mail(mailoutbox, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_clinic", slug="delta", name="Delta", currency="EUR", timezone="UTC", language="en",
            admin_email="boss@delta.example", send_mail=True,
        )
    assert len(mailoutbox) == 1
    assert "http://delta.localhost:8000/accounts/password/reset/" in mailoutbox[0].body
    assert "one-time password" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"slug": "Bad Slug"}, "lower-case"),
        ({"slug": "alpha"}, "already exists"),
        ({"slug": "portal"}, "reserved"),
        ({"currency": "XXX"}, "currency"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"language": "de"}, "language"),
        ({"admin_email": "not-an-email"}, "email"),
    ],
)
def test_create_clinic_refuses_bad_input_and_creates_nothing(overrides, message):
    from django.core.management.base import CommandError

    options = {
        "slug": "epsilon", "name": "Epsilon", "currency": "EUR", "timezone": "UTC", "language": "en",
        "admin_email": "boss@epsilon.example",
    } | overrides
    before = Clinic.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("create_clinic", **options)
    assert Clinic.objects.count() == before
    assert not Domain.objects.filter(domain="epsilon.localhost").exists()


def test_routing_cache_forgets_a_changed_clinic_at_once(client, clinic_a):
    from clinic.tenants.middleware import _tenants

    assert b'lang="en"' in client.get("/accounts/login/", HTTP_HOST="alpha.localhost").content
    assert "alpha.localhost" in _tenants
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    clinic.default_language = "ro"
    clinic.save()
    assert b'lang="ro"' in client.get("/accounts/login/", HTTP_HOST="alpha.localhost").content


def test_a_removed_domain_stops_routing_at_once(client, clinic_a):
    Domain.objects.create(domain="alpha-old.localhost", tenant=clinic_a, is_primary=False)
    assert client.get("/accounts/login/", HTTP_HOST="alpha-old.localhost").status_code == 200
    Domain.objects.get(domain="alpha-old.localhost").delete()
    assert client.get("/accounts/login/", HTTP_HOST="alpha-old.localhost").status_code == 404
