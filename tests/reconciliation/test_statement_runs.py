"""A statement's generation asked for on the page finishes or says it failed: a run under a lease,
taken over by beat's recovery when its worker vanished, failed with a message after the last try;
the page stops polling on failure, says why and offers "Try again"."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from clinic.reliability.models import OutboxMessage
from reconciliation.models import MonthlyStatement, StatementRun
from reconciliation.statements import generate_statement_run
from reconciliation.tasks import recover_statement_runs, request_statement
from tests.platform_factories import redeemed_order
from tests.reconciliation.test_views import APRIL_3, HTMX, at, platform, product  # noqa: F401 - fixtures

MARCH = date(2030, 3, 1)


@pytest.fixture(autouse=True)
def in_april():
    """The 3rd of April 2030: March's statement is the one that may be generated."""
    with time_machine.travel(at(APRIL_3), tick=False) as traveller:
        yield traveller


@pytest.fixture
def march_orders(product, manager):  # noqa: F811
    for number in ("R-1", "R-2"):
        redeemed_order(product, at=at(date(2030, 3, 10)), actor=manager, number=number)
    return product.platform


def run_of(platform, *, attempts, lapsed=True, status=StatementRun.Status.RUNNING, month=MARCH, **fields):  # noqa: F811
    lease = timezone.now() + (timedelta(seconds=-5) if lapsed else timedelta(seconds=60))
    return StatementRun.objects.create(platform=platform, month=month, status=status, attempts=attempts,
                                       lease_until=lease if status == StatementRun.Status.RUNNING else None,
                                       **fields)


def status_page(client, platform, polls=0):  # noqa: F811
    return client.get(f"/reconciliation/generate/status/?platform={platform.pk}&month=2030-03-01&n={polls}",
                      **HTMX).content.decode()


def test_a_generation_asked_for_is_a_run_that_makes_the_statement(march_orders, manager, client_for,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post("/reconciliation/generate/",
                                            {"platform": march_orders.pk, "month": "2030-03-01"}, **HTMX)
    assert response.status_code == 200
    run = StatementRun.objects.get()
    assert (run.status, run.attempts, run.lease_until, run.requested_by) == ("done", 1, None, manager)
    assert MonthlyStatement.objects.get().lines.count() == 2
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("reconciliation.generate_statement_run", [run.pk, "en"])]


def test_asking_again_while_a_run_is_under_way_joins_it(march_orders, manager):
    first = request_statement(march_orders, MARCH, actor=manager)
    again = request_statement(march_orders, MARCH, actor=manager)
    assert first == again and StatementRun.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_a_run_whose_lease_lapsed_is_taken_over_by_the_recovery(march_orders, manager,
                                                                  django_capture_on_commit_callbacks):
    vanished = run_of(march_orders, attempts=1, requested_by=manager)
    alive = run_of(march_orders, attempts=1, lapsed=False, month=date(2030, 2, 1))  # still held
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_statement_runs() == 1
    vanished.refresh_from_db()
    alive.refresh_from_db()
    assert (vanished.status, vanished.attempts, vanished.lease_until) == ("done", 2, None)
    assert MonthlyStatement.objects.get(month=MARCH).generated_by == manager
    assert (alive.status, alive.attempts) == ("running", 1)
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("reconciliation.generate_statement_run", [vanished.pk, "en"])]


def test_a_run_under_a_live_lease_is_left_alone_and_told_when_to_come_back(march_orders):
    held = run_of(march_orders, attempts=1, lapsed=False)
    assert 55 <= generate_statement_run(held.pk, "en") <= 61
    held.refresh_from_db()
    assert (held.status, held.attempts) == ("running", 1) and not MonthlyStatement.objects.exists()


