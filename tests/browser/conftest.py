"""Browser tests: Debian's chromium, driven by Playwright, against a live server.

The live server runs Django's WSGI application in a background thread on
127.0.0.1 (a free port). It opens its own database connections, so it sees only
committed data: the session's clinics, and whatever a test creates with
``committed(...)`` (or through the browser). Chromium resolves ``*.localhost``
to 127.0.0.1 itself, so clinic alpha is at http://alpha.localhost:PORT/.

pytest-django's ``live_server`` / ``transactional_db`` are not used: their
flush would truncate the public schema's tenant tables. Instead, the tests are
marked ``django_db`` (rolled back as usual, which the server does not notice),
and every browser test leaves clinic alpha as it found it: rows added while it
ran are deleted afterwards (see ``_leave_alpha_as_found``), so later tests and
reruns on a reused database see no trace of them. The browser tests run last.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop "running" in the main thread for as
# long as the browser is open (the rest of the session); Django would refuse
# ORM calls there with SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_MISSING = "Debian's chromium is not installed (/usr/bin/chromium); browser tests skipped"
ALPHA_SCHEMA = "c_alpha"
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
HERE = Path(__file__).resolve().parent
# axe-core, vendored from its npm package (`npm pack axe-core`, see vendor/axe-core/package.json): no CDN.
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
AXE_BLOCKING = ("serious", "critical")


def AXE_SOURCE() -> str:  # noqa: N802 - read once, like a constant
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE.read_text(encoding="utf-8") + "\n;typeof window.axe"
    return _axe_source


_axe_source = None
# Minor by axe's measure, fixed at their source all the same: a table header a screen reader reads out.
AXE_ALSO_BLOCKING = ("empty-table-header",)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Mark this folder's tests ``browser`` and ``django_db``; run them last.

    ``django_db`` makes pytest-django create the test database and open it
    while the test runs (also to the server's threads: its blocker is
    class-wide). The test itself runs in a transaction that is rolled back, as
    usual; the data the server must see is made in a connection of its own
    (``committed``). Running last, the browser (and the event loop of
    Playwright's sync API) exists only after every other test has run.
    Without chromium they are all skipped, before any set-up.
    """
    missing = not Path(CHROMIUM).exists()
    mine, others = [], []
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db)
            if missing:
                item.add_marker(pytest.mark.skip(reason=CHROMIUM_MISSING))
            mine.append(item)
        else:
            others.append(item)
    items[:] = others + mine


# --- the live server -----------------------------------------------------------


class _ClosingResponse:
    """A WSGI response that closes the thread's database connections when done."""

    def __init__(self, response):
        self.response = response

    def __iter__(self):
        return iter(self.response)

    def close(self):
        from django.db import connections

        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            connections.close_all()


def _closing_connections(app):
    """Wrap ``app`` so that no request thread keeps a database connection open.

    The server closes them when a client's connection ends; Chromium keeps
    connections alive, and an open one would stop the test database from
    being dropped at the end of the session.
    """

    def wrapped(environ, start_response):
        return _ClosingResponse(app(environ, start_response))

    return wrapped


class LiveServer:
    """Django's WSGI app (with /static/) in a thread of a threaded WSGI server."""

    def __init__(self):
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class QuietRequestHandler(WSGIRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - the signature is the base class's
                pass

        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietRequestHandler, allow_reuse_address=False)
        self.httpd.set_app(_closing_connections(StaticFilesHandler(WSGIHandler())))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def url_for(self, host: str) -> str:
        return f"http://{host}:{self.port}"


@pytest.fixture(scope="session")
def live_app_server(django_db_setup, clinic_a):
    """The running server; it must stop before the test database is dropped."""
    server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alpha_url(live_app_server, clinic_a, django_db_blocker) -> str:
    """The base address of clinic alpha, e.g. http://alpha.localhost:41234."""
    with django_db_blocker.unblock():
        return live_app_server.url_for(clinic_a.primary_domain)


