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


def test_a_handle_list_cut_short_by_a_killed_run_is_repaired_at_the_next_start(tmp_path, monkeypatch):
    """A run killed while pgserver wrote its handle file left it empty: pgserver would refuse to
    start ("JSONDecodeError"); the next start resets it, stopping whatever server still ran there
    (in another process the start then proceeds as usual; pgserver's per-process cache of servers
    keeps this test to the repair itself)."""
    pytest.importorskip("pgserver")
    from clinic.embedded_db import _repair_handle_list

    monkeypatch.setenv("EMBEDDED_PGDATA", str(tmp_path / "pgdata"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    embedded = EmbeddedPostgres(tmp_path)
    embedded.start()
    data = tmp_path / "pgdata"
    left_running = _postmaster(data)
    handles = data / ".handle_pids.json"
    handles.write_text("")  # cut short, the server still running
    _repair_handle_list(data)
    assert not left_running.is_running() and _postmaster(data) is None
    assert json.loads(handles.read_text()) == []
    _repair_handle_list(data)  # a readable list is left as it is
    assert json.loads(handles.read_text()) == []
    embedded.server = None  # its server is stopped already


def test_a_second_stop_signal_during_the_first_is_ignored(tmp_path, monkeypatch):
    """make passes a SIGTERM on to the demo: the second must not cut the first stop short."""
    import signal

    stops = []
    embedded = EmbeddedPostgres(tmp_path)
    monkeypatch.setattr(embedded, "stop", lambda: stops.append(signal.getsignal(signal.SIGTERM)))
    previous = {each: signal.getsignal(each) for each in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        with pytest.raises(SystemExit) as stopped:
            embedded._on_signal(signal.SIGTERM, None)
        assert stopped.value.code == 128 + signal.SIGTERM
        assert stops == [signal.SIG_IGN]  # while stopping, a further SIGTERM is ignored
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
