"""Monthly statements: generating month M-1's per platform (the seed's rule: in month M only
M-1), once however often or from however many workers it is asked for."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clinic.errors import DomainError
from clinic.leases import Lease
from clinic.locking import advisory_lock
from clinic.periods import clinic_today, month_period, period_bounds, previous_month
from platforms.amounts import with_amounts
from platforms.catalogue.models import Enrolment, Platform
from platforms.models import PlatformOrder

from . import history
from .models import Category, MonthlyStatement, StatementEvent, StatementLine, StatementRun

# Orders a statement lists: redeemed in its month (later states keep them listed).
STATEMENT_STATUSES = ("redeemed",)


def statement_month(today: date | None = None) -> date:
    """The one month a statement may be generated for now: the previous one."""
    today = today or clinic_today()
    return previous_month(today.replace(day=1))


def record(statement: MonthlyStatement, action: str, *, actor=None, note: str = "",
           details: dict | None = None) -> StatementEvent:
    """One line of the statement's history: ``note`` only ever a person's words, what the event was
    about as ``details`` (written out when read: ``reconciliation.history``)."""
    return StatementEvent.objects.create(statement=statement, action=action, note=note[:300], details=details or {},
                                         actor=actor if getattr(actor, "pk", None) else None, created=timezone.now())


def check_statement_month(month: date, today: date | None = None) -> date:
    """The month's first day, if its statement may be generated now (only M-1: the seed's rule)."""
    month = month.replace(day=1)
    allowed = statement_month(today)
    if month != allowed:
        raise DomainError(_("Only the statement of %(month)s can be generated now.")
                          % {"month": date_format(allowed, "YEAR_MONTH_FORMAT")}, field="month")
    return month


def generate_statement(platform: Platform, month: date, *, actor=None,
                       today: date | None = None) -> tuple[MonthlyStatement, bool]:
    """Month ``month``'s statement of ``platform``: every order redeemed in it with the amount the
    ledger says the platform owes for it. Returns (statement, created); a second call returns
    the first statement unchanged."""
    month = check_statement_month(month, today)
    with transaction.atomic(durable=not connection.in_atomic_block):
        # Two workers, a click and the task: one statement.
        advisory_lock("statement", platform.pk, f"{month:%Y-%m}")
        existing = MonthlyStatement.objects.filter(platform=platform, month=month).first()
        if existing is not None:
            return existing, False
        statement = MonthlyStatement.objects.create(platform=platform, month=month, currency=platform.currency,
                                                    generated_at=timezone.now(), generated_by=actor)
        starts, ends = period_bounds(*month_period(month))
        orders = PlatformOrder.objects.filter(platform=platform, status__in=STATEMENT_STATUSES,
                                              redeemed_at__gte=starts, redeemed_at__lt=ends)
        _insert_lines(statement, with_amounts(orders))
        record(statement, "generated", actor=actor)
        return statement, True


def _insert_lines(statement: MonthlyStatement, orders) -> None:
    """The statement's lines in one INSERT … SELECT: a month of 100,000 orders never passes
    through Python objects. Every column is an annotation, in the table's column order."""
    # As Patient.full_name writes it: a Chinese name family name first, without a space.
    han = "^[\u3400-\u9fff\uf900-\ufaff]+$"
    patient = Case(
        When(patient__first_name__regex=han, patient__last_name__regex=han,
             then=Concat("patient__last_name", "patient__first_name")),
        default=Trim(Concat("patient__first_name", Value(" "), "patient__last_name")))
    lines = (orders.order_by()
             .annotate(l_statement=Value(statement.pk), l_order=F("pk"), l_number=F("number"),
                       l_product=F("product__name"), l_kind=F("kind"), l_redeemed_at=F("redeemed_at"),
                       l_patient=Coalesce(NullIf(patient, Value("")), F("customer_name")), l_amount=F("owed"))
             .values_list("l_statement", "l_order", "l_number", "l_product", "l_kind", "l_redeemed_at", "l_patient",
                          "l_amount"))
    sql, params = lines.query.sql_with_params()
    columns = ["statement_id", "order_id", "order_number", "product", "kind", "redeemed_at", "patient", "amount"]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {StatementLine._meta.db_table} ({', '.join(columns)}) {sql}", params)


def generate_due_statements(*, today: date | None = None) -> list[MonthlyStatement]:
    """Every statement due now in this clinic (M-1 of each platform it is enrolled with and
    has none for): what the daily task does; safe to run twice, or in two workers at once."""
    from django.db import connection as conn

    month = statement_month(today)
    platforms = Platform.objects.filter(enrolments__clinic_id=conn.tenant.pk,
                                        enrolments__status=Enrolment.Status.APPROVED)
    made = []
    for platform in platforms:
        statement, created = generate_statement(platform, month, today=today)
        if created:
            made.append(statement)
    return made


