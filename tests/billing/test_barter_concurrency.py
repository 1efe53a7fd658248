"""Twenty charges of 1,500 at once against a barter policy with 20,000 left (each thread with
its own connection, committed data): 13 covered in full, the 14th covered 500 with 1,000 to
the company beyond the limit, the rest wholly to the company; never spent above the limit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from billing.reports import clinic_today
from tests.billing.test_billing_concurrency import run_at_once

THREADS = 20


@pytest.fixture
def committed_policy(django_db_blocker, clinic_a):
    from billing.barter.services import register_policy, review_policy, save_agreement
    from billing.services import open_visit
    from clinic.models import Location, Practitioner, Service, ServiceCategory
    from clinic.patients.models import Patient
    from tests.factories import make_staff

    with django_db_blocker.unblock(), tenant_context(clinic_a):
        location = Location.objects.create(name="Barter race room")
        practitioner = Practitioner.objects.create(full_name="Dr Limit")
        category = ServiceCategory.objects.create(name="Barter race")
        service = Service.objects.create(code="BART-1", name="Implant stage", category=category,
                                         duration_minutes=60, price="1500.00")
        patient = Patient.objects.create(first_name="Barter", last_name="Racer")
        manager = make_staff("manager", email="barter-race@alpha.example")
        today = clinic_today()
        agreement = save_agreement(None, actor=manager, data={
            "kind": "company", "name": "Race Media SRL", "overspend": "company",
            "valid_from": today - timedelta(days=1), "categories": [category]})
        policy = review_policy(register_policy(agreement=agreement, patient=patient, number="R-1", limit="20000",
                                               actor=manager), actor=manager)
        visits = [open_visit(patient=patient, location=location, practitioner=practitioner, actor=manager)
                  for _ in range(THREADS)]
    yield {"policy": policy, "service": service, "visits": visits, "manager": manager}
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        with connection.cursor() as cursor:
            # The ledger refuses deletes (its triggers too); a test's cleanup is the one exception.
            cursor.execute("SET clinic.ledger_purge = 'on'")
            cursor.execute("DELETE FROM billing_ledgerentry WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM billing_visitline WHERE visit_id IN (SELECT id FROM billing_visit "
                           "WHERE patient_id = %s)", [patient.pk])
            cursor.execute("DELETE FROM billing_visit WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM barter_limitincrease WHERE policy_id = %s", [policy.pk])
            cursor.execute("DELETE FROM barter_policy WHERE id = %s", [policy.pk])
            cursor.execute("DELETE FROM billing_payer WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM barter_agreement_categories WHERE agreement_id = %s", [agreement.pk])
            cursor.execute("DELETE FROM barter_agreement WHERE id = %s", [agreement.pk])
            cursor.execute("DELETE FROM billing_counterparty WHERE id = %s", [agreement.counterparty_id])
            cursor.execute("RESET clinic.ledger_purge")
            cursor.execute("DELETE FROM patients_patientflag WHERE patient_id = %s", [patient.pk])
        patient.delete()
        service.delete()
        category.delete()
        practitioner.delete()
        location.delete()
        manager.delete()
    connection.set_schema_to_public()


def test_twenty_charges_at_once_never_spend_above_the_limit(committed_policy, clinic_a, django_db_blocker):
    from billing.barter.services import figures
    from billing.models import PayerKind, VisitLine
    from billing.services import add_line

    data = committed_policy
    results = run_at_once(
        django_db_blocker, clinic_a,
        lambda i: add_line(data["visits"][i], service=data["service"], payer=data["policy"].payer,
                           actor=data["manager"]),
        threads=THREADS,
    )
    assert results.count("ok") == THREADS, results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        shown = figures(data["policy"])
        assert (shown.spent, shown.remaining) == (Decimal("20000.00"), Decimal("0.00"))
        lines = VisitLine.objects.filter(visit__in=data["visits"])
        covered = sorted(line.unit_price for line in lines if line.payer_id == data["policy"].payer_id)
        beyond = sorted(line.unit_price for line in lines if line.payer.kind == PayerKind.BARTER_COMPANY)
        assert covered == [Decimal("500.00")] + [Decimal("1500.00")] * 13
        assert beyond == [Decimal("1000.00")] + [Decimal("1500.00")] * 6
