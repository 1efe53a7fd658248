"""Cost of multi-tenancy: host routing per request, and creating clinics.

Run from the project root with ``python -m bench.tenancy`` (or ``make bench``).

It never touches your data: it creates its own database ``bench_tenancy`` on
the server named by DATABASE_URL (or on the embedded PostgreSQL when
DATABASE_URL is unset), drops and recreates it at the start and drops it at
the end. Redis is not used (REDIS_URL is ignored), so no task can reach a
worker that serves a real database.

Measured:

(a) a minimal view ("ok") called through Django's WSGI handler and the full
    middleware stack on a clinic's host, with and without
    ``ClinicTenantMiddleware`` -- median and p95, and what routing adds;
(b) creating 100 clinics with ``clinic.tenants.services.create_clinic``
    (schema cloned from the template, domain, first manager), timed one by one,
    with the part spent cloning the schema (``clinic.tenants.cloning``); each on a database
    connection of its own, or with ``--one-connection`` all on one.

Options: --requests N, --warmup N, --clinics N, --one-connection.
Progress goes to stderr; the table and, as the very last line, one JSON
object of the figures go to stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time

from django.http import HttpResponse
from django.urls import path

from bench._common import bench_database, log, percentile

BENCH_DATABASE = "bench_tenancy"
TENANT_MIDDLEWARE = "clinic.tenants.middleware.ClinicTenantMiddleware"
PING_PATH = "/bench-ping/"
BENCH_HOST = "bench-0001.localhost"


# --- the URLconf used for (a): this module is ROOT_URLCONF during the run ---


def ping(request):
    return HttpResponse("ok")


urlpatterns = [path(PING_PATH.strip("/") + "/", ping)]


# --- helpers ---------------------------------------------------------------


# --- (a) routing -------------------------------------------------------------


def time_requests(handler, factory, count: int) -> list[float]:
    """Milliseconds per request through the WSGI handler, as a server would call it."""

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise RuntimeError(f"benchmark request answered {status}")

    timings = []
    for _ in range(count):
        environ = factory.get(PING_PATH, HTTP_HOST=BENCH_HOST).environ
        started = time.perf_counter_ns()
        response = handler(environ, start_response)
        body = b"".join(response)
        response.close()  # fires request_finished, as the WSGI server does
        timings.append((time.perf_counter_ns() - started) / 1e6)
        if body != b"ok":
            raise RuntimeError(f"unexpected body {body!r}")
    return timings


def bench_routing(requests: int, warmup: int, rounds: int = 10) -> dict[str, float]:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory, override_settings

    plain_middleware = [m for m in settings.MIDDLEWARE if m != TENANT_MIDDLEWARE]
    assert len(plain_middleware) == len(settings.MIDDLEWARE) - 1, "tenant middleware not in MIDDLEWARE"
    factory = RequestFactory()
    with override_settings(
        ROOT_URLCONF="bench.tenancy", ALLOWED_HOSTS=[".localhost", "localhost"], DEBUG=False
    ):
        routed_handler = WSGIHandler()  # reads MIDDLEWARE now
        with override_settings(MIDDLEWARE=plain_middleware):
            plain_handler = WSGIHandler()
        time_requests(routed_handler, factory, warmup)
        time_requests(plain_handler, factory, warmup)
        routed: list[float] = []
        plain: list[float] = []
        # Alternate in rounds so drift (other load on the machine) hits both alike.
        per_round = max(1, requests // rounds)
        for _ in range(rounds):
            gc.collect()
            routed += time_requests(routed_handler, factory, per_round)
            gc.collect()
            plain += time_requests(plain_handler, factory, per_round)
    routed_median = statistics.median(routed)
    plain_median = statistics.median(plain)
    return {
        "requests_each": len(routed),
        "routed_request_ms_median": routed_median,
        "routed_request_ms_p95": percentile(routed, 0.95),
        "plain_request_ms_median": plain_median,
        "plain_request_ms_p95": percentile(plain, 0.95),
        "routing_added_ms_median": routed_median - plain_median,
    }


# --- (b) creating clinics ----------------------------------------------------


def bench_clinics(count: int, fresh_connection: bool = False) -> tuple[list[float], list[float], float]:
    """Seconds per create_clinic call, and of that the schema clone; and the total.

    With ``fresh_connection`` (the default of the command line) the connection
    is closed before each clinic, as each operator-console request or
    ``create_clinic`` command has its own (the reconnect is timed too). Without
    it every clinic is created on one connection, as a loop in one process
    would.
    """
    from django.db import connection, connections

    from clinic.tenants import cloning
    from clinic.tenants.services import create_clinic

    clone_times: list[float] = []
    original_clone = cloning.clone_schema

    def timed_clone(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original_clone(*args, **kwargs)
        finally:
            clone_times.append(time.perf_counter() - started)

    per_clinic: list[float] = []
    cloning.clone_schema = timed_clone
    try:
        total_started = time.perf_counter()
        for number in range(1, count + 1):
            slug = f"bench-{number:04d}"
            if fresh_connection:
                connections.close_all()
            connection.set_schema_to_public()
            before = len(clone_times)
            started = time.perf_counter()
            create_clinic(
                slug=slug,
                name=f"Bench Clinic {number}",
                currency="EUR",
                time_zone="Europe/Chisinau",
                language="en",
                admin_email=f"manager@{slug}.example",
            )
            per_clinic.append(time.perf_counter() - started)
            if len(clone_times) != before + 1:
                raise RuntimeError("create_clinic did not clone the template schema")
            if number % 10 == 0:
                log(f"  {number} clinics, {time.perf_counter() - total_started:.1f} s")
        total = time.perf_counter() - total_started
    finally:
        cloning.clone_schema = original_clone
    return per_clinic, clone_times, total


def db_round_trip_ms(count: int = 500) -> float:
    """Median of a bare SELECT 1 on Django's connection: the unit cost of a query."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(count):
            started = time.perf_counter_ns()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            timings.append((time.perf_counter_ns() - started) / 1e6)
    return statistics.median(timings)


