"""Test set-up: the database, two clinics created once per session, personas.

Without DATABASE_URL the embedded PostgreSQL (var/pgdata) is started for the
session and stopped at its end. The clinic schemas "alpha" and "beta" are
created once per session (cloned from the template schema) and committed;
each test runs in a transaction that is rolled back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
_embedded = None


def pytest_configure(config):
    global _embedded
    from clinic.embedded_db import start_unless_configured

    _embedded = start_unless_configured(BASE_DIR)


def pytest_unconfigure(config):
    if _embedded is not None:
        _embedded.stop()


CLINICS = {
    "alpha": {"name": "Alpha Clinic", "currency": "EUR", "time_zone": "Europe/Bucharest", "language": "en"},
    "beta": {"name": "Beta Clinic", "currency": "CNY", "time_zone": "Asia/Shanghai", "language": "zh-hans"},
}


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb,
                    django_db_modify_db_settings):
    """The test database and the two clinics, for every session that asks for them.

    pytest-django's own fixture creates only the databases the collected ``django_db`` tests
    name; a session of thread-based tests alone (``-k concurrency``: committed data, each thread on
    its own connection, no ``django_db`` marker) or of browser tests would then run against a
    database that was never created. This one always creates the default database (as the
    documented way to customise ``django_db_setup``: the same ``setup_databases`` call, same
    ``--reuse-db``/``--create-db``), then the site and the clinics.
    """
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS
    from django.test.utils import setup_databases, teardown_databases

    from clinic.tenants.models import Clinic
    from clinic.tenants.services import create_clinic

    keepdb = django_db_keepdb and not django_db_createdb
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=verbosity, interactive=False, keepdb=keepdb,
                                 aliases={DEFAULT_DB_ALIAS}, serialized_aliases=set())
        call_command("setup_site", verbosity=0)
        for slug, data in CLINICS.items():
            if not Clinic.objects.filter(slug=slug).exists():
                create_clinic(slug=slug, admin_email=f"first-manager@{slug}.example", password="first-manager-pw", **data)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=verbosity)


@pytest.fixture(autouse=True)
def _start_in_public_schema():
    from django.db import connection
    from django.utils import translation

    from clinic.tenants.middleware import forget_tenants
    from platforms.intake import clear_lookups

    connection.set_schema_to_public()
    translation.activate("en")
    forget_tenants()  # a rolled-back test may have left a clinic in the routing cache
    clear_lookups()  # ... or a platform, enrolment or product in the intake's
    yield
    connection.set_schema_to_public()
    translation.deactivate()


@pytest.fixture(scope="session")
def clinic_a(django_db_setup, django_db_blocker):
    from clinic.tenants.models import Clinic

    with django_db_blocker.unblock():
        return Clinic.objects.get(slug="alpha")


@pytest.fixture(scope="session")
def clinic_b(django_db_setup, django_db_blocker):
    from clinic.tenants.models import Clinic

    with django_db_blocker.unblock():
        return Clinic.objects.get(slug="beta")


@pytest.fixture
def tenant(db, clinic_a):
    """Run the test inside clinic A's schema."""
    from django.db import connection

    connection.set_tenant(clinic_a)
    yield clinic_a
    connection.set_schema_to_public()


@pytest.fixture
def in_clinic():
    """Switch the connection to a clinic: ``with in_clinic(clinic_b): ...``."""
    from django_tenants.utils import tenant_context

    return tenant_context


@pytest.fixture
def make_user(tenant):
    from tests.factories import make_staff

    return make_staff


@pytest.fixture
def client_for():
    """A test client on a clinic's host, logged in as ``user`` (None: anonymous)."""
    from django.db import connection
    from django.test import Client

    def build(user=None, clinic=None):
        clinic = clinic or connection.tenant
        client = Client(HTTP_HOST=clinic.primary_domain)
        if user is not None:
            previous = connection.tenant
            connection.set_tenant(clinic)
            client.force_login(user)
            connection.set_tenant(previous)
        return client

    return build


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def front_desk(make_user):
    return make_user("front_desk")


@pytest.fixture
def doctor(make_user):
    return make_user("doctor")


@pytest.fixture
def finance(make_user):
    return make_user("finance")