def test_after_the_last_try_the_run_fails_with_a_message(march_orders, settings,
                                                         django_capture_on_commit_callbacks):
    exhausted = run_of(march_orders, attempts=settings.STATEMENT_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_statement_runs() == 1
    exhausted.refresh_from_db()
    assert exhausted.status == "failed" and exhausted.finished is not None and exhausted.lease_until is None
    assert exhausted.error == "The generation was interrupted 3 times (its worker stopped). Try again."
    assert not MonthlyStatement.objects.exists() and not OutboxMessage.objects.exists()
    # A late redelivery of the last run's message finds it failed and does nothing.
    assert generate_statement_run(exhausted.pk, "en") == 0
    exhausted.refresh_from_db()
    assert exhausted.status == "failed" and not MonthlyStatement.objects.exists()


def test_a_redelivery_past_the_last_try_fails_the_run(march_orders, settings):
    exhausted = run_of(march_orders, attempts=settings.STATEMENT_MAX_ATTEMPTS)
    assert generate_statement_run(exhausted.pk, "ro") == 0
    exhausted.refresh_from_db()
    assert exhausted.status == "failed" and "3" in exhausted.error and exhausted.error != (
        "The generation was interrupted 3 times (its worker stopped). Try again.")  # in the clinic's Romanian


def test_a_run_for_a_month_that_turned_fails_with_the_reason(march_orders):
    run = StatementRun.objects.create(platform=march_orders, month=MARCH)
    with time_machine.travel(at(date(2030, 5, 2)), tick=False):
        assert generate_statement_run(run.pk, "en") == 0
    run.refresh_from_db()
    assert run.status == "failed" and run.error == "Only the statement of April 2030 can be generated now."


def test_the_page_shows_a_failed_run_stops_polling_and_tries_again(march_orders, manager, client_for,
                                                                   django_capture_on_commit_callbacks):
    run_of(march_orders, attempts=3, status=StatementRun.Status.FAILED,
           error="The generation was interrupted 3 times (its worker stopped). Try again.")
    client = client_for(manager)
    html = status_page(client, march_orders)
    assert "hx-trigger" not in html and "hx-get" not in html  # no more polling
    assert "The statement of March 2030 could not be generated. The generation was interrupted 3 times" in html
    assert 'hx-post="/reconciliation/generate/"' in html and "Try again" in html
    assert f'name="platform" value="{march_orders.pk}"' in html and 'name="month" value="2030-03-01"' in html
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/reconciliation/generate/", {"platform": march_orders.pk, "month": "2030-03-01"},
                            **HTMX)
    assert again.status_code == 200 and 'hx-trigger="load delay:700ms"' in again.content.decode()  # polls again
    assert "is ready" in status_page(client, march_orders, 1)
    assert list(StatementRun.objects.order_by("id").values_list("status", flat=True)) == ["failed", "done"]
    assert MonthlyStatement.objects.get().lines.count() == 2


def test_a_waiting_run_polls_and_one_who_may_only_look_gets_no_try_again(march_orders, make_user, client_for):
    from django.contrib.auth.models import Permission

    viewer = make_user(None)
    viewer.user_permissions.add(Permission.objects.get(codename="view_monthlystatement"))
    StatementRun.objects.create(platform=march_orders, month=MARCH)
    assert 'hx-trigger="load delay:700ms"' in status_page(client_for(viewer), march_orders)
    StatementRun.objects.update(status=StatementRun.Status.FAILED, error="Stopped.")
    html = status_page(client_for(viewer), march_orders)
    assert "could not be generated. Stopped." in html and "Try again" not in html


def test_a_waiting_run_the_broker_lost_is_sent_again(march_orders, settings, django_capture_on_commit_callbacks):
    lost = StatementRun.objects.create(platform=march_orders, month=MARCH)
    OutboxMessage.objects.create(schema_name=connection.schema_name, task_name="reconciliation.generate_statement_run",
                                 args=[lost.pk, "en"], sent_at=timezone.now())
    later = timezone.now() + timedelta(seconds=settings.LEASE_RESEND_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert recover_statement_runs() == 1
    lost.refresh_from_db()
    assert lost.status == "done" and MonthlyStatement.objects.filter(month=MARCH).exists()


def test_only_work_that_counts_its_tries_goes_back_to_the_queue_when_its_worker_dies():
    """A message rejected when its worker dies is delivered again: only the runs under a lease
    (which count their tries and end failed) are; the daily runs are acknowledged, and the next
    day's run does what is due (a run that kills every worker is not redelivered for ever)."""
    from clinic.exports.tasks import build_export
    from reconciliation.tasks import generate_due_statements, generate_statement_run, propose_settlements

    for leased in (generate_statement_run, build_export):
        assert leased.acks_late and leased.reject_on_worker_lost, leased.name
    for daily in (generate_due_statements, propose_settlements):
        assert daily.acks_late and not daily.reject_on_worker_lost, daily.name
        assert daily.time_limit and daily.soft_time_limit, daily.name
