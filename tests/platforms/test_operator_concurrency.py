"""The operator's and the clinics' platform operations at once (each thread its own connection,
the data committed): one current secret however many rotations race, one application however
often a clinic applies at once, and an identifier given to one clinic only."""

import threading

import pytest
from django.db import connections
from django_tenants.utils import schema_context

THREADS = 10


@pytest.fixture
def platform(django_db_blocker, clinic_a, clinic_b):
    from platforms.catalogue.models import Enrolment, Platform, SigningSecret
    from platforms.catalogue.services import PlatformData, create_platform

    with django_db_blocker.unblock(), schema_context("public"):
        created, _secret = create_platform(PlatformData(code="race-platform", name="Race", currency=clinic_a.currency),
                                           actor=None)
    yield created
    with django_db_blocker.unblock(), schema_context("public"):
        from auditlog.models import LogEntry

        LogEntry.objects.filter(content_type__app_label="platform_catalogue").delete()
        # Not .delete(): its cascade would look for the clinics' tables in the public schema.
        Enrolment.objects.filter(platform=created)._raw_delete("default")
        SigningSecret.objects.filter(platform=created)._raw_delete("default")
        Platform.objects.filter(pk=created.pk)._raw_delete("default")


def run_at_once(django_db_blocker, actions):
    """Run each of ``actions`` in a thread of its own, released together; their outcomes."""
    barrier = threading.Barrier(len(actions))
    results, lock = [], threading.Lock()

    def attempt(action):
        from clinic.errors import DomainError

        try:
            with django_db_blocker.unblock(), schema_context("public"):
                barrier.wait(timeout=30)
                try:
                    action()
                    outcome = "ok"
                except DomainError as refused:
                    outcome = str(refused)
        except Exception as error:  # noqa: BLE001 - reported in the assertions
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=attempt, args=(action,)) for action in actions]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


def test_rotations_at_once_leave_one_current_secret_and_one_before_it(platform, django_db_blocker):
    from datetime import timedelta

    from platforms.catalogue.services import rotate_secret

    results = run_at_once(django_db_blocker,
                          [lambda: rotate_secret(platform, overlap=timedelta(hours=1), actor=None)] * THREADS)
    assert results == ["ok"] * THREADS
    with django_db_blocker.unblock(), schema_context("public"):
        assert platform.secrets.count() == THREADS + 1
        assert platform.secrets.filter(retires_at__isnull=True).count() == 1
        assert len(platform.signing_secrets()) == 2


def test_a_clinic_applying_at_once_makes_one_application(platform, clinic_a, django_db_blocker):
    from platforms.catalogue.models import Enrolment
    from platforms.catalogue.services import apply_for_platform

    results = run_at_once(django_db_blocker,
                          [lambda: apply_for_platform(clinic_a, platform, note="race", actor=None)] * THREADS)
    assert results.count("ok") == 1, results
    assert results.count("The clinic has applied already; the operator has not decided yet.") == THREADS - 1
    with django_db_blocker.unblock(), schema_context("public"):
        assert Enrolment.objects.filter(platform=platform).count() == 1


def test_one_identifier_goes_to_one_clinic_when_both_are_approved_at_once(platform, clinic_a, clinic_b,
                                                                          django_db_blocker):
    from platforms.catalogue.models import Enrolment
    from platforms.catalogue.services import approve_enrolment

    with django_db_blocker.unblock(), schema_context("public"):
        applications = [Enrolment.objects.create(clinic=clinic, platform=platform) for clinic in (clinic_a, clinic_b)]
    results = run_at_once(django_db_blocker, [
        (lambda enrolment=enrolment: approve_enrolment(enrolment, identifier="SAME-1", actor=None))
        for enrolment in applications])
    assert sorted(results) == ["Another clinic has this identifier at Race.", "ok"], results
    with django_db_blocker.unblock(), schema_context("public"):
        statuses = sorted(Enrolment.objects.filter(platform=platform).values_list("status", "identifier"))
    assert statuses == [("applied", ""), ("approved", "SAME-1")]
