"""The clinic's quarterly settlement screens (seed 000, steps 6-8 and sections 十四–十五): per
platform the verified statements waiting, whether the window is open, the batches and their
history; starting a batch (cash against an invoice, or a consumables voucher); the batch's
summary PDF; the clinic's vouchers and the operator's shop."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.periods import clinic_today, quarter_period
from clinic.reliability.idempotency import idempotent
from platforms.catalogue.models import Enrolment, Platform

from . import settlement, shop
from .models import SettlementBatch, StatementLine
from .payouts.models import ConsumablesVoucher, InvoiceType, Method, ShopItem, ShopOrder

VIEW = "reconciliation.view_settlementbatch"
SETTLE = "reconciliation.settle_platform"


def _platforms():
    """The platforms this clinic is enrolled with, and any it has settled with before."""
    clinic = connection.tenant
    settled = set(SettlementBatch.objects.values_list("platform_id", flat=True))
    return list(Platform.objects.filter(
        Q(enrolments__clinic_id=clinic.pk, enrolments__status=Enrolment.Status.APPROVED) | Q(pk__in=settled)
    ).distinct().order_by("name"))


def _platform(pk) -> Platform:
    for platform in _platforms():
        if platform.pk == int(pk):
            return platform
    raise Http404


def _waiting(platform: Platform):
    """The platform's verified, unsettled statements with their lines' count and amount."""
    return settlement.settleable_statements(platform).annotate(
        order_count=Count("lines"), total=Sum("lines__amount")).order_by("month")


def _window(today):
    off_cycle = settlement.off_cycle_window(connection.tenant.pk, today)
    return {"open": settlement.window_is_open(today), "next": settlement.next_window(today),
            "off_cycle": off_cycle if today.month not in settlement.WINDOW_MONTHS else None}


def quarter_label(first_day) -> str:
    return _("Q%(number)s %(year)s") % {"number": (first_day.month - 1) // 3 + 1, "year": first_day.year}


def _with_history(batches):
    batches = list(batches)
    for batch in batches:
        batch.quarter_label = quarter_label(batch.quarter)
    return batches


@clinic_view(VIEW)
def settlement_home(request):
    today = clinic_today()
    rows = []
    for platform in _platforms():
        statements = list(_waiting(platform))
        batches = _with_history(SettlementBatch.objects.filter(platform=platform)
                                .prefetch_related("events", "statements").order_by("-quarter", "-id"))
        rows.append({"platform": platform, "statements": statements,
                     "total": settlement.statements_total(statements) if statements else None,
                     "batches": batches,
                     "started": any(b.quarter == _quarter(today) and b.status != SettlementBatch.Status.PROPOSED
                                    for b in batches)})
    return render(request, "reconciliation/settlement/home.html", {
        "rows": rows, "window": _window(today), "today": today,
        "can_settle": request.user.has_perm(SETTLE),
    })


def _quarter(today):
    return quarter_period(today)[0]


class StartForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("How the platform settles"), choices=Method.choices,
                               widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    invoice_type = forms.ChoiceField(label=gettext_lazy("Invoice type"), choices=InvoiceType.choices,
                                     widget=forms.RadioSelect(attrs={"class": "form-check-input"}), required=False)
    account_holder = forms.CharField(label=gettext_lazy("Account holder"), max_length=200, required=False)
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=200, required=False)
    account_number = forms.CharField(label=gettext_lazy("Account number or IBAN"), max_length=64, required=False)


def _last_bank_details() -> dict:
    """The bank details of the clinic's last cash settlement, to start from."""
    last = SettlementBatch.objects.filter(method=Method.CASH).exclude(account_number="").order_by(
        "-requested_at").first()
    if last is None:
        return {}
    return {"account_holder": last.account_holder, "bank_name": last.bank_name,
            "account_number": last.account_number}


