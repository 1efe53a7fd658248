"""The partner portal and the statistics sent by partners, at size.

Run from the project root with ``python -m bench.portal``.

It never touches your data: it creates its own database ``bench_portal`` (``--database``
names another) on the server named by DATABASE_URL (or on the embedded PostgreSQL when
DATABASE_URL is unset), drops it at the end (``--keep`` keeps it). Redis is not used: the
background export runs in-process.

A partner company is linked to 50 clinics (created with ``create_clinic`` as
``bench.tenancy`` does, each with a location, a practitioner and a service the partner may
book). The first clinic is big: 2 locations, 20 practitioners, 20,000 patients and 100,000
partner bookings of 5 partners made over the last year (their appointments over the year and
the next three weeks, 90 % of the past ones billed with one or two visit lines, the booked
service's commission posted on the partner's counterparty as partners.services posts it, 10 %
cancelled), loaded with COPY. Measured through the real views (django.test.Client):

(a) the portal's calendar of that clinic, one location, next week
    (GET /portal/book/?clinic=..&location=..&week=.. on the public host, as the partner's
    user): median, p95, queries;
(b) the statistics sent by partners over the whole year (as a finance user; a page of rows,
    the totals in SQL), and over this month: after the periodic fold of the statistics' days and
    a day's changes since (20 bookings cancelled: their day is read live), checked equal to the
    live figures; and the year before any fold (every day live), with the fold's time;
(c) the statistics' Excel export of the year (100,000 rows) through the background export, in a
    process of its own: its time and the process's peak resident memory (VmHWM).

Progress goes to stderr; the report and, as the very last line, one JSON object of the figures
go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bench._common import bench_database, log, measure, reset_id_sequence

BENCH_DATABASE = "bench_portal"
SLUG = "bench-portal-{:02d}"
ZONE = ZoneInfo("Europe/Chisinau")
SEED = 20261126
CLINICS = 50
BOOKINGS = 100_000
PATIENTS = 20_000
PARTNER_PASSWORD = "bench-partner-password-1"
TARGETS = {"portal_calendar_ms": 200, "statistics_ms": 150, "export_s": 10, "export_mb": 300}  # statistics: issue 11
SLOTS_PER_DAY = 24  # 08:00-20:00, 30 minutes each


class World:
    """What the load made, for the measurements."""

    big = None
    organisation = None
    location = None
    partner_user = None
    finance = None
    week: date | None = None
    year_first: date | None = None
    year_last: date | None = None
    clinics_s = 0.0
    load_s = 0.0
    bookings = 0
    billed = 0
    cancelled = 0
    changed_days = 0


# --- the clinics and the partner ------------------------------------------------------------


def create_partner_and_clinics(world: World) -> None:
    from django.db import connection
    from django_tenants.utils import tenant_context

    from clinic.models import Location, Practitioner, Service, ServiceCategory
    from clinic.tenants.services import create_clinic
    from partners.models import Partnership
    from partners.organisations.models import TERMS_VERSION, ClinicLink, TermsAcceptance
    from partners.organisations.services import create_partner

    connection.set_schema_to_public()
    partner = create_partner(name="MedAsist Network SRL", registration_number="RO-BENCH-1", kind="call_centre",
                             contact_name="Irina Lungu", contact_email="contact@medasist.example",
                             password=PARTNER_PASSWORD)
    world.partner_user = partner.member.user
    TermsAcceptance.objects.create(organisation=partner.organisation, version=TERMS_VERSION,
                                   accepted_by=world.partner_user)
    started = time.perf_counter()
    clinics = []
    for number in range(1, CLINICS + 1):
        slug = SLUG.format(number)
        connection.set_schema_to_public()
        clinics.append(create_clinic(slug=slug, name=f"Bench Portal Clinic {number}", currency="MDL",
                                     time_zone=str(ZONE), language="en", admin_email=f"manager@{slug}.example",
                                     password="bench-manager-password").clinic)
        if number % 10 == 0:
            log(f"  {number} clinics, {time.perf_counter() - started:.1f} s")
    world.clinics_s = time.perf_counter() - started
    connection.set_schema_to_public()
    ClinicLink.objects.bulk_create([ClinicLink(organisation=partner.organisation, clinic=clinic,
                                               status=ClinicLink.Status.ACTIVE) for clinic in clinics])
    for clinic in clinics[1:]:  # the small ones: what the partner may book there
        with tenant_context(clinic):
            location = Location.objects.create(name="Main")
            Practitioner.objects.create(full_name="Dr. Ana Rusu")
            service = Service.objects.create(code="C1", name="Consultation", duration_minutes=30,
                                             price=Decimal("400.00"),
                                             category=ServiceCategory.objects.create(name="Consultations"))
            partnership = Partnership.objects.create(organisation_id=partner.organisation.pk, commission=True,
                                                     commission_percent=Decimal("10.00"))
            partnership.locations.set([location])
            partnership.services.set([service])
    world.big = clinics[0]
    world.organisation = partner.organisation


# --- the big clinic -----------------------------------------------------------------------------


def load_big_clinic(world: World, rng: random.Random) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from bench.statement import copy_objects
    from billing.models import Counterparty, LedgerEntry, Payer, Posting, Visit, VisitLine
    from clinic.accounts.models import User
    from clinic.models import Location, OpeningHours, Practitioner, Service, ServiceCategory, WorkingHours
    from clinic.patients.models import PATIENT_NUMBER_SEQUENCE, Patient
    from clinic.scheduling.models import Appointment, AppointmentService
    from partners.models import REFERENCE_SEQUENCE, PartnerBooking, Partnership
    from partners.organisations.models import ClinicLink, PartnerOrganisation

    connection.set_schema_to_public()
    others = [PartnerOrganisation.objects.create(name=f"Partner {n}", registration_number=f"RO-BENCH-{n}",
                                                 kind="medical_provider", contact_name=f"Contact {n}",
                                                 contact_email=f"contact{n}@partner.example")
              for n in range(2, 6)]
    ClinicLink.objects.bulk_create([ClinicLink(organisation=o, clinic=world.big, status=ClinicLink.Status.ACTIVE)
                                    for o in others])
    connection.set_tenant(world.big)
    started = time.perf_counter()
    with transaction.atomic():
        locations = Location.objects.bulk_create([Location(name="Centru"), Location(name="Botanica")])
        OpeningHours.objects.bulk_create([OpeningHours(location=loc, weekday=wd, opens=dtime(8), closes=dtime(20))
                                          for loc in locations for wd in range(7)])
        practitioners = Practitioner.objects.bulk_create(
            [Practitioner(full_name=f"Dr. Practitioner {n:02d}") for n in range(20)])
        location_of = {p.pk: locations[0 if i < 10 else 1] for i, p in enumerate(practitioners)}
        WorkingHours.objects.bulk_create([
            WorkingHours(practitioner=p, location=location_of[p.pk], weekday=wd, starts=dtime(8), ends=dtime(20))
            for p in practitioners for wd in range(7)])
        category = ServiceCategory.objects.create(name="Consultations")
        services = Service.objects.bulk_create([
            Service(code=f"S{n:02d}", name=f"Service {n:02d}", category=category, duration_minutes=30,
                    price=Decimal(150 + 25 * n)) for n in range(20)])
        partnerships = [Partnership.objects.create(organisation_id=world.organisation.pk, commission=True,
                                                   commission_percent=Decimal("10.00"), payment_place="partner")]
        for n, organisation in enumerate(others):
            partnerships.append(Partnership.objects.create(
                organisation_id=organisation.pk, commission=n % 2 == 0, commission_percent=Decimal("7.50"),
                payment_place="clinic" if n < 2 else "partner"))
        for partnership in partnerships:
            partnership.locations.set(locations)
            partnership.services.set(services)
            # The partner company as the clinic's counterparty (its commission is posted on it).
            partnership.counterparty = Counterparty.objects.create(
                kind="partner", reference=f"partner:{partnership.organisation_id}", name=f"Partner {partnership.pk}",
                currency="MDL")
            partnership.save(update_fields=["counterparty"])
        world.location = locations[0]
        world.finance = User.objects.create_user("finance@bench-portal.example", "Finance", "bench-finance-pw")
        world.finance.groups.add(Group.objects.get(name="finance"))

        now = datetime.now(ZONE)
        today = now.date()
        world.year_last = today
        world.year_first = today - timedelta(days=364)
        year_start = datetime.combine(world.year_first, dtime.min, tzinfo=ZONE)
        monday = today - timedelta(days=today.weekday())
        world.week = monday + timedelta(days=7)

        patients = [{"id": n, "number": n, "first_name": f"Patient{n}", "last_name": "Bench",
                     "phone": f"+3736{n:07d}", "source": "partner", "created": year_start, "search_text": ""}
                    for n in range(1, PATIENTS + 1)]
        copy_objects(Patient, patients)
        copy_objects(Payer, [{"id": n, "kind": "patient", "patient_id": n, "created": year_start}
                             for n in range(1, PATIENTS + 1)])

        # Every practitioner's half-hour slots from the year's first day to three weeks ahead;
        # 100,000 of them taken by partner bookings (no two on one slot: the exclusion constraint).
        days = (today + timedelta(days=21) - world.year_first).days
        slots = rng.sample(range(days * len(practitioners) * SLOTS_PER_DAY), BOOKINGS)
        slots.sort()
        appointments, links, visits, lines, bookings = [], [], [], [], []
        postings, entries = [], []
        line_id = 0

        def post(kind, amount, at, visit_id, line_id, patient):
            """A balanced posting as billing.ledger writes it: the patient's debt and revenue."""
            posting_id = len(postings) + 1
            postings.append({"id": posting_id, "kind": kind, "created": at})
            common = {"posting_id": posting_id, "kind": kind, "amount": amount, "currency": "MDL", "created": at,
                      "visit_id": visit_id, "line_id": line_id, "patient_id": patient}
            entries.append({"id": len(entries) + 1, "account_id": patient, "bucket": "debt", "side": 1, **common})
            entries.append({"id": len(entries) + 1, "book": "revenue", "bucket": "book", "side": -1, **common})

        def post_commission(amount, at, visit_id, counterparty_id):
            """The commission a booking earned on its visit, as partners.services posts it: the
            partner's payable against the clinic's commission expense."""
            posting_id = len(postings) + 1
            postings.append({"id": posting_id, "kind": "commission", "created": at})
            common = {"posting_id": posting_id, "kind": "commission", "amount": amount, "currency": "MDL",
                      "created": at, "visit_id": visit_id}
            entries.append({"id": len(entries) + 1, "counterparty_id": counterparty_id, "bucket": "payable",
                            "side": -1, **common})
            entries.append({"id": len(entries) + 1, "book": "commission", "bucket": "book", "side": 1, **common})
        for pk, slot in enumerate(slots, start=1):
            day_index, rest = divmod(slot, len(practitioners) * SLOTS_PER_DAY)
            practitioner, slot_of_day = divmod(rest, SLOTS_PER_DAY)
            starts = datetime.combine(world.year_first + timedelta(days=day_index), dtime(8), tzinfo=ZONE) + \
                timedelta(minutes=30 * slot_of_day)
            practitioner = practitioners[practitioner]
            created = max(year_start, starts - timedelta(days=rng.randrange(0, 21), minutes=rng.randrange(1, 600)))
            created = min(created, now - timedelta(minutes=1))
            service = rng.choice(services)
            partnership = partnerships[0] if rng.random() < 0.6 else rng.choice(partnerships[1:])
            patient = rng.randrange(1, PATIENTS + 1)
            cancelled = rng.random() < 0.1
            if cancelled:
                status = "cancelled"
            elif starts < now:
                status = "completed"
            else:
                status = rng.choice(["booked", "confirmed"])
            appointments.append({
                "id": pk, "location_id": location_of[practitioner.pk].pk, "practitioner_id": practitioner.pk,
                "patient_id": patient, "starts_at": starts, "ends_at": starts + timedelta(minutes=30),
                "status": status, "source": "partner", "source_detail": "Bench partner · Irina Lungu",
                "cancel_reason": "Cancelled by the partner" if cancelled else "", "created": created,
                "updated": created})
            links.append({"id": pk, "appointment_id": pk, "service_id": service.pk, "position": 0})
            bookings.append({
                "id": pk, "reference": pk, "appointment_id": pk, "partnership_id": partnership.pk,
                "booked_by_id": world.partner_user.pk, "booked_by_name": "Irina Lungu",
                "payment_place": partnership.payment_place, "value": service.price,
                "commission_percent": partnership.percent, "currency": "MDL", "created": created,
                "cancelled_at": min(created + timedelta(hours=rng.randrange(1, 72)), now) if cancelled else None,
                "cancelled_by_name": "Irina Lungu" if cancelled else ""})
            world.cancelled += cancelled
            if status == "completed":
                visits.append({"id": pk, "number": pk, "patient_id": patient, "appointment_id": pk,
                               "location_id": location_of[practitioner.pk].pk, "practitioner_id": practitioner.pk,
                               "currency": "MDL", "status": "closed", "opened_at": starts, "closed_at": starts})
                for extra in range(1 + (rng.random() < 0.4)):
                    line_id += 1
                    charged = service if extra == 0 else rng.choice(services)
                    discount = Decimal("20.00") if rng.random() < 0.2 else Decimal("0.00")
                    voided = rng.random() < 0.03
                    lines.append({"id": line_id, "visit_id": pk, "service_id": charged.pk,
                                  "description": charged.name, "practitioner_id": practitioner.pk, "quantity": 1,
                                  "list_price": charged.price, "unit_price": charged.price,
                                  "vat_rate": Decimal("0.00"), "discount": discount, "payer_id": patient,
                                  "currency": "MDL", "created": starts,
                                  "voided_at": starts if voided else None,
                                  "void_reason": "Entered twice" if voided else ""})
                    post("charge", charged.price, starts, pk, line_id, patient)
                    if discount:
                        post("discount", -discount, starts, pk, line_id, patient)
                    if voided:
                        post("void", discount - charged.price, starts, pk, line_id, patient)
                    if extra == 0 and partnership.percent and not voided:  # the booked service
                        commission = ((charged.price - discount) * partnership.percent / 100).quantize(
                            Decimal("0.01"), rounding=ROUND_HALF_UP)
                        post_commission(commission, starts, pk, partnership.counterparty_id)
        world.bookings, world.billed = len(bookings), len(visits)
        for model, rows in ((Appointment, appointments), (AppointmentService, links), (Visit, visits),
                            (VisitLine, lines), (PartnerBooking, bookings), (Posting, postings),
                            (LedgerEntry, entries)):
            copy_objects(model, rows)
        for model in (Patient, Payer, Appointment, AppointmentService, Visit, VisitLine, PartnerBooking, Posting,
                      LedgerEntry):
            reset_id_sequence(model)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, %s)", [PATIENT_NUMBER_SEQUENCE, PATIENTS])
            cursor.execute("SELECT setval('billing_visit_number_seq', %s)", [BOOKINGS + 1])
            cursor.execute("SELECT setval(%s, %s)", [REFERENCE_SEQUENCE, BOOKINGS + 1])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum does after a bulk insert
    world.load_s = time.perf_counter() - started