# --- a generation asked for on the page: a run under a lease -------------------------------


def _interrupted_message(attempts: int) -> str:
    return ngettext("The generation was interrupted %(count)s time (its worker stopped). Try again.",
                    "The generation was interrupted %(count)s times (its worker stopped). Try again.", attempts) \
        % {"count": attempts}


RUN_LEASE = Lease(StatementRun, "STATEMENT_LEASE_SECONDS", "STATEMENT_MAX_ATTEMPTS", _interrupted_message)


def generate_statement_run(run_id: int, language: str) -> int:
    """Run a generation the page asked for (the task): safe to run twice (a finished run is left
    alone; the statement is made once). Returns 0, or the seconds to wait when another run holds
    the lease."""
    with translation.override(language):
        attempt = RUN_LEASE.claim(run_id)
    if attempt is None:
        return RUN_LEASE.held_for(run_id)
    run = StatementRun.objects.select_related("platform", "requested_by").get(pk=run_id)
    # A refusal (e.g. the month turned: only the new M-1 may be generated now) fails it with its reason.
    with RUN_LEASE.failing(run_id, attempt, language=language,
                           too_long=gettext_lazy("The generation took too long and was stopped. Try again."),
                           failed=gettext_lazy("The statement could not be generated.")):
        with translation.override(language):
            generate_statement(run.platform, run.month, actor=run.requested_by)
        RUN_LEASE.finish(run_id, attempt)
    return 0


# --- the platform's statement beside the clinic's -------------------------------------------


class ImportRefused(DomainError):
    """Rows of the platform's file could not be read: nothing was saved."""

    def __init__(self, read):
        super().__init__(ngettext("%(count)s row could not be read; nothing was saved.",
                                  "%(count)s rows could not be read; nothing was saved.", len(read.problems))
                         % {"count": len(read.problems)})
        self.read = read


def locked_statement(statement: MonthlyStatement) -> MonthlyStatement:
    return MonthlyStatement.objects.select_for_update().get(pk=statement.pk)


def current_import(statement: MonthlyStatement):
    return statement.imports.order_by("-imported_at", "-id").first()


def import_platform_statement(statement: MonthlyStatement, *, file_name: str, content: bytes, actor,
                              mapping: dict[str, str] | None = None, skip_lines=frozenset()):
    """Read the platform's statement of the month and match it with the clinic's. Any row that
    cannot be read refuses the whole file (``ImportRefused`` carries every row's line and
    reason); the user may skip rows that are not orders. The column mapping is remembered for
    the platform's next statement."""
    from .matching import match
    from .models import ColumnMapping, Difference, PlatformStatement
    from .statement_files import StatementUnreadable, read_statement

    remembered = ColumnMapping.objects.filter(platform_id=statement.platform_id).first()
    try:
        read = read_statement(file_name, content, mapping=mapping, skip_lines=set(skip_lines),
                              remembered=remembered.columns if remembered else None)
    except StatementUnreadable as refused:
        raise DomainError(refused.message, field="file") from refused
    if read.problems:
        raise ImportRefused(read)
    with transaction.atomic(durable=not connection.in_atomic_block):
        statement = locked_statement(statement)
        if statement.status == MonthlyStatement.Status.VERIFIED:
            raise DomainError(_("This statement is verified: undo the verification before importing again."))
        first, last = month_period(statement.month)
        starts, ends = period_bounds(first, last)
        ours = list(statement.lines.values_list("order_number", "amount"))
        listed = {number for number, _amount in ours}
        theirs_only = {row.order_number for row in read.rows} - listed
        elsewhere = set(PlatformOrder.objects.filter(platform_id=statement.platform_id, number__in=theirs_only,
                                                     redeemed_at__isnull=False)
                        .exclude(redeemed_at__gte=starts, redeemed_at__lt=ends).values_list("number", flat=True))
        items = match(ours, read.rows, month=(first, last), redeemed_elsewhere=elsewhere)
        summary: dict[str, dict] = {}
        for item in items:
            figures = summary.setdefault(item.category, {"count": 0, "clinic": "0.00", "platform": "0.00"})
            figures["count"] += 1
            figures["clinic"] = str(Decimal(figures["clinic"]) + (item.clinic_amount or 0))
            figures["platform"] = str(Decimal(figures["platform"]) + (item.platform_amount or 0))
        upload = PlatformStatement.objects.create(statement=statement, file_name=file_name[:200],
                                                  imported_at=timezone.now(), imported_by=actor,
                                                  skipped=sorted(read.skipped), summary=summary)
        _copy_rows(upload, read.rows)
        Difference.objects.bulk_create(
            (Difference(statement=statement, platform_statement=upload, category=item.category,
                        order_number=item.order_number[:64], clinic_amount=item.clinic_amount,
                        platform_amount=item.platform_amount, lines=", ".join(map(str, item.lines))[:200])
             for item in items if item.category != Category.MATCHED), batch_size=5000)
        ColumnMapping.objects.update_or_create(platform_id=statement.platform_id,
                                               defaults={"columns": read.mapping, "header_row": read.header_line,
                                                         "changed_by": actor})
        record(statement, "imported", actor=actor, details=history.imported_details(
            file_name, len(read.rows), len(items) - summary.get("matched", {}).get("count", 0)))
        return upload