@pytest.fixture(autouse=True)
def _celery_in_process(settings):
    """Tasks (the Excel export) run inside the server's request, even if
    REDIS_URL points at a broker."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


# --- committed data in clinic alpha ------------------------------------------------


def in_alpha(build, django_db_blocker=None):
    """Run ``build()`` in clinic alpha's schema on a connection of its own, committed (see ``in_schema``)."""
    return in_schema(ALPHA_SCHEMA, build, django_db_blocker)


def in_schema(schema, build, django_db_blocker=None):
    """Run ``build()`` in ``schema`` on a connection of its own, committed.

    The test's own connection is inside pytest-django's rolled-back
    transaction; a fresh thread gets a fresh connection in autocommit mode, so
    the live server sees what ``build`` writes, and ORM reads see what the
    server wrote.
    """
    from django.db import connections
    from django_tenants.utils import schema_context, tenant_context

    outcome = {}

    def target():
        try:
            if schema == "public":
                with schema_context(schema):
                    outcome["value"] = build()
            else:
                # The clinic itself (not only its schema): services read its currency and time zone.
                from clinic.tenants.models import Clinic

                with tenant_context(Clinic.objects.get(schema_name=schema)):
                    outcome["value"] = build()
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc
        finally:
            connections.close_all()

    def run():
        worker = threading.Thread(target=target, name="committed-data")
        worker.start()
        worker.join()

    if django_db_blocker is None:
        run()
    else:
        with django_db_blocker.unblock():
            run()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _tracked_models():
    """What a browser test may add to a clinic, children before parents."""
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model

    from billing.barter.models import Agreement, LimitIncrease, PlanItem, Policy, TreatmentPlan, WriteOff
    from billing.models import (
        Activity,
        Allocation,
        Counterparty,
        CounterpartyReceipt,
        Deposit,
        LedgerEntry,
        Payer,
        Payment,
        Posting,
        Promotion,
        Visit,
        VisitLine,
    )
    from clinic.exports.models import Export
    from clinic.models import (
        Break,
        Location,
        OpeningHours,
        Practitioner,
        Service,
        ServiceCategory,
        Speciality,
        WorkingHours,
    )
    from clinic.patients.models import Patient, PatientFlag
    from clinic.scheduling.models import Appointment, AppointmentService
    from platforms.models import OrderEvent, PlatformOrder

    return [
        Export,
        OrderEvent,
        PlatformOrder,
        LedgerEntry,
        Allocation,
        CounterpartyReceipt,
        Posting,
        PlanItem,
        TreatmentPlan,
        WriteOff,
        LimitIncrease,
        Policy,
        Agreement,
        Payment,
        Deposit,
        Activity,
        VisitLine,
        Visit,
        Payer,
        Counterparty,
        Promotion,
        AppointmentService,
        Appointment,
        PatientFlag,
        Patient,
        Break,
        WorkingHours,
        OpeningHours,
        Practitioner,
        Speciality,
        Service,
        ServiceCategory,
        Location,
        get_user_model(),
        LogEntry,
    ]


@pytest.fixture(autouse=True)
def _leave_alpha_as_found(django_db_setup, django_db_blocker):
    """Delete what the test added to clinic alpha (rows with a higher id than before),
    so that nothing of it shows in later tests or runs."""
    from django.db.models import Max

    def snapshot():
        return {model: model.objects.aggregate(top=Max("pk"))["top"] or 0 for model in _tracked_models()}

    def remove_added(before):
        from auditlog.context import disable_auditlog
        from django.db import connection

        from billing.barter.models import Agreement
        from clinic.exports.models import Export

        with connection.cursor() as cursor:  # the ledger's triggers let a test's clean-up delete
            cursor.execute("SET clinic.ledger_purge = 'on'")
        try:
            with disable_auditlog():
                for model, top in before.items():
                    added = model.objects.filter(pk__gt=top)
                    if model._meta.app_label in ("billing", "barter") and model is not Agreement:
                        # Money rows are never deleted by the product (the ledger refuses it); a test's
                        # leftovers are, in one statement each (refunds and their payments together).
                        added._raw_delete(added.db)
                        continue
                    if model is Export:
                        for export in added:
                            if export.file:
                                export.file.delete(save=False)
                    added.delete()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET clinic.ledger_purge")

    before = in_alpha(snapshot, django_db_blocker)
    yield
    in_alpha(lambda: remove_added(before), django_db_blocker)