# --- (b) the statistics' days: folded, then a day's changes ----------------------------------------


def fold(world: World) -> tuple[float, int]:
    """What the periodic task does (partners.fold_statistics): every changed day folded."""
    from django.db import connection

    from partners.reports.days import fold_statistics

    connection.set_tenant(world.big)
    started = time.perf_counter()
    folded = fold_statistics()
    return time.perf_counter() - started, folded


def change_since_the_fold(world: World) -> int:
    """The clinic's day goes on after the fold: 20 of the last day's bookings are cancelled at the
    partner (their days are read live until the next fold). The number of days changed."""
    from django.db import connection
    from django.utils import timezone

    from partners.models import PartnerBooking
    from partners.reports.days import changed_days

    connection.set_tenant(world.big)
    now = timezone.now()
    chosen = list(PartnerBooking.objects.filter(created__gte=now - timedelta(days=1), cancelled_at__isnull=True)
                  .order_by("pk").values_list("pk", flat=True)[:20])
    PartnerBooking.objects.filter(pk__in=chosen).update(cancelled_at=now, cancelled_by_name="Irina Lungu")
    world.cancelled += len(chosen)
    return len(changed_days(ZONE))


def check_read_as_live(world: World) -> None:
    """The year's figures as the page reads them (folded days, the changed ones live) are the
    live ones, day by day and partner by partner."""
    from django.db import connection

    from clinic.periods import period_bounds
    from partners.models import PartnerBooking
    from partners.reports.days import live_figures, period_figures

    connection.set_tenant(world.big)
    starts, ends = period_bounds(world.year_first, world.year_last)
    if period_figures(world.year_first, world.year_last) != live_figures(
            PartnerBooking.objects.filter(created__gte=starts, created__lt=ends)):
        raise RuntimeError("the statistics read from the folded days differ from the live ones")