@clinic_view(VIEW, SETTLE)
@idempotent
def settlement_start(request, platform_pk):
    platform = _platform(platform_pk)
    today = clinic_today()
    if request.method == "POST":
        form = StartForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = settlement.start_settlement(
                    platform, method=data["method"], invoice_type=data["invoice_type"] or "",
                    bank=settlement.BankDetails(data["account_holder"], data["bank_name"], data["account_number"]),
                    actor=request.user, today=today)
            except DomainError as error:
                error.add_to(form)
            else:
                if batch.method == Method.VOUCHER:
                    messages.success(request, _("Settled with voucher %(code)s: it is in My shop → My coupons.")
                                     % {"code": batch.voucher_code})
                else:
                    messages.success(request, _("The settlement is requested: send the platform the invoice; it "
                                                "pays once the invoice arrives."))
                return redirect("settlement_home")
        status = 422
    else:
        form = StartForm(initial={"method": Method.CASH, "invoice_type": InvoiceType.VAT_SPECIAL,
                                  **_last_bank_details()})
        status = 200
    statements = list(_waiting(platform))
    amount = settlement.statements_total(statements)
    currency = platform.currency
    return render(request, "reconciliation/settlement/start.html", {
        "platform": platform, "form": form, "statements": statements,
        "bank_fields": [form["account_holder"], form["bank_name"], form["account_number"]], "amount": amount, "currency": currency,
        "invoice_amounts": [
            {"type": kind, "label": label, "amount": settlement.invoice_amount(amount, kind, currency)}
            for kind, label in InvoiceType.choices
        ],
        "window": _window(today), "today": today,
    }, status=status)


def _in_clinic_language(function, *args):
    """What a document says is in the clinic's language (billing.documents renders it so)."""
    with translation.override(connection.tenant.default_language):
        return function(*args)


def _batch(pk) -> SettlementBatch:
    """A batch of this clinic (another clinic's batch is in another schema: not found)."""
    try:
        return SettlementBatch.objects.select_related("platform", "requested_by").get(pk=pk)
    except SettlementBatch.DoesNotExist:
        raise Http404 from None


@clinic_view(VIEW)
def settlement_summary_pdf(request, pk):
    from billing.documents import render_pdf

    batch = _batch(pk)
    if batch.status == SettlementBatch.Status.PROPOSED:
        raise Http404
    statements = batch.statements.annotate(order_count=Count("lines"), total=Sum("lines__amount")).order_by("month")
    lines = StatementLine.objects.filter(statement__settlement=batch).order_by("statement__month", "redeemed_at", "id")
    pdf = render_pdf("reconciliation/settlement/summary_pdf.html", {
        "batch": batch, "platform": batch.platform, "statements": statements, "lines": lines,
        "quarter": _in_clinic_language(quarter_label, batch.quarter),
    })
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="settlement-{batch.platform.code}-{batch.quarter:%Y-%m}.pdf"'
    return response


# --- My shop → My coupons ---------------------------------------------------------------------


def _shop_context(request, *, error=None, chosen=None):
    clinic = connection.tenant
    today = clinic_today()
    vouchers = [{"voucher": voucher, "status": shop.voucher_status(voucher, today)}
                for voucher in shop.clinic_vouchers(clinic)]
    with schema_context("public"):
        items = list(ShopItem.objects.filter(is_active=True).order_by("name"))
        orders = list(ShopOrder.objects.filter(clinic=clinic).select_related("voucher")[:50])
    return {
        "vouchers": vouchers, "items": items, "orders": orders, "error": error, "chosen": chosen or {},
        "usable": [row["voucher"] for row in vouchers if row["status"] == "valid"],
        "can_order": request.user.has_perm(SETTLE), "today": today,
    }


@clinic_view(VIEW)
def shop_vouchers(request):
    return render(request, "reconciliation/settlement/vouchers.html", _shop_context(request))


@require_POST
@clinic_view(VIEW, SETTLE)
@idempotent
def shop_order(request):
    clinic = connection.tenant
    quantities, chosen = {}, {}
    with schema_context("public"):
        item_ids = list(ShopItem.objects.filter(is_active=True).values_list("pk", flat=True))
    error = None
    for pk in item_ids:
        raw = (request.POST.get(f"quantity-{pk}") or "").strip()
        chosen[pk] = raw
        if not raw:
            continue
        try:
            quantities[pk] = int(raw)
        except ValueError:
            error = _("Enter each quantity as a whole number.")
        else:
            if quantities[pk] < 0:
                error = _("Enter each quantity as a whole number.")
    voucher = None
    voucher_id = (request.POST.get("voucher") or "").strip()
    if voucher_id:
        with schema_context("public"):
            voucher = ConsumablesVoucher.objects.filter(clinic=clinic, pk=voucher_id).first() if \
                voucher_id.isdigit() else None
        if voucher is None:
            raise Http404
    if error is None:
        try:
            order = shop.place_shop_order(clinic, quantities=quantities, voucher=voucher, actor=request.user)
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Shop order #%(number)s placed.") % {"number": order.pk})
            return redirect("shop_vouchers")
    context = _shop_context(request, error=error, chosen=chosen)
    context["chosen_voucher"] = voucher_id
    return render(request, "reconciliation/settlement/vouchers.html", context, status=422)

