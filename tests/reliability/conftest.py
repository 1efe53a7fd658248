"""Fault-injection helpers: a Redis of the test's own (never the machine's), a broker switch."""

import shutil
import socket
import subprocess
import time

import pytest

# Fixtures shared with the billing, scheduling and partner tests.
from tests.billing.conftest import desk  # noqa: F401
from tests.billing.test_billing_concurrency import committed_visit  # noqa: F401
from tests.partners.conftest import add_partner, world  # noqa: F401
from tests.scheduling.conftest import clinic_day  # noqa: F401
from tests.scheduling.test_concurrency import committed_slot  # noqa: F401


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server on a free port, stopped and started again by the test."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ends = time.monotonic() + 10
        while time.monotonic() < ends:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(own_redis):
    """Celery sends to the test's own Redis (not in-process) for the test's length."""
    from config.celery import app

    def reset_pools():
        # kombu keeps its connection and producer pools in a registry by broker URL: empty it, so the
        # next send connects to the broker configured now.
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = own_redis.url, False
    yield own_redis
    reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = saved


def committed(action):
    """Run ``action()`` on a connection of its own (a thread's), outside the test's transaction:
    what it writes is committed, as a worker in another process must see it."""
    import threading

    from django.db import connections

    outcome = {}

    def run():
        try:
            outcome["value"] = action()
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
