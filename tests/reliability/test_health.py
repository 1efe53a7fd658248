"""/healthz tells the truth within 3 s: a held database, a missing worker, each named."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

# The probe opens its own connection: what it must see is written through another one (committed).
pytestmark = pytest.mark.django_db


def raw():
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, autocommit=True)


def set_heartbeat(at):
    with raw() as other:
        other.execute("DELETE FROM public.reliability_heartbeat")
        if at is not None:
            other.execute("INSERT INTO public.reliability_heartbeat (name, at) VALUES ('worker', %s)", [at])


@pytest.fixture
def unblocked():
    set_heartbeat(None)
    yield
    set_heartbeat(None)


@pytest.fixture
def worker_expected(settings, own_redis):
    settings.REDIS_URL = own_redis.url
    settings.CELERY_TASK_ALWAYS_EAGER = False


def probe() -> tuple[object, float]:
    started = time.monotonic()
    response = Client().get("/healthz", HTTP_HOST="10.0.0.5")
    return response, time.monotonic() - started


def test_a_held_database_is_a_503_naming_it_within_3_seconds(unblocked, settings):
    settings.REDIS_URL = ""
    # Another session holds the clinics' table (as a long migration or a stuck transaction would).
    with raw() as holder, holder.transaction(force_rollback=True):
        holder.execute("LOCK TABLE public.tenants_clinic IN ACCESS EXCLUSIVE MODE")
        holder.execute("SELECT pg_sleep(0.1)")
        response, elapsed = probe()
    assert response.status_code == 503
    assert response.json()["database"] in {"unavailable", "timeout"}
    assert response.json()["down"] == ["database"]
    assert elapsed < 3
    response, elapsed = probe()  # released: healthy again
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_an_unreachable_database_is_a_503_within_3_seconds(unblocked, settings, monkeypatch):
    """A server that accepts the connection and never answers (a paused PostgreSQL)."""
    import socket
    import threading

    settings.REDIS_URL = ""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts, never speaks
    port = silent.getsockname()[1]
    from clinic.tenants import health

    original = health.database_params
    monkeypatch.setattr(health, "database_params", lambda: original() | {"host": "127.0.0.1", "port": port})
    try:
        response, elapsed = probe()
    finally:
        threading.Thread(target=silent.close, daemon=True).start()
    assert response.status_code == 503 and response.json()["down"] == ["database"]
    assert elapsed < 3


def test_no_worker_heartbeat_is_a_503_naming_the_worker(unblocked, worker_expected, settings):
    response, elapsed = probe()
    assert response.status_code == 503 and elapsed < 3
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "no heartbeat",
                               "status": "unavailable", "down": ["worker"]}

    set_heartbeat(timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE + 30))
    response, _elapsed = probe()
    assert response.status_code == 503 and response.json()["worker"].startswith("no heartbeat for ")

    # The container's own liveness check leaves the worker out (it starts after the web).
    response = Client().get("/healthz?skip=worker", HTTP_HOST="10.0.0.5")
    assert response.status_code == 200 and response.json()["worker"] == "not checked"

    set_heartbeat(timezone.now())  # what a worker does at start and at every relay run
    response, _elapsed = probe()
    assert response.status_code == 200 and response.json()["worker"] == "ok"


def test_redis_down_is_a_503_naming_it(unblocked, worker_expected, own_redis):
    set_heartbeat(timezone.now())
    own_redis.stop()
    response, elapsed = probe()
    assert response.status_code == 503 and elapsed < 3
    assert response.json()["redis"] == "unavailable" and response.json()["down"] == ["redis"]


def test_the_relay_records_the_workers_heartbeat():
    from clinic.reliability.heartbeat import last_beat
    from clinic.reliability.tasks import relay_outbox

    before = timezone.now()
    relay_outbox.apply(headers={"_schema_name": "public"})
    assert last_beat() >= before
