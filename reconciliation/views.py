"""The monthly reconciliation's screens (seed 000, section 十): the statements per platform, a
statement with the platform's imported beside it, its differences resolved and the verification;
and the clinic's own channel reconciliation report with its column presets."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.uploads import upload_view
from platforms.catalogue.models import Platform

from . import history, pending_files, reports
from .forms import PlatformStatementUploadForm, PresetForm, ResolveForm, UndoVerificationForm
from .models import Category, Difference, MonthlyStatement, ReportPreset, StatementRun
from .statement_files import FIELDS, REQUIRED, StatementUnreadable, preview_headers
from .statements import (
    ImportRefused,
    current_import,
    import_platform_statement,
    open_differences,
    resolve_difference,
    statement_month,
    undo_verification,
    verify_statement,
)
from .tasks import request_statement

VIEW = "reconciliation.view_monthlystatement"
GENERATE = "reconciliation.generate_statement"
VERIFY = "reconciliation.verify_statement"
PAGE_SIZE = 50
SHOWN_PROBLEMS = 200
def get_statement_for(user, pk: int) -> MonthlyStatement:
    """A statement of this clinic (another clinic's id is not in this schema: a 404)."""
    return get_object_or_404(MonthlyStatement.objects.select_related("platform", "generated_by", "verified_by"),
                             pk=pk)


def get_difference_for(user, pk: int) -> Difference:
    return get_object_or_404(Difference.objects.select_related("statement", "resolved_by"), pk=pk)


# --- the statements -------------------------------------------------------------------------


@clinic_view(VIEW)
def statement_list(request):
    due = statement_month()
    return render(request, "reconciliation/statement_list.html", {
        "groups": reports.statements_overview(due), "due_month": due,
        "can_generate": request.user.has_perm(GENERATE)})


def _month_arg(text: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise DomainError(_("Choose a month.")) from None


@require_POST
@clinic_view(VIEW, GENERATE)
def statement_generate(request):
    try:
        platform = Platform.objects.filter(pk=int(request.POST.get("platform") or 0)).first()
    except ValueError:
        platform = None
    try:
        if platform is None:
            raise DomainError(_("Choose a platform."))
        month = _month_arg(request.POST.get("month"))
        request_statement(platform, month, actor=request.user)
    except DomainError as error:
        if request.htmx:
            return render(request, "exports/_refused.html", {"message": error.message}, status=422)
        messages.error(request, error.message)
        return redirect("reconciliation:statements")
    if request.htmx:
        return _generation_status(request, platform, month.replace(day=1))
    messages.success(request, _("The statement is being generated."))
    return redirect("reconciliation:statements")


# The page asks about every 0.7 s; after about two minutes it stops and says so.
MAX_POLLS = 180


def _generation_status(request, platform, month, polls=0):
    statement = MonthlyStatement.objects.filter(platform=platform, month=month).first()
    # The newest run says whether it failed (then the page stops asking and offers "Try again").
    run = None if statement else StatementRun.objects.filter(platform=platform, month=month).first()
    return render(request, "reconciliation/_generation.html", {
        "platform": platform, "month": month, "statement": statement, "run": run, "next_poll": polls + 1,
        "failed": run is not None and run.status == StatementRun.Status.FAILED,
        "can_generate": request.user.has_perm(GENERATE), "given_up": polls >= MAX_POLLS})


@clinic_view(VIEW)
def statement_generation(request):
    """The polled progress of a generation: running until the statement is there or the run failed."""
    try:
        platform = get_object_or_404(Platform, pk=int(request.GET.get("platform") or 0))
        month = _month_arg(request.GET.get("month")).replace(day=1)
        polls = int(request.GET.get("n") or 0)
    except (ValueError, DomainError):
        raise Http404 from None
    return _generation_status(request, platform, month, polls)


def category_chart(totals: list[dict]) -> dict:
    """The match result as a chart (static/js/charts.js): the orders per category, the same
    figures as the table beside it."""
    return {"labels": [str(row["label"]) for row in totals],
            "series": [{"name": str(_("Orders")), "colour": 0, "count": [row["count"] for row in totals]}]}


def _differences(request, statement, upload=None) -> dict:
    """The differences' part of the statement page (also drawn alone by htmx): a page of them by
    the category and "open only" asked for, the filter their pages' links keep, the choices."""
    category = request.GET.get("category") or ""
    if category not in Category.values:
        category = ""
    differences = (upload.differences.all() if upload is not None else open_differences(statement))
    differences = differences.select_related("resolved_by", "statement")
    if category:
        differences = differences.filter(category=category)
    if request.GET.get("open"):
        differences = differences.filter(resolution="")
    return {
        "differences": Paginator(differences, PAGE_SIZE).get_page(request.GET.get("dpage")), "category": category,
        "differences_query": urlencode({"category": category, "open": request.GET.get("open") or ""}),
        "categories": Category.choices[1:], "can_resolve": request.user.has_perm(VERIFY),
        "resolutions": ResolveForm.base_fields["resolution"].choices,
    }


@clinic_view(VIEW)
def statement_detail(request, pk):
    statement = get_statement_for(request.user, pk)
    if request.htmx and request.GET.get("part") == "differences":
        return render(request, "reconciliation/_differences.html",
                      {"statement": statement, **_differences(request, statement)})
    count, total = reports.statement_totals(statement)
    upload = current_import(statement)
    lines = Paginator(statement.lines.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    open_count = upload.differences.filter(resolution="").count() if upload else 0
    totals = reports.category_totals(upload)
    return render(request, "reconciliation/statement_detail.html", {
        "statement": statement, "line_count": count, "line_total": total, "upload": upload,
        "category_totals": totals, "category_chart": category_chart(totals), **_differences(request, statement, upload),
        "open_count": open_count, "lines": lines,
        "events": statement.events.select_related("actor"),
        "upload_form": PlatformStatementUploadForm(), "undo_form": UndoVerificationForm(),
        "can_import": request.user.has_perm(GENERATE)})


# --- importing the platform's statement -------------------------------------------------------


def _mapping_step(request, statement, *, token, file_name, content, mapping=None, problems=(), message="",
                  skip=(), status=200):
    from .models import ColumnMapping

    remembered = ColumnMapping.objects.filter(platform_id=statement.platform_id).first()
    try:
        header_line, headers, guessed = preview_headers(file_name, content, mapping=mapping,
                                                        remembered=remembered.columns if remembered else None)
    except (StatementUnreadable, DomainError) as unreadable:
        pending_files.forget(request.user, statement, token)
        messages.error(request, unreadable.message)
        return redirect("reconciliation:statement_import", pk=statement.pk)
    fields = [{"name": name, "label": label, "required": name in REQUIRED, "chosen": guessed.get(name, "")}
              for name, label in FIELDS.items()]
    return render(request, "reconciliation/statement_import.html", {
        "statement": statement, "step": "mapping", "token": token, "file_name": file_name,
        "header_line": header_line, "headers": [h for h in headers if h], "fields": fields,
        "problems": list(problems)[:SHOWN_PROBLEMS], "problem_count": len(problems),
        "more_problems": max(len(problems) - SHOWN_PROBLEMS, 0), "message": message, "skip": set(skip),
        # Lines skipped already are no longer problems: they stay skipped on the next submit.
        "skipped": sorted(set(skip) - {problem.line for problem in problems})},
        status=status)


def _import(request, statement, *, token, file_name, content, mapping=None, skip=()):
    try:
        upload = import_platform_statement(statement, file_name=file_name, content=content, actor=request.user,
                                           mapping=mapping, skip_lines=frozenset(skip))
    except ImportRefused as refused:
        return _mapping_step(request, statement, token=token, file_name=file_name, content=content,
                             mapping=mapping or refused.read.mapping, problems=refused.read.problems,
                             message=refused.message, skip=skip, status=422)
    except DomainError as error:
        if error.field == "file":  # no header found or a column not chosen: the user maps them
            return _mapping_step(request, statement, token=token, file_name=file_name, content=content,
                                 mapping=mapping, message=error.message, skip=skip, status=422)
        # The file as a whole cannot be read, or the statement is verified: nothing to map.
        pending_files.forget(request.user, statement, token)
        messages.error(request, error.message)
        if statement.status == MonthlyStatement.Status.VERIFIED:
            return redirect("reconciliation:statement_detail", pk=statement.pk)
        return redirect("reconciliation:statement_import", pk=statement.pk)
    pending_files.forget(request.user, statement, token)
    differences = sum(figures["count"] for category, figures in upload.summary.items() if category != "matched")
    messages.success(request, _("The platform's statement was imported: %(counts)s.")
                     % {"counts": history.import_counts(upload.rows.count(), differences)})
    return redirect(reverse("reconciliation:statement_detail", args=[statement.pk]) + "#match-result")


def _verified_already(request, statement):
    messages.error(request, _("This statement is verified: undo the verification before importing again."))
    return redirect("reconciliation:statement_detail", pk=statement.pk)


@clinic_view(VIEW, GENERATE)
@upload_view("platform_statement")
def statement_import(request, pk):
    """Upload the platform's file: imported at once when every row reads and the columns are
    guessed, else (or when asked) the column-mapping step, the file kept for it."""
    statement = get_statement_for(request.user, pk)
    if statement.status == MonthlyStatement.Status.VERIFIED:
        return _verified_already(request, statement)
    form = PlatformStatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        file_name = f"{(upload.original_name or 'statement').rsplit('.', 1)[0][:150]}.{upload.extension}"
        token = pending_files.keep(request.user, statement, upload.content, upload.extension)
        if form.cleaned_data["check_columns"]:
            return _mapping_step(request, statement, token=token, file_name=file_name, content=upload.content)
        return _import(request, statement, token=token, file_name=file_name, content=upload.content)
    return render(request, "reconciliation/statement_import.html",
                  {"statement": statement, "step": "upload", "form": form})


@require_POST
@clinic_view(VIEW, GENERATE)
def statement_import_mapping(request, pk):
    """The mapping step sent back: the columns chosen, the rows to skip; the kept file."""
    statement = get_statement_for(request.user, pk)
    token = request.POST.get("token", "")
    if statement.status == MonthlyStatement.Status.VERIFIED:
        pending_files.forget(request.user, statement, token)
        return _verified_already(request, statement)
    content = pending_files.load(request.user, statement, token)
    if content is None:
        messages.error(request, _("The uploaded file is no longer kept: upload it again."))
        return redirect("reconciliation:statement_import", pk=statement.pk)
    file_name = (request.POST.get("file_name") or "statement")[:200]
    if not file_name.lower().endswith("." + token.rsplit(".", 1)[1]):
        file_name = f"statement.{token.rsplit('.', 1)[1]}"
    mapping = {name: request.POST.get(f"map-{name}", "") for name in FIELDS}
    skip = sorted({int(line) for line in request.POST.getlist("skip") if line.isdigit()})
    return _import(request, statement, token=token, file_name=file_name, content=content, mapping=mapping, skip=skip)


# --- resolving and verifying -------------------------------------------------------------------


@require_POST
@clinic_view(VIEW, VERIFY)
def difference_resolve(request, pk):
    difference = get_difference_for(request.user, pk)
    form = ResolveForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            difference = resolve_difference(difference, resolution=form.cleaned_data["resolution"],
                                            note=form.cleaned_data["note"], actor=request.user)
        except DomainError as refused:
            error = refused.message
    else:
        error = _("Choose how the difference is resolved.")
    if request.htmx:
        # The row in place, and the page's count of what is left to resolve (out of band).
        open_count = Difference.objects.filter(platform_statement_id=difference.platform_statement_id,
                                               resolution="").count()
        return render(request, "reconciliation/_difference_row.html", {
            "difference": difference, "error": error, "can_resolve": True, "oob_count": True,
            "open_count": open_count, "resolutions": ResolveForm.base_fields["resolution"].choices},
            status=422 if error else 200)
    if error:
        messages.error(request, error)
    return redirect("reconciliation:statement_detail", pk=difference.statement_id)


@require_POST
@clinic_view(VIEW, VERIFY)
def statement_verify(request, pk):
    statement = get_statement_for(request.user, pk)
    try:
        verify_statement(statement, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The statement is verified. Verifying alone settles nothing: start a "
                                    "settlement to be paid."))
    return redirect("reconciliation:statement_detail", pk=statement.pk)


@require_POST
@clinic_view(VIEW, VERIFY)
def statement_unverify(request, pk):
    statement = get_statement_for(request.user, pk)
    form = UndoVerificationForm(request.POST)
    try:
        undo_verification(statement, actor=request.user,
                          reason=form.cleaned_data["reason"] if form.is_valid() else "")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The verification was undone."))
    return redirect("reconciliation:statement_detail", pk=statement.pk)


# --- the channel reconciliation report --------------------------------------------------------


@clinic_view(VIEW)
def channel_report(request):
    platforms = reports.enrolled_platforms()
    available = reports.report_columns(platforms)
    error = ""
    try:
        first, last = reports.report_period(request.GET)
    except DomainError as refused:
        error = refused.message
        first, last = reports.report_period({})
    try:
        columns = reports.columns_from(request.GET, available)
    except DomainError as refused:
        error = refused.message
        columns = reports.default_columns(available)
    orders = reports.report_orders(first, last)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = reports.report_totals(orders, columns)
    money = {key for key in columns if key in ("amount", reports.CASH_VOUCHER) or key.startswith("price:")}
    rows = [[{"value": value, "money": key in money and value is not None, "currency": order.currency,
              "time": key == "redeemed_at"} for key, value in zip(columns, reports.report_cells(order, columns), strict=True)]
            for order in page]
    query = request.GET.copy()
    query.pop("page", None)
    preset_id = request.GET.get("preset") if not request.GET.getlist("col") else ""
    return render(request, "reconciliation/channel_report.html", {
        "first": first, "last": last, "error": error, "page": page, "rows": rows,
        "columns": [(key, available[key], key in money) for key in columns],
        "offered": [(key, label, key in columns, columns.index(key) + 1 if key in columns else "")
                    for key, label in available.items()],
        "totals": [totals.get(key) for key in columns], "has_totals": bool(totals),
        "presets": ReportPreset.objects.all(), "preset_id": preset_id, "query": query.urlencode(),
        "picked": columns, "preset_form": PresetForm()})


@require_POST
@clinic_view(VIEW, GENERATE)
def report_preset_save(request):
    form = PresetForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Name the preset."))
        columns = reports.columns_from(request.POST, reports.report_columns())
        preset = reports.save_preset(form.cleaned_data["name"], columns, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("reconciliation:channel_report")
    messages.success(request, _("Preset “%(name)s” saved.") % {"name": preset.name})
    return redirect(reverse("reconciliation:channel_report") + f"?preset={preset.pk}")


@require_POST
@clinic_view(VIEW, GENERATE)
def report_preset_delete(request, pk):
    preset = get_object_or_404(ReportPreset, pk=pk)
    preset.delete()
    messages.success(request, _("Preset “%(name)s” deleted.") % {"name": preset.name})
    return redirect("reconciliation:channel_report")