# --- (c) the export, in a process of its own --------------------------------------------------


def _memory_mb(field: str) -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), from /proc (Linux);
    elsewhere the peak from getrusage."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_child(slug: str, email: str, first: str, last: str) -> int:
    """Run the statistics export once in this (fresh) process; print its figures as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    # Loading 100,000s of rows in one statement outlasts a request's statement timeout.
    os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "0")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict

    from clinic.accounts.models import User
    from clinic.exports.models import Export
    from clinic.exports.services import start_export
    from clinic.tenants.models import Clinic

    connection.set_tenant(Clinic.objects.get(slug=slug))
    user = User.objects.get(email=email)
    data = QueryDict(mutable=True)
    data.update({"first": first, "last": last})
    before_mb = _memory_mb("VmRSS")
    started = time.perf_counter()
    export = start_export("partner_statistics", actor=user, data=data)
    seconds = time.perf_counter() - started
    export.refresh_from_db()
    if export.status != Export.Status.DONE:
        raise RuntimeError(f"export {export.status}: {export.error}")
    size_kb = export.file.size / 1024
    export.file.delete(save=False)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    print(json.dumps({"seconds": seconds, "peak_mb": _memory_mb("VmHWM"), "before_mb": before_mb,
                      "size_kb": size_kb}))
    return 0


def bench_export(world: World) -> dict:
    command = [sys.executable, "-m", "bench.portal", "--export-child", world.big.slug, world.finance.email,
               world.year_first.isoformat(), world.year_last.isoformat()]
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)
    if result.returncode != 0:
        raise RuntimeError(f"export process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- measuring ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--database", default=BENCH_DATABASE, help=f"its name (default {BENCH_DATABASE})")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per measurement (default 30)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--export-child", nargs=4, metavar=("SLUG", "EMAIL", "FIRST", "LAST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        return export_child(*args.export_child)

    rng = random.Random(SEED)
    world = World()
    with bench_database(args.database, keep=args.keep) as database:
        from django.db import connection
        from django.test import Client

        log(f"Creating a partner and {CLINICS} clinics ...")
        create_partner_and_clinics(world)
        log(f"  done in {world.clinics_s:.1f} s; loading {BOOKINGS:,} partner bookings into the first ...")
        load_big_clinic(world, rng)
        log(f"  loaded in {world.load_s:.1f} s")

        # (a) the portal's calendar, on the public host, as the partner's user.
        connection.set_schema_to_public()
        portal = Client(HTTP_HOST="localhost")
        portal.force_login(world.partner_user)
        calendar_url = f"/portal/book/?clinic={world.big.slug}&location={world.location.pk}&week={world.week}"
        try:
            calendar = measure(portal, calendar_url, runs=args.runs, warmup=args.warmup)
        except RuntimeError as refused:
            log(f"Portal calendar not measured: {refused}")
            calendar = None

        # (b) the statistics, on the clinic's host, as a finance user.
        connection.set_tenant(world.big)
        staff = Client(HTTP_HOST=world.big.primary_domain)
        staff.force_login(world.finance)
        year_url = f"/partners/statistics/?first={world.year_first}&last={world.year_last}"
        # Before any fold every day is read live (a clinic just migrated, or a new time zone).
        unfolded = measure(staff, year_url, runs=max(3, args.runs // 6), warmup=1)
        fold_s, days_folded = fold(world)
        log(f"  folded {days_folded} days in {fold_s:.1f} s; cancelling some of the last day's bookings ...")
        world.changed_days = change_since_the_fold(world)
        year = measure(staff, year_url, runs=args.runs, warmup=args.warmup)
        month = measure(staff, "/partners/statistics/", runs=args.runs, warmup=args.warmup)
        if year["body"].count('class="statistics-row') != 50:
            raise RuntimeError("the statistics page does not show a page of bookings")
        check_read_as_live(world)

        # (c) the export of the year.
        log("Exporting the year's statistics (a process of its own) ...")
        connection.set_tenant(world.big)
        export = bench_export(world)

    figures = {
        "portal_calendar_ms_median": round(calendar["median"], 1) if calendar else None,
        "portal_calendar_ms_p95": round(calendar["p95"], 1) if calendar else None,
        "portal_calendar_queries": calendar["queries"] if calendar else None,
        "statistics_ms_median": round(year["median"], 1),
        "statistics_ms_p95": round(year["p95"], 1),
        "statistics_queries": year["queries"],
        "statistics_sql_ms": round(year["sql_ms"], 1),
        "statistics_month_ms_median": round(month["median"], 1),
        "statistics_unfolded_ms_median": round(unfolded["median"], 1),
        "statistics_fold_s": round(fold_s, 2),
        "statistics_days_folded_count": days_folded,
        "statistics_changed_days_count": world.changed_days,
        "statistics_export_s": round(export["seconds"], 2),
        "statistics_export_peak_mb": round(export["peak_mb"], 1),
        "statistics_export_size_kb": round(export["size_kb"]),
        "partner_bookings_count": world.bookings,
        "linked_clinics_count": CLINICS,
        "create_clinics_s": round(world.clinics_s, 1),
        "load_s": round(world.load_s, 1),
    }

    def verdict(ok: bool, target: str) -> str:
        return f"   (target {target}: {'met' if ok else 'MISSED'})"

    w = 50
    lines = [
        "",
        f"Clinic Channels partner portal benchmark  ({database}, {os.cpu_count()} CPUs)",
        f"A partner linked to {CLINICS} clinics; {world.bookings:,} partner bookings in the first over "
        f"{world.year_first} – {world.year_last} ({world.billed:,} billed, {world.cancelled:,} cancelled).",
        "",
        f"    {'':<{w}} {'median ms':>10} {'p95 ms':>9} {'queries':>8}",
    ]
    if calendar:
        lines.append(f"    {'(a) portal calendar, one location, one week':<{w}} {calendar['median']:>10.1f} "
                     f"{calendar['p95']:>9.1f} {calendar['queries']:>8}"
                     + verdict(calendar["median"] < TARGETS["portal_calendar_ms"], "< 200 ms"))
    else:
        lines.append(f"    {'(a) portal calendar':<{w}} not measured (the view answered no page)")
    lines += [
        f"    {'(b) statistics sent by partners, the year':<{w}} {year['median']:>10.1f} {year['p95']:>9.1f} "
        f"{year['queries']:>8}" + verdict(year["median"] < TARGETS["statistics_ms"], "< 150 ms"),
        f"    {'    of which SQL':<{w}} {year['sql_ms']:>10.1f}",
        f"    {'    slowest statement':<{w}} {year['slowest'][0][2]:>10.1f}",
        f"    {'(b) statistics sent by partners, this month':<{w}} {month['median']:>10.1f} {month['p95']:>9.1f} "
        f"{month['queries']:>8}",
        f"    {'    (the days folded, ' + str(world.changed_days) + ' changed since: read live)':<{w}}",
        f"    {'(b) the year, before any fold (every day live)':<{w}} {unfolded['median']:>10.1f} "
        f"{unfolded['p95']:>9.1f} {unfolded['queries']:>8}",
        f"    {'    the fold of every day (the task)':<{w}} {fold_s * 1000:>10.0f}   ({days_folded} days)",
        "",
        f"    (c) Excel export of the year: {world.bookings:,} rows, {export['size_kb'] / 1024:.1f} MB file, "
        f"{export['seconds']:.2f} s" + verdict(export["seconds"] < TARGETS["export_s"], "< 10 s"),
        f"        peak memory of the exporting process {export['peak_mb']:.0f} MB "
        f"({export['before_mb']:.0f} MB before it started)"
        + verdict(export["peak_mb"] < TARGETS["export_mb"], "< 300 MB"),
    ]
    print("\n".join(lines))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
