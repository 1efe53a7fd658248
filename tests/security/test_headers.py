"""Issue 16: the headers of every door (clinic, portal, operator) and the production
settings: a Content-Security-Policy without inline scripts, Permissions-Policy, no-store
on pages with patients or money, HSTS and Secure cookies, `check --deploy` clean."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import PatientFactory, make_staff

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _assert_protected(response):
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_clinic_pages_with_patients_and_money_carry_the_headers(tenant, client_for):
    patient = PatientFactory()
    client = client_for(make_staff("manager"))
    for url in ("/", "/patients/", f"/patients/{patient.pk}/", "/reports/cash/", "/accounts/login/"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        _assert_protected(response)


def test_portal_and_operator_doors_carry_the_headers():
    client = Client(HTTP_HOST="localhost")
    for url in ("/portal/login/", "/operator/login/"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_protected(response)


def test_no_template_has_an_inline_script_or_event_handler():
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


PROBE = """
import json, io
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
out, err = io.StringIO(), io.StringIO()
try:
    call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=err)
    ok = True
except Exception as exc:
    ok, err = False, io.StringIO(str(exc))
print(json.dumps({"ok": ok, "out": out.getvalue() + err.getvalue(),
    "hsts": settings.SECURE_HSTS_SECONDS, "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE, "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csp": "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE,
    "script_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]}))
"""


def test_production_settings_pass_check_deploy_with_csp_hsts_and_secure_cookies():
    # (The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, set in this process, is no deployment's.)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "t3st-Only_" + "".join(chr(65 + n % 50) for n in range(60)),
                        "ALLOWED_HOSTS": "clinic.example,.clinic.example"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["ok"], found["out"]
    assert found["hsts"] >= 31536000
    assert found["session_secure"] and found["csrf_secure"] and found["session_httponly"]
    assert found["csp"] and found["script_src"] == ["'self'"]