def password_hash_seconds() -> float:
    from django.contrib.auth.hashers import make_password

    started = time.perf_counter()
    make_password("bench-password-123")
    return time.perf_counter() - started


# --- report --------------------------------------------------------------------


def report(
    routing: dict,
    per_clinic: list[float],
    clone_times: list[float],
    total_s: float,
    hash_s: float,
    round_trip_ms: float,
    database: str,
    fresh_connection: bool = False,
) -> dict:
    count = len(per_clinic)
    first, last = per_clinic[:10], per_clinic[-10:]
    first_clone, last_clone = clone_times[:10], clone_times[-10:]
    figures = {
        "routed_request_ms_median": round(routing["routed_request_ms_median"], 3),
        "routed_request_ms_p95": round(routing["routed_request_ms_p95"], 3),
        "plain_request_ms_median": round(routing["plain_request_ms_median"], 3),
        "plain_request_ms_p95": round(routing["plain_request_ms_p95"], 3),
        "routing_added_ms_median": round(routing["routing_added_ms_median"], 3),
        "create_10_clinics_s": round(sum(first), 2),
        f"create_{count}_clinics_s": round(total_s, 2),
        "first_10_s_per_clinic": round(statistics.mean(first), 3),
        "last_10_s_per_clinic": round(statistics.mean(last), 3),
        "first_10_clone_s_per_clinic": round(statistics.mean(first_clone), 3),
        "last_10_clone_s_per_clinic": round(statistics.mean(last_clone), 3),
        "password_hash_s": round(hash_s, 3),
        "db_round_trip_ms_median": round(round_trip_ms, 3),
    }
    w = 46

    def verdict(ok: bool, target: str) -> str:
        return f"   (target {target}: {'met' if ok else 'MISSED'})"

    lines = [
        "",
        f"Clinic Channels tenancy benchmark  ({database}, {os.cpu_count()} CPUs)",
        "",
        f"(a) GET {PING_PATH} on {BENCH_HOST}, {routing['requests_each']} requests each",
        f"    {'':<{w}} {'median ms':>10} {'p95 ms':>9}",
        f"    {'with tenant routing (full middleware)':<{w}} {figures['routed_request_ms_median']:>10.3f} "
        f"{figures['routed_request_ms_p95']:>9.3f}",
        f"    {'without ClinicTenantMiddleware':<{w}} {figures['plain_request_ms_median']:>10.3f} "
        f"{figures['plain_request_ms_p95']:>9.3f}",
        f"    {'added by routing':<{w}} {figures['routing_added_ms_median']:>10.3f}"
        + verdict(figures["routing_added_ms_median"] < 1, "< 1 ms"),
        f"    {'for scale: one SELECT 1 round trip':<{w}} {figures['db_round_trip_ms_median']:>10.3f}",
        "",
        f"(b) create_clinic x {count} (schema cloned from the template; "
        + ("a new DB connection for each clinic)" if fresh_connection else "one DB connection for all)"),
        f"    {'':<{w}} {'seconds':>10} {'s/clinic':>9} {'clone s/clinic':>15}",
        f"    {'first 10 clinics':<{w}} {sum(first):>10.2f} {statistics.mean(first):>9.3f} "
        f"{statistics.mean(first_clone):>15.3f}",
        f"    {'last 10 clinics':<{w}} {sum(last):>10.2f} {statistics.mean(last):>9.3f} "
        f"{statistics.mean(last_clone):>15.3f}",
        f"    {f'all {count} clinics':<{w}} {total_s:>10.2f} {total_s / count:>9.3f} "
        f"{statistics.mean(clone_times):>15.3f}"
        + (verdict(total_s < 120, "< 120 s") if count == 100 else ""),
        f"    {'slowest / fastest single clinic':<{w}} {max(per_clinic):>10.3f} {min(per_clinic):>9.3f}",
        f"    {'one password hash (part of every clinic)':<{w}} {hash_s:>10.3f}",
        "",
    ]
    print("\n".join(lines))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=2000, help="timed requests per variant (default 2000)"
    )
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests per variant first")
    parser.add_argument("--clinics", type=int, default=100, help="clinics to create (default 100)")
    parser.add_argument(
        "--one-connection",
        action="store_true",
        help="create every clinic on one database connection, as a loop in one process would "
        "(default: a new connection for each, as the operator console and create_clinic have)",
    )
    args = parser.parse_args(argv)
    if args.clinics < 1:
        parser.error("--clinics must be at least 1")

    with bench_database(BENCH_DATABASE) as database:
        log(f"(b) creating {args.clinics} clinics ...")
        per_clinic, clone_times, total_s = bench_clinics(args.clinics, not args.one_connection)
        hash_s = password_hash_seconds()
        round_trip_ms = db_round_trip_ms()

        log(f"(a) timing {args.requests} requests each, with and without tenant routing ...")
        routing = bench_routing(args.requests, args.warmup)

    figures = report(
        routing, per_clinic, clone_times, total_s, hash_s, round_trip_ms, database, not args.one_connection
    )
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
