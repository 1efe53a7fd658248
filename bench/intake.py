"""Order intake under load: signed platform orders posted to gunicorn running the production settings.

Run from the project root with ``python -m bench.intake`` (``--seconds 5`` or
``BENCH_INTAKE_SECONDS=5`` for a smoke run).

It never touches your data: it creates its own database ``bench_intake`` (``--database`` names
another) on the server named by DATABASE_URL (or on the embedded PostgreSQL when DATABASE_URL is
unset) and drops it at the end (``--keep`` keeps it). Redis is not used.

One platform with one signing secret and one product; ``--clinics`` clinics (default 20) enrolled
with it, each with a channel inventory far beyond what the run can sell. gunicorn serves
``config.wsgi`` with ``config.settings.production`` (a generated SECRET_KEY; requests carry
``X-Forwarded-Proto: https`` as they would behind the TLS proxy) on a free port with
``--workers`` workers (default 3). A load generator in a process of its own (asyncio, raw
HTTP/1.1, ``--connections`` concurrent connections, kept alive where the worker class allows it:
gunicorn's sync workers close each after its answer and the client opens a new one) posts Standard Webhooks-signed
``order.created`` messages, spread over the clinics, for ``--seconds`` (default 30) after a
short warm-up; one message in twenty repeats an order number already acknowledged (a platform
retrying), which must be answered 200 and stored once.

Measured: orders accepted per second (201 answers / time), latency p50 and p99 of every answer,
the server's CPU per answer (gunicorn's workers and the PostgreSQL backends serving them, so that
a run on a shared machine can still be read), and the accounting: every acknowledged order is in its clinic's schema (``lost`` counts those
that are not) and no number is stored or accepted twice (``doubled``).

Progress goes to stderr; the table and, as the very last line, one JSON object of the figures go
to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

from bench._common import BASE_DIR, bench_database, log, percentile

BENCH_DATABASE = "bench_intake"
PLATFORM = "bench-insurer"
PRODUCT = "CHECKUP"
SECRET = "whsec_" + "YmVuY2gtaW50YWtlLXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3"
TARGETS = {"orders_per_s": 200, "p99_ms": 100}
REPEAT_EVERY = 20


# --- the world ------------------------------------------------------------------------------


def create_world(clinics: int) -> list[str]:
    """The platform, its product and ``clinics`` clinics enrolled with stock; their identifiers."""
    from datetime import date
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from clinic.tenants.services import create_clinic
    from platforms.catalogue.models import Enrolment, Platform, Product, ProductService, SigningSecret
    from platforms.models import ChannelStock

    connection.set_schema_to_public()
    platform = Platform.objects.create(code=PLATFORM, name="Bench insurer benefits", currency="CNY")
    SigningSecret.objects.create(platform=platform, secret=SECRET)
    product = Product.objects.create(platform=platform, code=PRODUCT, name="Check-up", kind=Product.Kind.PACKAGE,
                                     settlement_price=Decimal("180.00"), valid_from=date(2020, 1, 1))
    ProductService.objects.create(product=product, service_code="CHK", quantity=1)
    identifiers = []
    started = time.perf_counter()
    for number in range(1, clinics + 1):
        slug = f"bench-intake-{number:02d}"
        connection.set_schema_to_public()
        clinic = create_clinic(slug=slug, name=f"Bench Intake Clinic {number}", currency="CNY",
                               time_zone="Asia/Shanghai", language="zh-hans", admin_email=f"manager@{slug}.example",
                               password="bench-manager-password").clinic
        connection.set_schema_to_public()
        identifier = f"clinic-{number:02d}"
        Enrolment.objects.create(clinic=clinic, platform=platform, status=Enrolment.Status.APPROVED,
                                 identifier=identifier, decided_at=timezone.now())
        with tenant_context(clinic):
            ChannelStock.objects.create(product=product, available=1_000_000)
        identifiers.append(identifier)
    log(f"  {clinics} clinics created and enrolled in {time.perf_counter() - started:.1f} s")
    connection.set_schema_to_public()
    return identifiers


def stored_orders() -> dict[str, int]:
    """Every order number stored in every clinic's schema, with how often."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from clinic.tenants.models import Clinic
    from platforms.models import PlatformOrder

    counts: dict[str, int] = {}
    connection.set_schema_to_public()
    for clinic in Clinic.objects.filter(slug__startswith="bench-intake-"):
        with tenant_context(clinic):
            for number in PlatformOrder.objects.values_list("number", flat=True):
                counts[number] = counts.get(number, 0) + 1
    return counts


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, worker_class: str, threads: int, log_path: str,
                   settings_module: str = "config.settings.production") -> subprocess.Popen:
    env = os.environ.copy()
    env.update({
        "DJANGO_SETTINGS_MODULE": settings_module,
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "localhost,.localhost,127.0.0.1",
        "PUBLIC_DOMAIN": "localhost",
        "DEBUG": "0",
        "DB_CONN_MAX_AGE": "600",
    })
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
               "--keep-alive", "30", "--error-logfile", log_path, "--log-level", "warning"]
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_serving(port: int, server: subprocess.Popen, log_path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    request = (b"GET /api/platforms/" + PLATFORM.encode() + b"/orders HTTP/1.1\r\nHost: localhost\r\n"
               b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(request)
                if sock.recv(64).startswith(b"HTTP/1.1 405"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    with open(log_path) as handle:
        tail = handle.read()[-3000:]
    raise RuntimeError(f"gunicorn did not serve the intake:\n{tail}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_processes(server: subprocess.Popen, database: str) -> tuple[list, list]:
    """gunicorn's workers, and the PostgreSQL backends serving the benchmark's database (when
    the server runs on this machine: otherwise none)."""
    import psutil
    from django.db import connection

    workers = psutil.Process(server.pid).children(recursive=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                       [database])
        backend_pids = [row[0] for row in cursor.fetchall()]
    backends = []
    for pid in backend_pids:
        try:
            backends.append(psutil.Process(pid))
        except psutil.Error:
            pass
    return workers, backends


def cpu_seconds(processes) -> float:
    import psutil

    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


# --- the load generator (a process of its own) -------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                # A keep-alive connection the server closed before this request: send it again
                # on a fresh one (nothing was read, so the server never answered it).
                await self.close()
                if attempt == 2:
                    raise
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
        self.reader = self.writer = None


def signed_request(number: str, clinic: str, webhook) -> bytes:
    body = json.dumps({
        "type": "order.created", "order_number": number, "clinic": clinic, "product": PRODUCT,
        "customer": {"name": "Bench Patient", "phone": "+86 138 0013 8000"},
        "purchased_at": "2026-01-15T10:00:00+08:00"}).encode()
    msg_id = f"msg_{number}_{secrets.token_hex(4)}"
    now = datetime.now(UTC)
    signature = webhook.sign(msg_id, now, body)
    head = (f"POST /api/platforms/{PLATFORM}/orders HTTP/1.1\r\nHost: localhost\r\n"
            f"X-Forwarded-Proto: https\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"webhook-id: {msg_id}\r\nwebhook-timestamp: {int(now.timestamp())}\r\n"
            f"webhook-signature: {signature}\r\n\r\n")
    return head.encode() + body


async def load(port: int, clinics: list[str], seconds: float, warmup: float, connections: int) -> dict:
    from standardwebhooks.webhooks import Webhook

    webhook = Webhook(SECRET)
    # (number, status, reason, sent in the timed window) of every answer, warm-up included.
    answers: list[tuple[str, int, str, bool]] = []
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + seconds

    async def client(index: int):
        connection = Connection(port)
        sent = 0
        acknowledged: list[tuple[str, str]] = []
        while time.perf_counter() < stop_at:
            sent += 1
            if acknowledged and sent % REPEAT_EVERY == 0:
                number, clinic = acknowledged[-1 - sent % len(acknowledged) if len(acknowledged) > 1 else 0]
            else:
                number, clinic = f"B{index:03d}-{sent:07d}", clinics[(index + sent) % len(clinics)]
            raw = signed_request(number, clinic, webhook)
            begun = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(connection.request(raw), timeout=30)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                errors.append(f"{number}: {error!r}")
                await connection.close()
                continue
            finished = time.perf_counter()
            reason = ""
            if status >= 400:
                try:
                    reason = json.loads(body).get("reason", "")
                except ValueError:
                    reason = body[:80].decode("latin-1")
            elif len(acknowledged) < 1000:
                acknowledged.append((number, clinic))
            timed = begun >= measure_from
            answers.append((number, status, reason, timed))
            if timed:
                latencies.append((finished - begun) * 1000)
        await connection.close()

    await asyncio.gather(*(client(i) for i in range(connections)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"answers": answers, "latencies": latencies, "errors": errors,
            "timed_s": time.perf_counter() - measure_from, "client_cpu_s": usage.ru_utime + usage.ru_stime}


def load_child(port: int, clinics: list[str], seconds: float, warmup: float, connections: int) -> int:
    result = asyncio.run(load(port, clinics, seconds, warmup, connections))
    json.dump(result, sys.stdout)
    return 0


def run_load(port: int, identifiers: list[str], seconds: float, warmup: float, connections: int) -> dict:
    command = [sys.executable, "-m", "bench.intake", "--load-child", str(port), ",".join(identifiers),
               str(seconds), str(warmup), str(connections)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=BASE_DIR, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


# --- the report ---------------------------------------------------------------------------------


def account(result: dict, stored: dict[str, int]) -> dict:
    answers = result["answers"]
    created = [number for number, status, _r, _t in answers if status == 201]
    repeated = [number for number, status, _r, _t in answers if status == 200]
    acknowledged = set(created) | set(repeated)
    refused: dict[str, int] = {}
    for _number, status, reason, _timed in answers:
        if status >= 400:
            refused[f"{status} {reason}"] = refused.get(f"{status} {reason}", 0) + 1
    lost = len(acknowledged - stored.keys())
    doubled = (len(created) - len(set(created))) + sum(count - 1 for count in stored.values())
    latencies = result["latencies"]
    timed = [status for _n, status, _r, in_window in answers if in_window]
    return {
        "answers": len(answers),
        "accepted": len(created),
        "repeats_answered": len(repeated),
        "refused": refused,
        "errors": len(result["errors"]),
        "stored": sum(stored.values()),
        "unacknowledged_stored": len(stored.keys() - acknowledged),
        "lost": lost,
        "doubled": doubled,
        "orders_per_s": timed.count(201) / result["timed_s"],
        "requests_per_s": len(timed) / result["timed_s"],
        "p50_ms": percentile(latencies, 0.50) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99) if latencies else float("nan"),
        "max_ms": max(latencies) if latencies else float("nan"),
        "timed": len(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_INTAKE_SECONDS", "30")),
                        help="how long the load runs after the warm-up (default 30, or BENCH_INTAKE_SECONDS)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the timing (default 3)")
    parser.add_argument("--clinics", type=int, default=20, help="clinics enrolled with the platform (default 20)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3; 2-4 on 2 cores)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent client connections (default 8)")
    parser.add_argument("--settings", default="config.settings.production",
                        help="gunicorn's settings module (default config.settings.production)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--database", default=BENCH_DATABASE, help=f"its name (default {BENCH_DATABASE})")
    parser.add_argument("--load-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_child:
        port, clinics, seconds, warmup, connections = args.load_child
        return load_child(int(port), clinics.split(","), float(seconds), float(warmup), int(connections))

    with bench_database(args.database, keep=args.keep) as database:
        from django.db import connections

        log(f"Creating the platform and {args.clinics} enrolled clinics ...")
        identifiers = create_world(args.clinics)
        connections.close_all()
        port = free_port()
        log_file = tempfile.NamedTemporaryFile(prefix="bench-intake-gunicorn-", suffix=".log", delete=False)
        log_file.close()
        log(f"Starting gunicorn ({args.workers} {args.worker_class} workers) on 127.0.0.1:{port} ...")
        server = start_gunicorn(port, args.workers, args.worker_class, args.threads, log_file.name, args.settings)
        try:
            wait_until_serving(port, server, log_file.name)
            # One signed order per worker first, so that each has its database connection (and its
            # PostgreSQL backend, whose CPU is counted) before the load starts.
            first = run_load(port, identifiers, 0.5, 0, args.workers)
            workers, backends = server_processes(server, connections["default"].settings_dict["NAME"])
            connections.close_all()
            workers_before, backends_before = cpu_seconds(workers), cpu_seconds(backends)
            load_before = os.getloadavg()[0]
            log(f"Posting signed orders for {args.warmup:g} + {args.seconds:g} s over {args.connections} "
                "connections ...")
            result = run_load(port, identifiers, args.seconds, args.warmup, args.connections)
            workers_cpu_s = cpu_seconds(workers) - workers_before
            backends_cpu_s = cpu_seconds(backends) - backends_before
            load_answers = len(result["answers"])
            result["answers"] = first["answers"] + result["answers"]  # every order is accounted for
            load_after = os.getloadavg()[0]
        finally:
            stop(server)
            with open(log_file.name) as handle:
                server_errors = [line for line in handle if "Traceback" in line or "ERROR" in line]
            os.unlink(log_file.name)
        log("Counting the orders stored in every clinic's schema ...")
        stored = stored_orders()

    figures = account(result, stored)
    # Server CPU (gunicorn workers + PostgreSQL backends) per answer over the whole load: a figure
    # that does not depend on what else the machine was running, unlike the rate and latencies.
    workers_ms = workers_cpu_s * 1000 / max(load_answers, 1)
    backends_ms = backends_cpu_s * 1000 / max(load_answers, 1)
    cpu_ms = workers_ms + backends_ms
    client_cpu_ms = result["client_cpu_s"] * 1000 / max(load_answers, 1)
    capacity = (os.cpu_count() or 1) * 1000 / (cpu_ms + client_cpu_ms) if cpu_ms else float("nan")
    met_rate = figures["orders_per_s"] >= TARGETS["orders_per_s"]
    met_p99 = figures["p99_ms"] < TARGETS["p99_ms"]
    refused = ", ".join(f"{count} × {reason}" for reason, count in sorted(figures["refused"].items())) or "none"
    lines = [
        "",
        f"Clinic Channels order intake benchmark  ({database}, {os.cpu_count()} CPUs)",
        f"gunicorn, production settings, {args.workers} {args.worker_class} workers; one platform, "
        f"{args.clinics} clinics; {args.connections} concurrent client connections in a process of their own;",
        f"{args.warmup:g} s warm-up, then {args.seconds:g} s timed; 1 message in {REPEAT_EVERY} repeats an "
        "acknowledged order number.",
        "",
        f"    orders accepted per second    {figures['orders_per_s']:>9.1f}   (target >= 200: "
        f"{'met' if met_rate else 'MISSED'})",
        f"    answers per second            {figures['requests_per_s']:>9.1f}",
        f"    latency p50                   {figures['p50_ms']:>9.1f} ms",
        f"    latency p99                   {figures['p99_ms']:>9.1f} ms   (target < 100 ms: "
        f"{'met' if met_p99 else 'MISSED'})",
        f"    latency max                   {figures['max_ms']:>9.1f} ms",
        f"    server CPU per answer         {cpu_ms:>9.2f} ms   (gunicorn workers {workers_ms:.2f} + PostgreSQL "
        f"backends {backends_ms:.2f})",
        f"    load generator CPU per answer {client_cpu_ms:>9.2f} ms",
        f"    => answers/s the {os.cpu_count()} CPUs could serve with nothing else running: {capacity:.0f}",
        f"    load average before / after   {load_before:>5.1f} / {load_after:.1f}",
        "",
        f"    accepted (201)                {figures['accepted']:>9}",
        f"    repeats answered (200)        {figures['repeats_answered']:>9}",
        f"    refused                       {refused}",
        f"    client errors                 {figures['errors']:>9}",
        f"    stored in the clinics         {figures['stored']:>9}",
        f"    lost (acknowledged, not stored) {figures['lost']:>7}",
        f"    doubled (stored or accepted twice) {figures['doubled']:>4}",
        f"    stored, never acknowledged    {figures['unacknowledged_stored']:>9}",
        f"    server errors in gunicorn's log {len(server_errors):>7}",
    ]
    print("\n".join(lines))
    print(json.dumps({
        "orders_per_s": round(figures["orders_per_s"], 1),
        "requests_per_s": round(figures["requests_per_s"], 1),
        "p50_ms": round(figures["p50_ms"], 1),
        "p99_ms": round(figures["p99_ms"], 1),
        "max_ms": round(figures["max_ms"], 1),
        "server_cpu_per_answer_ms": round(cpu_ms, 2),
        "gunicorn_cpu_per_answer_ms": round(workers_ms, 2),
        "postgres_cpu_per_answer_ms": round(backends_ms, 2),
        "client_cpu_per_answer_ms": round(client_cpu_ms, 2),
        "idle_capacity_per_s": round(capacity),
        "load_average_1min": round(load_before, 1),
        "accepted_count": figures["accepted"],
        "repeats_count": figures["repeats_answered"],
        "refused_count": sum(figures["refused"].values()),
        "client_errors_count": figures["errors"],
        "stored_count": figures["stored"],
        "lost_count": figures["lost"],
        "doubled_count": figures["doubled"],
        "clinics_count": args.clinics,
        "workers_count": args.workers,
        "duration_s": args.seconds,
    }))
    return 0 if figures["lost"] == 0 and figures["doubled"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
