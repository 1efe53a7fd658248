"""Long work finishes or says it failed: leases, bounded takeovers, a failed export with Try again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.exports.models import Export
from clinic.exports.services import build_export_file, recover_exports
from clinic.reliability.models import OutboxMessage
from tests.reliability import slow_export  # noqa: F401 - registers "test_slow"

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FAST = {"steps": 2, "pause": 0}


def running(user, *, attempts, lapsed=True, **fields):
    lease = timezone.now() + (timedelta(seconds=-5) if lapsed else timedelta(seconds=60))
    return Export.objects.create(kind="test_slow", created_by=user, params=FAST, status=Export.Status.RUNNING,
                                 attempts=attempts, lease_until=lease, progress=20, **fields)


def test_a_run_whose_worker_vanished_is_taken_over_after_its_lease(tenant, manager):
    export = running(manager, attempts=1)
    assert build_export_file(export.pk, "en") == 0
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.attempts == 2 and export.lease_until is None
    assert export.file.read() == b"slow export done"


def test_a_run_under_a_live_lease_is_left_alone_and_told_when_to_come_back(tenant, manager):
    export = running(manager, attempts=1, lapsed=False)
    wait = build_export_file(export.pk, "en")
    assert 55 <= wait <= 61
    export.refresh_from_db()
    assert export.status == Export.Status.RUNNING and export.attempts == 1 and export.progress == 20


def test_after_the_last_try_the_export_fails_with_a_message(tenant, manager, settings):
    export = running(manager, attempts=settings.EXPORT_MAX_ATTEMPTS)
    assert build_export_file(export.pk, "en") == 0
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and export.finished is not None
    assert export.error == "The export was interrupted 3 times (its worker stopped). Try again."


def test_the_recovery_sends_lapsed_runs_again_and_fails_the_exhausted(tenant, manager, settings,
                                                                      django_capture_on_commit_callbacks):
    again = running(manager, attempts=1)
    exhausted = running(manager, attempts=settings.EXPORT_MAX_ATTEMPTS)
    alive = running(manager, attempts=1, lapsed=False)
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_exports() == 2
    for export in (again, exhausted, alive):
        export.refresh_from_db()
    assert again.status == Export.Status.DONE and again.attempts == 2  # re-sent (in-process here) and built
    assert exhausted.status == Export.Status.FAILED and "interrupted 3 times" in exhausted.error
    assert alive.status == Export.Status.RUNNING
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("clinic.exports.tasks.build_export", [again.pk, "en"])]


def test_a_failed_export_stops_polling_shows_why_and_can_be_tried_again(tenant, manager, client_for,
                                                                         django_capture_on_commit_callbacks):
    failed = Export.objects.create(kind="test_slow", created_by=manager, params=FAST, status=Export.Status.FAILED,
                                   error="The export took too long and was stopped.")
    client = client_for(manager)
    html = client.get(f"/exports/{failed.pk}/", **HTMX).content.decode()
    assert "hx-trigger" not in html  # no more polling
    assert "The export failed. The export took too long and was stopped." in html
    assert f'hx-post="/exports/{failed.pk}/retry/"' in html and "Try again" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/exports/{failed.pk}/retry/", **HTMX)
    assert response.status_code == 200
    again = Export.objects.exclude(pk=failed.pk).get()
    assert again.params == FAST and again.status == Export.Status.DONE
    assert f"/exports/{again.pk}/download/" in client.get(f"/exports/{again.pk}/", **HTMX).content.decode()
    # Only a failed export is tried again.
    response = client.post(f"/exports/{again.pk}/retry/", **HTMX)
    assert response.status_code == 422 and Export.objects.count() == 2


def test_someone_elses_or_a_forbidden_export_cannot_be_tried_again(tenant, manager, make_user, client_for):
    failed = Export.objects.create(kind="test_slow", created_by=manager, params=FAST, status=Export.Status.FAILED)
    for other in (make_user("manager"), make_user("doctor")):
        assert client_for(other).post(f"/exports/{failed.pk}/retry/", **HTMX).status_code == 404
    doctor_export = Export.objects.create(kind="test_slow", created_by=make_user("doctor"), params=FAST,
                                          status=Export.Status.FAILED)
    # A role without the export's permission is refused even for its own export.
    assert client_for(doctor_export.created_by).post(f"/exports/{doctor_export.pk}/retry/", **HTMX).status_code == 404
    assert Export.objects.count() == 2


def test_the_recovery_sends_again_a_waiting_export_the_broker_lost(tenant, manager, settings,
                                                                  django_capture_on_commit_callbacks):
    """Waiting for minutes after its task was handed to the broker: the message was lost (a Redis
    restarted without its data). Still in the outbox, or sent again lately: left to arrive."""
    import time_machine
    from django.db import connection

    def waiting(sent):
        export = Export.objects.create(kind="test_slow", created_by=manager, params=FAST)
        OutboxMessage.objects.create(schema_name=connection.schema_name, task_name="clinic.exports.tasks.build_export",
                                     args=[export.pk, "en"], sent_at=sent)
        return export

    OutboxMessage.objects.all().delete()
    start = timezone.now()
    lost, unsent = waiting(sent=start), waiting(sent=None)
    later = start + timedelta(seconds=settings.LEASE_RESEND_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        young = Export.objects.create(kind="test_slow", created_by=manager, params=FAST)
        resent_lately = waiting(sent=later)
        Export.objects.filter(pk=resent_lately.pk).update(created=start)
        with django_capture_on_commit_callbacks(execute=True):
            assert recover_exports() == 1
    for export in (lost, unsent, young, resent_lately):
        export.refresh_from_db()
    assert lost.status == Export.Status.DONE and lost.attempts == 1
    assert [e.status for e in (unsent, young, resent_lately)] == [Export.Status.PENDING] * 3
    assert OutboxMessage.objects.filter(args__0=lost.pk).count() == 2
    # Sent again, it is not sent a third time: a claim lets one run build, and it is built.
    with time_machine.travel(later + timedelta(seconds=settings.LEASE_RESEND_AFTER_SECONDS + 1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            recover_exports()
    assert OutboxMessage.objects.filter(args__0=lost.pk).count() == 2