@pytest.fixture
def committed(django_db_blocker):
    """``committed(lambda: ...)``: run ORM code in clinic alpha, committed (see ``in_alpha``)."""

    def run(build):
        return in_alpha(build, django_db_blocker)

    return run


@pytest.fixture
def committed_public(django_db_blocker):
    """``committed_public(lambda: ...)``: run ORM code in the public schema, committed."""

    def run(build):
        return in_schema("public", build, django_db_blocker)

    return run


@pytest.fixture
def public_url(live_app_server) -> str:
    """The public host (operator console, partner portal): Chromium resolves localhost itself."""
    return live_app_server.url_for("localhost")


@pytest.fixture
def forget_partners(committed, committed_public):
    """``forget_partners(registration_numbers)``: remove the partner companies a test made, with
    all they left — at clinic alpha their bookings, patient searches and partnership (call it
    before alpha's own clean-up: a partner booking protects its appointment), in the public
    schema their users, clinic links, terms acceptances and audit entries."""

    def forget(numbers) -> None:
        def organisation_ids():
            from partners.organisations.models import PartnerOrganisation

            return list(PartnerOrganisation.objects.filter(registration_number__in=list(numbers))
                        .values_list("pk", flat=True))

        added = committed_public(organisation_ids)
        if not added:
            return

        def clinic_side():
            from auditlog.context import disable_auditlog

            from partners.models import PartnerBooking, Partnership, PatientSearch

            with disable_auditlog():
                PartnerBooking.objects.filter(partnership__organisation_id__in=added).delete()
                PatientSearch.objects.filter(partnership__organisation_id__in=added).delete()
                Partnership.objects.filter(organisation_id__in=added).delete()

        def public_side():
            from auditlog.context import disable_auditlog
            from auditlog.models import LogEntry

            from clinic.accounts.models import User
            from partners.organisations.models import (
                ClinicLink,
                PartnerOrganisation,
                PartnerUser,
                TermsAcceptance,
            )

            members = list(PartnerUser.objects.filter(organisation_id__in=added))
            users = [member.user_id for member in members]
            with disable_auditlog():
                LogEntry.objects.filter(content_type__model="partneruser",
                                        object_pk__in=[str(member.pk) for member in members]).delete()
                LogEntry.objects.filter(content_type__model="partnerorganisation",
                                        object_pk__in=[str(pk) for pk in added]).delete()
                LogEntry.objects.filter(content_type__model="user", object_pk__in=[str(pk) for pk in users]).delete()
                LogEntry.objects.filter(actor_id__in=users).delete()
                ClinicLink.objects.filter(organisation_id__in=added).delete()
                TermsAcceptance.objects.filter(organisation_id__in=added).delete()
                PartnerUser.objects.filter(organisation_id__in=added).delete()
                # Not .delete(): its cascade would look for clinic-only tables in the public schema.
                User.objects.filter(pk__in=users)._raw_delete("default")
                PartnerOrganisation.objects.filter(pk__in=added).delete()

        committed(clinic_side)
        committed_public(public_side)

    return forget


@pytest.fixture
def unique() -> str:
    """A short token for names that must not collide with an earlier run's."""
    return uuid.uuid4().hex[:8]


STAFF_PASSWORD = "browser-test-password-1"


@pytest.fixture
def make_alpha_staff(committed, unique):
    """A committed staff member of clinic alpha with a known password."""
    from tests.factories import make_staff

    def build(role: str):
        email = f"{role}-{unique}-{uuid.uuid4().hex[:4]}@browser.example"
        user = committed(lambda: make_staff(role, email=email, password=STAFF_PASSWORD))
        return user

    return build


