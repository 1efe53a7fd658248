"""A worker process killed during an export: the export finishes on the next run, never "Building" for ever."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tests.clinic.test_celery_worker import _database_url
from tests.reliability import slow_export  # noqa: F401 - registers "test_slow" here; the worker imports it too
from tests.reliability.conftest import committed

# The test's own transaction stays empty: what the worker must see is written by ``committed``.
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db]
BASE_DIR = Path(__file__).resolve().parents[2]
LEASE = 3


@pytest.fixture
def committed_export(clinic_a):
    from clinic.exports.models import Export
    from tests.factories import make_staff

    def create():
        with schema_context(clinic_a.schema_name):
            user = make_staff("manager", email="export-killed@alpha.example")
            return Export.objects.create(kind="test_slow", created_by=user, params={"steps": 40, "pause": 0.25})

    export = committed(create)
    yield export

    def remove():
        with schema_context(clinic_a.schema_name):
            export.refresh_from_db()
            if export.file:
                export.file.delete(save=False)
            export.delete()
            export.created_by.delete()

    committed(remove)


def pool_children(pid: int) -> list[int]:
    output = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in output.split()]


def test_killing_the_worker_process_mid_export_hands_it_to_the_next_run(committed_export, broker, clinic_a):
    from clinic.exports.models import Export
    from clinic.exports.tasks import build_export

    queue = f"test-killed-{os.getpid()}-{time.time_ns()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url(),
           "REDIS_URL": broker.url, "EXPORT_LEASE_SECONDS": str(LEASE)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "prefork",
         "--concurrency", "1", "-I", "tests.reliability.slow_export", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", os.environ.get("TEST_WORKER_LOG", "warning")],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )

    def export():
        def read():
            with schema_context(clinic_a.schema_name):
                return Export.objects.get(pk=committed_export.pk)

        return committed(read)

    try:
        build_export.apply_async(args=[committed_export.pk, "en"], headers={"_schema_name": clinic_a.schema_name},
                                 queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and export().progress < 20:
            time.sleep(0.1)
        assert export().status == "running", "the worker never started the export"
        children = pool_children(worker.pid)
        assert children, "no pool process to kill"
        for child in children:
            os.kill(child, signal.SIGKILL)  # the process building the export dies mid-way
        killed_at = export().progress
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not export().is_finished:
            time.sleep(0.3)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    final = export()
    assert final.status == "done", f"{final.status} {final.error}\n{output}"
    assert final.attempts == 2 and 0 < killed_at < 100  # taken over once its lease lapsed
    def content():
        with schema_context(clinic_a.schema_name):
            return final.file.read()

    assert committed(content) == b"slow export done"
