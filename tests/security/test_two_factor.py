"""Two-factor sign-in: required for operators, optional for clinic staff, required for
managers and finance when the clinic says so; recovery codes sign in once each."""

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.models import User
from clinic.models import ClinicProfile
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
PASSWORD = "operator-password-1"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_an_operator_cannot_use_the_console_before_the_second_factor():
    with time_machine.travel("2026-03-03 10:00:00Z", tick=True) as clock:
        _operator_walk(clock)


def _operator_walk(clock):
    connection.set_schema_to_public()
    User.objects.create_user("op@example.com", "Op", PASSWORD, is_operator=True)
    client = Client(HTTP_HOST="localhost")
    assert client.post("/operator/login/", {"username": "op@example.com", "password": PASSWORD}).status_code == 302
    # No authenticator yet: the console sends the operator to set one up.
    assert client.get("/operator/")["Location"] == "/operator/two-factor/setup/"
    page = client.get("/operator/two-factor/setup/")
    assert page.status_code == 200 and 'id="totp-secret"' in page.content.decode()
    device = TOTPDevice.objects.get(user__email="op@example.com", confirmed=False)
    assert client.post("/operator/two-factor/setup/", {"code": "000000" if code_for(device) != "000000"
                                                        else "111111"}).status_code == 422
    clock.shift(5)  # a wrong code holds the next try back for a moment (django-otp's throttling)
    done = client.post("/operator/two-factor/setup/", {"code": code_for(device)})
    codes = done.context["codes"]
    assert len(codes) == 10
    assert client.get("/operator/").status_code == 200

    # The next sign-in asks for a code; a recovery code works once.
    client = Client(HTTP_HOST="localhost")
    client.post("/operator/login/", {"username": "op@example.com", "password": PASSWORD})
    assert client.get("/operator/")["Location"] == "/operator/two-factor/"
    assert client.post("/operator/two-factor/", {"code": "123-456"}).status_code == 422
    clock.shift(5)
    assert client.post("/operator/two-factor/", {"code": codes[0]}).status_code == 302
    assert client.get("/operator/").status_code == 200
    again = Client(HTTP_HOST="localhost")
    again.post("/operator/login/", {"username": "op@example.com", "password": PASSWORD})
    assert again.post("/operator/two-factor/", {"code": codes[0]}).status_code == 422
    assert again.get("/operator/").status_code == 302


def test_clinic_staff_choose_and_the_clinic_can_require_it_for_managers_and_finance(tenant, client_for):
    desk, manager = make_staff("front_desk"), make_staff("manager")
    assert client_for(desk).get("/").status_code == 200
    assert client_for(manager).get("/").status_code == 200
    profile = ClinicProfile.load()
    profile.two_factor_for_managers = True
    profile.save()
    assert client_for(desk).get("/").status_code == 200  # front desk: still its choice
    for required in (manager, make_staff("finance")):
        response = client_for(required).get("/patients/")
        assert response.status_code == 302, required.email
        assert response["Location"].startswith("/accounts/two-factor/setup/?next=/patients/")


@time_machine.travel("2026-03-03 10:00:00Z", tick=True)
def test_a_staff_member_who_set_up_an_authenticator_is_asked_for_a_code(tenant, client_for):
    desk = make_staff("front_desk")
    client = client_for(desk)
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=desk)
    assert client.post("/accounts/two-factor/setup/", {"code": code_for(device)}).status_code == 200
    connection.set_tenant(tenant)
    fresh = client_for(desk)
    assert fresh.get("/")["Location"].startswith("/accounts/two-factor/?next=/")
    connection.set_tenant(tenant)
    device.refresh_from_db()
    # The code used for the set-up is never accepted twice: the next one, 30 s later.
    with time_machine.travel("2026-03-03 10:01:00Z", tick=True):
        response = fresh.post("/accounts/two-factor/?next=/", {"code": code_for(device), "next": "/"})
        assert response["Location"] == "/"


def test_make_demo_prints_the_operators_key_and_a_code_that_signs_in(capsys):
    import re

    from config import demo

    connection.set_schema_to_public()
    User.objects.create_user(demo.OPERATOR[0], "Demo Operator", demo.OPERATOR[1], is_operator=True)
    device = demo._operator_authenticator()
    assert demo._operator_authenticator() == device  # made once, kept between runs
    demo._print_logins(False, device)
    printed = capsys.readouterr().out
    key = re.search(r"two-factor key \(add it to an authenticator app\): ([A-Z2-7]+)", printed).group(1)
    code = re.search(r"code right now: (\d{6})", printed).group(1)
    from clinic.accounts.two_factor import secret_of

    assert key == secret_of(device)
    client = Client(HTTP_HOST="localhost")
    client.post("/operator/login/", {"username": demo.OPERATOR[0], "password": demo.OPERATOR[1]})
    assert client.post("/operator/two-factor/", {"code": code}).status_code == 302
    assert client.get("/operator/").status_code == 200
