"""The partner portal's door: only users of a partner company get in, on the public host only."""

import pytest
from django.core.management import call_command
from django.db import connection

from clinic.accounts.models import User
from clinic.errors import DomainError
from partners.organisations.models import PartnerOrganisation, PartnerUser
from partners.organisations.services import create_partner

pytestmark = pytest.mark.django_db

PASSWORD = "partner-password-1"


@pytest.fixture
def partner():
    connection.set_schema_to_public()
    return create_partner(
        name="MedAsist SRL",
        registration_number="RO123",
        kind="call_centre",
        contact_name="Irina Lungu",
        contact_email="Irina@MedAsist.example",
        password=PASSWORD,
    )


def log_in(client, email, password):
    return client.post("/portal/login/", {"username": email, "password": password}, HTTP_HOST="localhost")


def test_a_partner_user_logs_in_and_sees_the_company(client, partner):
    response = log_in(client, "irina@medasist.example", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    # The company has not accepted the terms yet: its administrator does so first.
    assert client.get("/portal/", HTTP_HOST="localhost")["Location"] == "/portal/terms/"
    accepted = client.post("/portal/terms/", {"accept_terms": "on"}, HTTP_HOST="localhost")
    assert accepted.status_code == 302 and accepted["Location"] == "/portal/"
    page = client.get("/portal/", HTTP_HOST="localhost")
    assert page.status_code == 200
    assert b"MedAsist SRL" in page.content and b"RO123" in page.content
    assert b"not linked to any clinic yet" in page.content


def test_anonymous_visitors_are_sent_to_the_portal_login(client):
    response = client.get("/portal/", HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/?next=/portal/")


def test_operators_and_other_public_users_cannot_log_in_to_the_portal(client, partner):
    User.objects.create_user("op@example.com", "Op", PASSWORD, is_operator=True)
    response = log_in(client, "op@example.com", PASSWORD)
    assert response.status_code == 200 and response.context["form"].errors
    operator = User.objects.get(email="op@example.com")
    client.force_login(operator)
    assert client.get("/portal/", HTTP_HOST="localhost").status_code == 403


def test_a_partner_user_cannot_open_the_operator_console(client, partner):
    client.force_login(partner.member.user)
    assert client.get("/operator/", HTTP_HOST="localhost").status_code == 403
    response = client.post(
        "/operator/login/", {"username": "irina@medasist.example", "password": PASSWORD}, HTTP_HOST="localhost"
    )
    assert response.status_code == 200 and response.context["form"].errors


def test_clinic_staff_credentials_do_not_open_the_portal(client, partner, in_clinic, clinic_a):
    from tests.factories import make_staff

    with in_clinic(clinic_a):
        make_staff("front_desk", email="desk@alpha.example", password=PASSWORD)
    connection.set_schema_to_public()
    response = log_in(client, "desk@alpha.example", PASSWORD)
    assert response.status_code == 200 and response.context["form"].errors


def test_the_portal_is_not_served_on_a_clinic_host(client_for, clinic_a):
    assert client_for(None, clinic_a).get("/portal/").status_code == 404
    assert client_for(None, clinic_a).get("/portal/login/").status_code == 404


def test_a_one_time_password_must_be_changed_first(client, capsys):
    connection.set_schema_to_public()
    call_command(
        "create_partner",
        name="Dr. Rusu",
        registration_number="MD-77",
        kind="individual_doctor",
        contact_name="Victor Rusu",
        contact_email="victor@rusu.example",
    )
    out = capsys.readouterr().out
    one_time = out.split("one-time password: ")[1].split()[0]
    assert log_in(client, "victor@rusu.example", one_time).status_code == 302
    assert client.get("/portal/", HTTP_HOST="localhost")["Location"] == "/portal/password/"
    response = client.post(
        "/portal/password/",
        {"old_password": one_time, "new_password1": "a-new-portal-pass-9", "new_password2": "a-new-portal-pass-9"},
        HTTP_HOST="localhost",
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    # Next come the terms, which the company has not accepted yet.
    assert client.get("/portal/", HTTP_HOST="localhost")["Location"] == "/portal/terms/"
    assert not User.objects.get(email="victor@rusu.example").must_change_password


def test_logging_out_of_the_portal(client, partner):
    client.force_login(partner.member.user)
    response = client.post("/portal/logout/", HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"] == "/portal/login/"
    assert client.get("/portal/", HTTP_HOST="localhost").status_code == 302


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": " "}, "name"),
        ({"registration_number": ""}, "registration_number"),
        ({"kind": "hospital"}, "kind"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"registration_number": "ro123"}, "registration_number"),  # taken, in any case
        ({"contact_email": "irina@medasist.example", "registration_number": "X"}, "user_email"),  # has an account
    ],
)
def test_bad_partner_data_is_refused_and_nothing_is_saved(partner, overrides, field):
    data = {
        "name": "Other",
        "registration_number": "RO999",
        "kind": "medical_provider",
        "contact_name": "Someone",
        "contact_email": "someone@other.example",
    } | overrides
    with pytest.raises(DomainError) as refused:
        create_partner(**data)
    assert refused.value.field == field
    assert PartnerOrganisation.objects.count() == 1 and PartnerUser.objects.count() == 1
    assert User.objects.count() == 1


def test_demo_partners_are_seeded_once():
    from partners.organisations.demo import DEMO_PARTNERS, seed_partners

    connection.set_schema_to_public()
    seed_partners("demo-pass-2026")
    seed_partners("demo-pass-2026")
    assert PartnerOrganisation.objects.count() == len(DEMO_PARTNERS)
    assert all(member.can_book for member in PartnerUser.objects.all())
