"""A stalled or unreachable PostgreSQL never holds a request for ever: every connection is made
with the connect timeout and runs with the statement timeout the settings give."""

import socket
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.db.utils import DatabaseError

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_connection():
    """A connection of its own, made from the settings as any request's is."""
    wrapper = connections.create_connection("default")
    yield wrapper
    wrapper.close()


def test_a_connection_runs_with_the_statement_timeout_of_the_settings(fresh_connection):
    assert settings.DB_STATEMENT_TIMEOUT_MS > 0
    with fresh_connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM current_setting('statement_timeout')::interval) * 1000")
        assert int(cursor.fetchone()[0]) == settings.DB_STATEMENT_TIMEOUT_MS
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "0"


def test_a_statement_past_the_timeout_is_stopped(fresh_connection):
    with fresh_connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 200")  # the setting's mechanism, at a test's scale
        started = time.monotonic()
        with pytest.raises(DatabaseError, match="statement timeout"):
            cursor.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 3


def test_connecting_gives_up_after_the_connect_timeout_of_the_settings(settings):
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == settings.DB_CONNECT_TIMEOUT > 0
    # A server that takes the connection and never answers (a stalled PostgreSQL), with the timeout at 2 s.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        stalled = {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": silent.getsockname()[1],
                   "OPTIONS": {**settings.DATABASES["default"]["OPTIONS"], "connect_timeout": 2}}
        wrapper = type(connections["default"])(stalled, alias="stalled")
        started = time.monotonic()
        try:
            with pytest.raises(OperationalError):
                wrapper.ensure_connection()
        finally:
            wrapper.close()
    assert time.monotonic() - started < 6
