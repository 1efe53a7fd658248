"""Every statement tab and the front desk's lists run a number of SQL statements that does
not grow with their rows: the same page for a short history (1 of everything) and a long one
(12 of everything) runs no more statements."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Activity
from billing.reports import clinic_today
from billing.services import (
    add_line,
    open_visit,
    receive_deposit,
    refund_deposit,
    refund_payment,
    take_payment,
    update_billing_settings,
)
from clinic.scheduling.models import AppointmentService
from tests.factories import AppointmentFactory, PatientFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TABS = ["summary", "visits", "appointments", "transactions", "deposits", "crm", "club"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def history(desk, size: int):
    """A patient with ``size`` visits (two lines, a payment, a refund), appointments (two
    services each, past and upcoming), deposits (one returned in part) and CRM tasks."""
    update_billing_settings(points_per_unit="1", point_value="0.01", actor=desk["manager"])
    patient = PatientFactory()
    for i in range(size):
        visit = open_visit(patient=patient, location=desk["location"], practitioner=desk["practitioner"],
                           actor=desk["cashier"])
        add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
        add_line(visit, service=desk["filling"], actor=desk["cashier"])
        payment = take_payment(patient=patient, visit=visit, method="card", amount="300", actor=desk["cashier"])
        refund_payment(payment, amount="10", reason="goodwill", actor=desk["manager"])
        for offset in (-(i + 1), i + 1):
            appointment = AppointmentFactory(patient=patient,
                                             starts_at=timezone.now() + timedelta(days=offset * 2))
            for position, service in enumerate((ServiceFactory(), ServiceFactory())):
                AppointmentService.objects.create(appointment=appointment, service=service, position=position)
        deposit = receive_deposit(patient=patient, amount="50", method="cash", actor=desk["cashier"])
        refund_deposit(deposit, amount="5", reason="part back", actor=desk["manager"])
        Activity.objects.create(patient=patient, kind="call", subject=f"Call {i}", due_date=clinic_today(),
                                assignee=desk["cashier"])
    return patient


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HTMX)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("tab", TABS)
def test_a_statement_tab_runs_as_many_statements_for_a_long_history_as_for_a_short_one(
        desk, client_for, tab, django_assert_max_num_queries):
    client = client_for(desk["manager"])
    short = history(desk, 1)
    long = history(desk, 12)
    client.get(f"/patients/{short.pk}/statement/?tab={tab}", **HTMX)  # warm the session and caches
    allowed = count(client, f"/patients/{short.pk}/statement/?tab={tab}")
    with django_assert_max_num_queries(allowed):
        response = client.get(f"/patients/{long.pk}/statement/?tab={tab}", **HTMX)
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/patients/?q={last_name}", "/reception/", "/tasks/"])
def test_a_list_runs_as_many_statements_for_many_rows_as_for_one(desk, client_for, url,
                                                                django_assert_max_num_queries):
    client = client_for(desk["manager"])
    short = history(desk, 1)
    allowed = None
    for patient in (short,):
        client.get(url.format(last_name=patient.last_name))
        allowed = count(client, url.format(last_name=patient.last_name))
    long = history(desk, 12)
    for _ in range(11):
        PatientFactory(last_name=long.last_name)
    with django_assert_max_num_queries(allowed):
        client.get(url.format(last_name=long.last_name))
