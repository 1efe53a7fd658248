"""Cashiers at once: a visit is never overpaid, a payment never refunded beyond what was paid,
a deposit never spent twice (each thread has its own connection; the data is committed)."""

from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.concurrency import at_once

THREADS = 10


@pytest.fixture
def committed_visit(django_db_blocker, clinic_a):
    from billing.models import Method
    from billing.services import add_line, open_visit, receive_deposit
    from clinic.models import Location, Practitioner, Service, ServiceCategory
    from clinic.patients.models import Patient
    from tests.factories import make_staff

    with django_db_blocker.unblock(), tenant_context(clinic_a):
        location = Location.objects.create(name="Cashier race room")
        practitioner = Practitioner.objects.create(full_name="Dr Till")
        category = ServiceCategory.objects.create(name="Cashier race")
        service = Service.objects.create(code="TILL-1", name="Till", category=category, duration_minutes=30,
                                         price="250.00")
        patient = Patient.objects.create(first_name="Concurrent", last_name="Payer")
        cashier = make_staff("manager", email="till@alpha.example")
        visit = open_visit(patient=patient, location=location, practitioner=practitioner, actor=cashier)
        add_line(visit, service=service, actor=cashier)
        deposit = receive_deposit(patient=patient, amount="150", method=Method.CASH, actor=cashier)
    yield {"visit": visit, "patient": patient, "cashier": cashier, "deposit": deposit}
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        with connection.cursor() as cursor:
            # The ledger refuses deletes (its triggers too); a test's cleanup is the one exception.
            cursor.execute("SET clinic.ledger_purge = 'on'")
            cursor.execute("DELETE FROM billing_ledgerentry WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM billing_payment WHERE patient_id = %s AND refund_of_id IS NOT NULL",
                           [patient.pk])
            cursor.execute("DELETE FROM billing_payment WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM billing_deposit WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM billing_visitline WHERE visit_id = %s", [visit.pk])
            cursor.execute("DELETE FROM billing_visit WHERE id = %s", [visit.pk])
            cursor.execute("DELETE FROM billing_payer WHERE patient_id = %s", [patient.pk])
            cursor.execute("RESET clinic.ledger_purge")
        patient.delete()
        service.delete()
        category.delete()
        practitioner.delete()
        location.delete()
        cashier.delete()
    connection.set_schema_to_public()


def run_at_once(django_db_blocker, clinic, action, threads: int = THREADS):
    """Run ``action(index)`` in ``threads`` threads released together; their outcomes."""
    return at_once(django_db_blocker, [partial(action, index) for index in range(threads)], clinic=clinic)


def test_cashiers_paying_one_visit_at_once_cannot_overpay_it(committed_visit, clinic_a, django_db_blocker):
    from billing import ledger
    from billing.models import Method
    from billing.services import take_payment

    data = committed_visit
    results = run_at_once(
        django_db_blocker, clinic_a,
        lambda i: take_payment(patient=data["patient"], visit=data["visit"], method=Method.CASH, amount="100",
                               actor=data["cashier"]),
    )
    assert results.count("ok") == 2, results
    assert results.count("Only 50.00 EUR is due. Take money ahead as a deposit.") == THREADS - 2, results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        assert ledger.balance(data["patient"]) == Decimal("50.00")


def test_refunds_at_once_never_exceed_what_was_paid(committed_visit, clinic_a, django_db_blocker):
    from billing import ledger
    from billing.models import Method
    from billing.services import refund_payment, take_payment

    data = committed_visit
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        payment = take_payment(patient=data["patient"], visit=data["visit"], method=Method.CARD, amount="250",
                               actor=data["cashier"])
    results = run_at_once(
        django_db_blocker, clinic_a,
        lambda i: refund_payment(payment, amount="100", reason=f"race {i}", actor=data["cashier"]),
    )
    assert results.count("ok") == 2, results
    assert all(r == "ok" or r.startswith("At most 50.00 EUR") for r in results), results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        assert ledger.balance(data["patient"]) == Decimal("200.00")


def test_a_deposit_is_not_spent_twice_at_once(committed_visit, clinic_a, django_db_blocker):
    from billing import ledger
    from billing.models import Method
    from billing.services import take_payment

    data = committed_visit
    results = run_at_once(
        django_db_blocker, clinic_a,
        lambda i: take_payment(patient=data["patient"], visit=data["visit"], method=Method.DEPOSIT,
                               deposit=data["deposit"], amount="100", actor=data["cashier"]),
    )
    assert results.count("ok") == 1, results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        assert ledger.deposit_remaining(data["deposit"]) == Decimal("50.00")
        assert ledger.balance(data["patient"]) == Decimal("150.00")