# --- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(django_db_setup, live_app_server, django_db_blocker):
    """Chromium for the session; closed before the server stops and the database goes.

    While Playwright's sync API is started, its event loop counts as running in
    this thread, and Django (through asgiref) then keeps this thread's database
    connections in other storage than before. The connection opened before
    would be orphaned and, still open, stop the test database from being
    dropped; so connections are closed before the start and after the stop.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(CHROMIUM_MISSING)
    from django.db import connections
    from playwright.sync_api import expect, sync_playwright

    # A live server on a 2-core machine that also runs a database answers an htmx search in
    # well under a second, but not always under Playwright's default 5 s for an assertion.
    expect.set_options(timeout=10_000)
    with django_db_blocker.unblock():
        connections.close_all()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    with django_db_blocker.unblock():
        connections.close_all()
    playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so a fixture's teardown knows whether the test passed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def axe_violations(page, *, include: str | None = None) -> list[dict]:
    """Run axe-core on the page as it is now (or only inside the CSS selector ``include``);
    return its serious and critical violations (and an empty table header)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: a <script> tag added to the page would be (rightly)
        # refused by the Content-Security-Policy, which allows scripts from the app's files only.
        page.evaluate(AXE_SOURCE())
    result = page.evaluate(
        """async (include) => {
            const found = await axe.run(include ? {include: [include]} : document, {resultTypes: ["violations"]});
            return found.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
        }""",
        include,
    )
    return [violation for violation in result
            if violation["impact"] in AXE_BLOCKING or violation["id"] in AXE_ALSO_BLOCKING]


def check_accessibility(page, *, include: str | None = None, what: str = "") -> None:
    """Fail on any serious or critical axe-core violation of the page as it is now (or an empty table header)."""
    blocking = axe_violations(page, include=include)
    lines = []
    for violation in blocking:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        lines += [f"    {node['target']}: {node['summary']}" for node in violation["nodes"][:8]]
    assert not blocking, f"axe-core on {what or page.url}:\n" + "\n".join(lines)


@pytest.fixture
def axe():
    """``axe(page)``: fail on a serious or critical axe-core violation of the screen as it is now."""
    return check_accessibility


@pytest.fixture
def page(request, browser, alpha_url):
    """A fresh browser context (no cookies) with a 1280x800 viewport, at clinic alpha.

    When the test passed, axe-core checks the screen it ended on (tests call ``axe(page)``
    on the screens they open on the way)."""
    # Reduced motion: no half-finished colour transition is ever what axe (or a screenshot) reads.
    context = browser.new_context(viewport=VIEWPORT, base_url=alpha_url, accept_downloads=True,
                                  reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    try:
        passed = getattr(request.node, "report_call", None) is not None and request.node.report_call.passed
        if passed and not page.is_closed() and page.url.startswith("http"):
            check_accessibility(page, what=f"the last screen of {request.node.name} ({page.url})")
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def screenshot(screenshots_dir):
    """``screenshot(page, "price-list.png")`` writes docs/screenshots/price-list.png, after axe-core
    found no serious or critical violation on the screen (every screen worth a picture is checked)."""

    def take(page, name: str) -> Path:
        check_accessibility(page, what=f"{name} ({page.url})")
        path = screenshots_dir / name
        tmp = path.with_suffix(".tmp.png")
        page.screenshot(path=str(tmp), full_page=False)
        shutil.move(tmp, path)
        return path

    return take


def log_in(page, email: str, password: str = STAFF_PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Today")).to_be_visible()


@pytest.fixture
def login():
    return log_in


def nav_link(page, name):
    """A link of the top bar; one in a group's menu (e.g. "Barter" under "Money and channels")
    is shown first, as a person opens the menu."""
    nav = page.locator("#main-nav")
    link = nav.get_by_role("link", name=name)
    # A closed menu's links are hidden, and hidden elements have no role unless asked for.
    group = nav.locator("li.dropdown", has=page.get_by_role("link", name=name, include_hidden=True))
    if group.count() and not link.count():
        group.first.locator(".dropdown-toggle").click()
    return link
