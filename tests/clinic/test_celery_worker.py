"""A real Celery worker against the machine's Redis runs each clinic's task in its own schema."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

pytestmark = pytest.mark.celery_worker

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def committed(django_db_blocker, clinic_a, clinic_b):
    """Committed rows (a worker cannot see a test's open transaction), removed afterwards."""
    from clinic.exports.models import Export
    from clinic.models import Service, ServiceCategory

    created = []
    with django_db_blocker.unblock():
        yield created
        for schema, pk in created:
            with schema_context(schema):
                export = Export.objects.filter(pk=pk).first()
                if export:
                    if export.file:
                        export.file.delete(save=False)
                    export.delete()
                Service.objects.filter(code__in=["WORKER-A", "WORKER-B"]).delete()
                ServiceCategory.objects.filter(name="Worker test", services__isnull=True).delete()
        connection.set_schema_to_public()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no broker for a real worker")
def test_worker_runs_each_clinics_task_in_its_own_schema(committed, clinic_a, clinic_b, settings):
    from clinic.exports.models import Export
    from clinic.exports.tasks import build_export
    from clinic.models import Service, ServiceCategory
    from config.celery import app
    from tests.factories import make_staff

    app.conf.task_always_eager = False
    queue = f"test-{os.getpid()}-{time.time_ns()}"
    exports = {}
    for clinic, code in ((clinic_a, "WORKER-A"), (clinic_b, "WORKER-B")):
        with schema_context(clinic.schema_name):
            user = make_staff("manager")
            category, _ = ServiceCategory.objects.get_or_create(name="Worker test")
            Service.objects.get_or_create(
                code=code, defaults={"name": code, "category": category, "duration_minutes": 10, "price": "1.00"}
            )
            export = Export.objects.create(kind="price_list", created_by=user)
            committed.append((clinic.schema_name, export.pk))
            exports[clinic.schema_name] = export.pk

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url()}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "solo",
         "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        for schema, pk in exports.items():
            build_export.apply_async(args=[pk, "en"], headers={"_schema_name": schema}, queue=queue)
        deadline = time.monotonic() + 60
        done = {}
        while time.monotonic() < deadline and len(done) < 2:
            for schema, pk in exports.items():
                with schema_context(schema):
                    export = Export.objects.get(pk=pk)
                    if export.is_finished:
                        done[schema] = export
            time.sleep(0.3)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    assert len(done) == 2, f"the worker did not finish both exports:\n{output}"
    from openpyxl import load_workbook

    for schema, own, other in (("c_alpha", "WORKER-A", "WORKER-B"), ("c_beta", "WORKER-B", "WORKER-A")):
        export = done[schema]
        assert export.status == "done", export.error
        with schema_context(schema):
            codes = [row[0] for row in load_workbook(export.file.path).active.iter_rows(values_only=True)]
        assert own in codes and other not in codes


def _database_url():
    """The test database, as the worker must use it."""
    settings_dict = connection.settings_dict
    from urllib.parse import quote

    host = settings_dict["HOST"] or "localhost"
    host = quote(host, safe="") if host.startswith("/") else host
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{settings_dict['USER']}@{host}{port}/{settings_dict['NAME']}"