def _copy_rows(upload, rows) -> None:
    """The platform's rows with COPY: a statement of 100,000 rows in a fraction of a second."""
    from .models import PlatformStatementRow

    table = PlatformStatementRow._meta.db_table
    with connection.cursor() as cursor:  # sets the clinic's search_path
        with cursor.cursor.copy(f"COPY {table} (platform_statement_id, line, order_number, amount, redeemed_on) "
                                "FROM STDIN") as copy:
            for row in rows:
                copy.write_row((upload.pk, row.line, row.order_number[:64], row.amount, row.redeemed_on))


def open_differences(statement: MonthlyStatement):
    upload = current_import(statement)
    if upload is None:
        return statement.differences.none()
    return upload.differences.all()


def resolve_difference(difference, *, resolution: str, note: str, actor):
    """Decide one difference: accept the platform's amount, the clinic's, or mark it disputed
    (with a note); recorded with who and when."""
    from .models import Difference, Resolution

    note = (note or "").strip()
    if resolution not in Resolution.values:
        raise DomainError(_("Choose how the difference is resolved."), field="resolution")
    if resolution == Resolution.DISPUTED and not note:
        raise DomainError(_("Say what is disputed."), field="note")
    with transaction.atomic(durable=not connection.in_atomic_block):
        statement = locked_statement(difference.statement)
        if statement.status == MonthlyStatement.Status.VERIFIED:
            raise DomainError(_("This statement is verified: undo the verification to change a resolution."))
        difference = Difference.objects.select_for_update().get(pk=difference.pk)
        difference.resolution, difference.note = resolution, note[:300]
        difference.resolved_at, difference.resolved_by = timezone.now(), actor
        difference.save(update_fields=["resolution", "note", "resolved_at", "resolved_by"])
        record(statement, "resolved", actor=actor, note=note,
               details=history.resolved_details(difference.order_number, resolution))
        return difference


def verify_statement(statement: MonthlyStatement, *, actor) -> MonthlyStatement:
    """核对: the statement agrees with the platform's (every difference resolved). Verifying
    alone settles nothing: a settlement batch takes verified statements."""
    with transaction.atomic(durable=not connection.in_atomic_block):
        statement = locked_statement(statement)
        if statement.status == MonthlyStatement.Status.VERIFIED:
            raise DomainError(_("This statement is verified already."))
        if current_import(statement) is None:
            raise DomainError(_("Import the platform's statement first."))
        left = open_differences(statement).filter(resolution="").count()
        if left:
            raise DomainError(ngettext("%(count)s difference is not resolved yet.",
                                       "%(count)s differences are not resolved yet.", left) % {"count": left})
        statement.status = MonthlyStatement.Status.VERIFIED
        statement.verified_at, statement.verified_by = timezone.now(), actor
        statement.save(update_fields=["status", "verified_at", "verified_by"])
        record(statement, "verified", actor=actor)
        return statement


def undo_verification(statement: MonthlyStatement, *, actor, reason: str) -> MonthlyStatement:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for undoing the verification."), field="reason")
    with transaction.atomic(durable=not connection.in_atomic_block):
        statement = locked_statement(statement)
        if statement.status != MonthlyStatement.Status.VERIFIED:
            raise DomainError(_("This statement is not verified."))
        if getattr(statement, "settlement_id", None):
            raise DomainError(_("This statement is in a settlement: its verification stays."))
        statement.status = MonthlyStatement.Status.GENERATED
        statement.verified_at = statement.verified_by = None
        statement.save(update_fields=["status", "verified_at", "verified_by"])
        record(statement, "unverified", actor=actor, note=reason)
        return statement


