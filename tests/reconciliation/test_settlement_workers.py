"""Two real Celery workers run the quarterly proposal for the same clinic and quarter at once:
one batch, never two (the issue's test of the unique constraint plus the lock)."""

import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.clinic.test_celery_worker import _database_url

pytestmark = pytest.mark.celery_worker

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def committed_statement(django_db_blocker, clinic_a):
    """A verified statement of a platform the clinic is enrolled with, and an off-cycle window
    open today (whatever today is), committed for the workers to see; removed afterwards."""
    from clinic.periods import clinic_today
    from platforms.catalogue.models import Enrolment
    from reconciliation.models import MonthlyStatement
    from reconciliation.payouts.models import SettlementWindow
    from tests.platform_factories import PlatformFactory

    with django_db_blocker.unblock():
        with schema_context("public"):
            platform = PlatformFactory(currency=clinic_a.currency)
            Enrolment.objects.create(clinic=clinic_a, platform=platform, status="approved",
                                     identifier=f"workers-{platform.code}")
        with schema_context(clinic_a.schema_name):
            connection.set_tenant(clinic_a)
            today = clinic_today()
            MonthlyStatement.objects.create(platform=platform, month=date(2030, 1, 1), currency=platform.currency,
                                            status="verified", generated_at=datetime.now().astimezone(),
                                            verified_at=datetime.now().astimezone())
        with schema_context("public"):
            window = SettlementWindow.objects.create(clinic=clinic_a, opens_on=today - timedelta(days=1),
                                                     closes_on=today + timedelta(days=1), reason="Worker test")
        yield platform
        with schema_context(clinic_a.schema_name), connection.cursor() as cursor:
            cursor.execute("DELETE FROM reconciliation_batchevent WHERE batch_id IN "
                           "(SELECT id FROM reconciliation_settlementbatch WHERE platform_id = %s)", [platform.pk])
            cursor.execute("UPDATE reconciliation_monthlystatement SET settlement_id = NULL WHERE platform_id = %s",
                           [platform.pk])
            cursor.execute("DELETE FROM reconciliation_settlementbatch WHERE platform_id = %s", [platform.pk])
            cursor.execute("DELETE FROM reconciliation_monthlystatement WHERE platform_id = %s", [platform.pk])
        with schema_context("public"), connection.cursor() as cursor:
            window.delete()
            cursor.execute("DELETE FROM platform_catalogue_enrolment WHERE platform_id = %s", [platform.pk])
            cursor.execute("DELETE FROM platform_catalogue_platform WHERE id = %s", [platform.pk])
    connection.set_schema_to_public()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no broker for a real worker")
def test_two_workers_proposing_the_same_quarter_make_one_batch(committed_statement, clinic_a, settings,
                                                                django_db_blocker):
    from config.celery import app
    from reconciliation.models import BatchEvent, SettlementBatch
    from reconciliation.tasks import propose_settlements

    app.conf.task_always_eager = False
    queue = f"test-settle-{os.getpid()}-{time.time_ns()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url()}
    workers = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "solo", "-n",
         f"w{index}-{queue}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for index in range(2)]
    try:
        for _ in range(6):  # several runs at once: the two workers take them together
            propose_settlements.apply_async(headers={"_schema_name": clinic_a.schema_name}, queue=queue)
        deadline = time.monotonic() + 60
        with django_db_blocker.unblock(), schema_context(clinic_a.schema_name):
            while time.monotonic() < deadline:
                if BatchEvent.objects.filter(batch__platform=committed_statement).exists():
                    break
                time.sleep(0.3)
            time.sleep(3)  # let the other runs finish too
            batches = SettlementBatch.objects.filter(platform=committed_statement).count()
    finally:
        for worker in workers:
            worker.terminate()
        output = "".join(worker.communicate(timeout=30)[0].decode(errors="replace") for worker in workers)
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    assert batches == 1, f"expected one batch, found {batches}:\n{output}"
