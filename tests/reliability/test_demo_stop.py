"""The demo's stop also stops an embedded server it finds running in its data folder."""

import json

import pytest

from clinic.embedded_db import EmbeddedPostgres, _postmaster


def test_stopping_the_demo_stops_the_server_even_after_an_earlier_run_was_killed(tmp_path, monkeypatch):
    pytest.importorskip("pgserver")
    monkeypatch.setenv("EMBEDDED_PGDATA", str(tmp_path / "pgdata"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    embedded = EmbeddedPostgres(tmp_path)
    embedded.start()
    data = tmp_path / "pgdata"
    server = _postmaster(data)
    assert server is not None and server.is_running()
    # An earlier demo killed with -9 left its (dead) process id among pgserver's handles:
    # pgserver alone would think someone still uses the server and leave it running.
    handles = data / ".handle_pids.json"
    pids = json.loads(handles.read_text())
    handles.write_text(json.dumps(sorted({*pids, 2 ** 22 - 3})))
    embedded.stop()
    assert not server.is_running()
    assert _postmaster(data) is None
