"""Issue 16, defect 7: links in mails use the address the demo serves on; a refused page
(403) is one line in the log, not a traceback printed twice."""

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import make_staff

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
from config import demo
demo.configure_environment()
import django
django.setup()
from django.conf import settings
from clinic.accounts.services import clinic_url
print(clinic_url("demo.localhost", "/accounts/reset/"), settings.CSRF_TRUSTED_ORIGINS)
"""


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1:8123", "http://demo.localhost:8123/accounts/reset/"),
    ("0.0.0.0:80", "http://demo.localhost/accounts/reset/"),
])
def test_mail_links_use_the_port_the_demo_serves_on(address, expected):
    env = {key: value for key, value in os.environ.items()
           if key not in ("SITE_URL_TEMPLATE", "CSRF_TRUSTED_ORIGINS", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=env | {"DEMO_ADDRESS": address})
    assert result.returncode == 0, result.stderr
    link, origins = result.stdout.split(" ", 1)
    assert link == expected
    assert expected.split("/accounts")[0].replace("demo.", "") in origins


def _console_handlers():
    """Every plain console handler (django's and the root's), not pytest's own."""
    found = []
    for name in ("django", "django.request", ""):
        found += [h for h in logging.getLogger(name).handlers if type(h) is logging.StreamHandler and h not in found]
    return found


@pytest.mark.django_db
def test_a_403_is_logged_once_as_one_line_without_a_traceback(tenant, client_for):
    assert logging.getLogger("django").handlers, "the django logger has its own handler"
    handlers = _console_handlers()
    out = io.StringIO()
    previous = [handler.setStream(out) for handler in handlers]
    try:
        response = client_for(make_staff(None)).get("/staff/")
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)
    assert response.status_code == 403
    logged = out.getvalue()
    assert logged.count("Forbidden (Permission denied): /staff/") == 1
    assert "Traceback" not in logged and "PermissionDenied" not in logged
