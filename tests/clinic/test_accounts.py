"""Login, logout, passwords, lockout, and staff management."""

import pytest
from django.contrib.auth.models import Group

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from tests.factories import make_staff, pass_second_factor

pytestmark = pytest.mark.django_db


def test_login_with_email_and_password(tenant, client_for):
    make_staff("front_desk", email="desk@alpha.example", password="desk-password-1")
    client = client_for()
    response = client.post("/accounts/login/", {"username": "DESK@alpha.example", "password": "desk-password-1"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/services/").status_code == 200


def test_wrong_password_shows_a_message(tenant, client_for):
    make_staff("front_desk", email="desk2@alpha.example", password="desk-password-1")
    response = client_for().post("/accounts/login/", {"username": "desk2@alpha.example", "password": "nope"})
    assert response.status_code == 200
    assert b"correct email address and password" in response.content


def test_failed_logins_are_rate_limited(tenant, client_for, settings):
    make_staff("front_desk", email="locked@alpha.example", password="desk-password-1")
    client = client_for()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "locked@alpha.example", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "locked@alpha.example", "password": "desk-password-1"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content


def test_logout_ends_the_session(tenant, client_for, front_desk):
    client = client_for(front_desk)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/services/").status_code == 302


def test_one_time_password_must_be_changed_first(tenant, client_for):
    user = make_staff("manager", password="one-time-pass-1", must_change_password=True)
    client = client_for(user)
    response = client.get("/services/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {"old_password": "one-time-pass-1", "new_password1": "a-new-strong-pass-9", "new_password2": "a-new-strong-pass-9"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("a-new-strong-pass-9")
    assert client.get("/services/").status_code == 200


def test_password_reset_mails_a_link_on_the_clinic_host(tenant, client_for, mailoutbox):
    make_staff("doctor", email="forgetful@alpha.example")
    response = client_for().post("/accounts/password/reset/", {"email": "forgetful@alpha.example"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "http://alpha.localhost/accounts/password/reset/" in mailoutbox[0].body


def test_manager_adds_a_staff_member_who_gets_a_set_password_mail(
    tenant, client_for, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            "/staff/new/",
            {"email": "New.Doctor@alpha.example", "full_name": "Dr New", "roles": ["doctor", "front_desk"], "language": "ro"},
        )
    assert response.status_code == 302
    member = User.objects.get(email="new.doctor@alpha.example")
    assert set(member.groups.values_list("name", flat=True)) == {"doctor", "front_desk"}
    assert not member.has_usable_password()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new.doctor@alpha.example"]
    assert "/accounts/password/reset/" in mailoutbox[0].body
    # The mail is in the member's language.
    assert "Hello" not in mailoutbox[0].body


def test_duplicate_staff_email_is_refused(tenant, client_for, manager):
    make_staff("doctor", email="taken@alpha.example")
    response = client_for(manager).post(
        "/staff/new/", {"email": "taken@alpha.example", "full_name": "Someone", "roles": ["doctor"]}
    )
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert User.objects.filter(email="taken@alpha.example").count() == 1


def test_role_changes_are_in_the_audit_trail(tenant, client_for, manager):
    from auditlog.models import LogEntry

    member = make_staff("doctor")
    response = client_for(manager).post(
        f"/staff/{member.pk}/",
        {"full_name": member.full_name, "roles": ["doctor", "finance"], "is_active": "on", "language": ""},
    )
    assert response.status_code == 302
    assert member.groups.filter(name="finance").exists()
    entry = LogEntry.objects.get_for_object(member).filter(changes__icontains="groups").latest("timestamp")
    assert entry.actor == manager
    assert "finance" in str(entry.changes)
    trail = client_for(manager).get(f"/audit/user/{member.pk}/")
    assert manager.full_name.encode() in trail.content


def test_the_last_manager_cannot_be_demoted(tenant, client_for):
    Group.objects.get(name=Role.MANAGER).user_set.all().delete()
    manager = make_staff("manager")
    other = make_staff("manager")
    client = client_for(manager)
    response = client.post(f"/staff/{other.pk}/", {"full_name": other.full_name, "roles": ["doctor"], "is_active": "on"})
    assert response.status_code == 302  # another manager remains
    response = client.post(f"/staff/{manager.pk}/", {"full_name": manager.full_name, "roles": ["doctor"], "is_active": "on"})
    assert response.status_code == 200
    assert b"cannot remove your own manager role" in response.content
    assert manager.groups.filter(name="manager").exists()


def test_operator_console_requires_an_operator(client):
    from django.db import connection

    connection.set_schema_to_public()
    User.objects.create_user("op@example.com", "Op", "operator-password", is_operator=True)
    User.objects.create_user("partner@example.com", "Not op", "partner-password")
    assert client.get("/operator/", HTTP_HOST="localhost").status_code == 302
    response = client.post(
        "/operator/login/", {"username": "partner@example.com", "password": "partner-password"}, HTTP_HOST="localhost"
    )
    assert response.status_code == 200  # refused like a wrong password
    response = client.post(
        "/operator/login/", {"username": "op@example.com", "password": "operator-password"}, HTTP_HOST="localhost"
    )
    assert response.status_code == 302
    assert client.get("/operator/", HTTP_HOST="localhost")["Location"] == "/operator/two-factor/setup/"
    pass_second_factor(client, User.objects.get(email="op@example.com"))
    page = client.get("/operator/", HTTP_HOST="localhost")
    assert page.status_code == 200 and b"Alpha Clinic" in page.content and b"Template" not in page.content


def test_operator_creates_a_clinic_from_the_console(client, django_capture_on_commit_callbacks, mailoutbox):
    from clinic.tenants.models import Clinic

    op = User.objects.create_user("op2@example.com", "Op", "operator-password", is_operator=True)
    client.force_login(op)
    pass_second_factor(client, op)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/operator/clinics/new/",
            {
                "name": "Zeta Clinic", "slug": "zeta", "currency": "RUB", "time_zone": "Europe/Moscow",
                "language": "ru", "admin_email": "boss@zeta.example", "admin_name": "Boss",
            },
            HTTP_HOST="localhost",
        )
    assert response.status_code == 302
    assert Clinic.objects.get(slug="zeta").currency == "RUB"
    assert mailoutbox[0].to == ["boss@zeta.example"]
    response = client.post(
        "/operator/clinics/new/",
        {"name": "Again", "slug": "zeta", "currency": "RUB", "time_zone": "Europe/Moscow", "language": "ru",
         "admin_email": "x@zeta.example", "admin_name": "X"},
        HTTP_HOST="localhost",
    )
    assert response.status_code == 200 and b"already exists" in response.content
