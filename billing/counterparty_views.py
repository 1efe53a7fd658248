"""Finance's receivables: every counterparty with what it owes and is owed, aged; a
counterparty's statement (page, PDF, xlsx); recording a transfer and undoing an allocation."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.scheduling.availability import clinic_zone

from . import counterparties, ledger, report_views, reports
from .forms import CounterpartyReceiptForm, UndoAllocationForm
from .models import Allocation, Counterparty


def _counterparty(user, pk) -> Counterparty:
    try:
        return counterparties.get_counterparty_for(user, pk)
    except Counterparty.DoesNotExist:
        raise Http404 from None


def _period(query):
    """(first, last, error) of a statement: the report pages' period rule (this month so far)."""
    return report_views._period(reports.revenue_period, query)


@clinic_view("billing.view_counterparty")
def receivables(request):
    return render(request, "billing/counterparties/list.html", {
        "rows": ledger.receivables(zone=clinic_zone()), "today": reports.clinic_today(),
    })


@clinic_view("billing.view_counterparty")
def counterparty_detail(request, pk):
    counterparty = _counterparty(request.user, pk)
    first, last, error = _period(request.GET)
    return _detail(request, counterparty, first, last, error=error)


def _detail(request, counterparty, first, last, *, form=None, error=None, status=200):
    statement = counterparties.counterparty_statement(counterparty, first, last)
    [row] = ledger.receivables([counterparty], zone=clinic_zone())
    receipts = counterparty.receipts.prefetch_related("allocations__payer", "allocations__visit").order_by(
        "-received_on", "-id")[:20]
    return render(request, "billing/counterparties/detail.html", {
        "counterparty": counterparty, "statement": statement, "row": row, "receipts": receipts,
        "unallocated": ledger.unallocated(counterparty), "first": first, "last": last, "error": error,
        "form": form or CounterpartyReceiptForm(initial={"received_on": reports.clinic_today()}),
        "undo_form": UndoAllocationForm(), **reports.month_shortcuts(),
    }, status=status)


@clinic_view("billing.view_counterparty")
def counterparty_statement_file(request, pk, kind):
    if kind not in ("pdf", "xlsx"):
        raise Http404
    counterparty = _counterparty(request.user, pk)
    first, last, _error = _period(request.GET)
    stem = f"statement-{counterparty.pk}-{first:%Y%m%d}-{last:%Y%m%d}"
    if kind == "pdf":
        from .documents import counterparty_statement_pdf, in_clinic_language

        with in_clinic_language():  # the lines' labels and amounts are written out in Python
            statement = counterparties.counterparty_statement(counterparty, first, last)
        response = HttpResponse(counterparty_statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{stem}.pdf"'
        return response
    from io import BytesIO

    from clinic.exports.writer import write_xlsx  # the one writer: formulas escaped once

    statement = counterparties.counterparty_statement(counterparty, first, last)
    handle = BytesIO()
    write_xlsx(counterparties.statement_rows(statement), handle, title=_("Statement"))
    response = HttpResponse(handle.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


@require_POST
@clinic_view("billing.view_counterparty", "billing.settle_counterparty")
def receipt_new(request, pk):
    counterparty = _counterparty(request.user, pk)
    form = CounterpartyReceiptForm(request.POST)
    first, last, _error = _period({})
    if form.is_valid():
        try:
            receipt = counterparties.record_receipt(
                counterparty, amount=form.cleaned_data["amount"], currency=counterparty.currency,
                received_on=form.cleaned_data["received_on"], reference=form.cleaned_data["reference"],
                actor=request.user, allocate_oldest_first=True)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Transfer %(reference)s recorded and allocated to the oldest debts.")
                             % {"reference": receipt.reference})
            return redirect("counterparty_detail", pk=counterparty.pk)
    return _detail(request, counterparty, first, last, form=form, status=422)


@require_POST
@clinic_view("billing.view_counterparty", "billing.settle_counterparty")
def allocation_undo(request, pk):
    try:
        allocation = Allocation.objects.select_related("receipt").get(pk=pk)
    except Allocation.DoesNotExist:
        raise Http404 from None
    form = UndoAllocationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for undoing this allocation."))
    else:
        try:
            counterparties.undo_allocation(allocation, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The allocation is undone; the money is held as the counterparty's credit."))
    return redirect("counterparty_detail", pk=allocation.receipt.counterparty_id)


@require_POST
@clinic_view("billing.view_counterparty", "billing.settle_counterparty")
def receipt_allocate(request, pk):
    from .models import CounterpartyReceipt

    try:
        receipt = CounterpartyReceipt.objects.get(pk=pk)
    except CounterpartyReceipt.DoesNotExist:
        raise Http404 from None
    try:
        made = counterparties.allocate_oldest_first(receipt, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if made:
            messages.success(request, _("Allocated to the oldest debts."))
        else:
            messages.info(request, _("Nothing is owed to allocate it to."))
    return redirect("counterparty_detail", pk=receipt.counterparty_id)
