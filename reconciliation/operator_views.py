"""The operator's settlement console (public host, /operator/settlements/): every clinic's
settlement requests, receiving the invoice and paying, off-cycle windows, the shop's catalogue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from clinic.errors import DomainError
from clinic.money import CURRENCIES
from clinic.periods import clinic_today
from clinic.reliability.idempotency import idempotent
from clinic.tenants.models import Clinic
from clinic.tenants.views import operator_view
from platforms.catalogue.models import Platform

from .payouts.models import RequestStatus, SettlementRequest, SettlementWindow, ShopItem

PAGE = 50


def _clinics():
    return Clinic.objects.exclude(schema_name="public").exclude(is_template=True).order_by("name")


class RequestFilter(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("Every status")), *RequestStatus.choices])
    platform = forms.ModelChoiceField(label=gettext_lazy("Platform"), required=False,
                                      queryset=Platform.objects.order_by("name"),
                                      empty_label=gettext_lazy("Every platform"))
    clinic = forms.ModelChoiceField(label=gettext_lazy("Clinic"), required=False, queryset=_clinics(),
                                    empty_label=gettext_lazy("Every clinic"))


@operator_view
def settlement_requests(request):
    form = RequestFilter(request.GET or None)
    requests = SettlementRequest.objects.select_related("clinic", "platform").order_by("-requested_at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            requests = requests.filter(status=data["status"])
        if data["platform"]:
            requests = requests.filter(platform=data["platform"])
        if data["clinic"]:
            requests = requests.filter(clinic=data["clinic"])
    page = Paginator(requests, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reconciliation/operator/requests.html", {
        "form": form, "page": page, "query": query.urlencode(),
    })


def _request(pk) -> SettlementRequest:
    try:
        return SettlementRequest.objects.select_related("clinic", "platform", "processed_by").get(pk=pk)
    except SettlementRequest.DoesNotExist:
        raise Http404 from None


class PayForm(forms.Form):
    transaction_number = forms.CharField(label=gettext_lazy("Bank transaction number"), max_length=100)
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))


def _detail(request, settlement_request, *, pay_form=None, status=200):
    from .models import SettlementBatch

    with tenant_context(settlement_request.clinic):
        batch = SettlementBatch.objects.filter(pk=settlement_request.batch_id).first()
        events = [(event, event.label, event.text) for event in batch.events.all()] if batch else []
        months = [statement.month for statement in batch.statements.order_by("month")] if batch else []
        today = clinic_today()
    return render(request, "reconciliation/operator/request_detail.html", {
        "item": settlement_request, "events": events, "months": months,
        "voucher": getattr(settlement_request, "voucher", None) if settlement_request.method == "voucher" else None,
        "pay_form": pay_form or PayForm(initial={"paid_on": today}),
    }, status=status)


@operator_view
def settlement_request_detail(request, pk):
    return _detail(request, _request(pk))


@require_POST
@operator_view
@idempotent
def settlement_invoice_received(request, pk):
    from .settlement import receive_invoice

    settlement_request = _request(pk)
    try:
        receive_invoice(settlement_request, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invoice is received: pay %(amount)s %(currency)s to the clinic's account.")
                         % {"amount": settlement_request.payout, "currency": settlement_request.currency})
    return redirect("operator_settlement_detail", pk=settlement_request.pk)


@require_POST
@operator_view
@idempotent
def settlement_pay(request, pk):
    from .settlement import pay_settlement

    settlement_request = _request(pk)
    form = PayForm(request.POST)
    if form.is_valid():
        try:
            pay_settlement(settlement_request, transaction_number=form.cleaned_data["transaction_number"],
                           paid_on=form.cleaned_data["paid_on"], actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Paid: the clinic sees the payment and its transaction number."))
            return redirect("operator_settlement_detail", pk=settlement_request.pk)
    return _detail(request, _request(pk), pay_form=form, status=422)


# --- off-cycle windows ------------------------------------------------------------------------


class WindowForm(forms.Form):
    clinic = forms.ModelChoiceField(label=gettext_lazy("Clinic"), queryset=_clinics())
    opens_on = forms.DateField(label=gettext_lazy("Opens"), widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label=gettext_lazy("Closes"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


@operator_view
def settlement_windows(request):
    from .settlement import open_off_cycle_window

    form = WindowForm(request.POST or None, initial={"clinic": request.GET.get("clinic")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                window = open_off_cycle_window(data["clinic"], opens_on=data["opens_on"], closes_on=data["closes_on"],
                                               reason=data["reason"], actor=request.user)
            except DomainError as error:
                error.add_to(form)
            else:
                messages.success(request, _("%(clinic)s may settle from %(opens)s to %(closes)s.") % {
                    "clinic": window.clinic.name, "opens": window.opens_on, "closes": window.closes_on})
                return redirect("operator_settlement_windows")
        status = 422
    windows = SettlementWindow.objects.select_related("clinic", "opened_by")[:100]
    return render(request, "reconciliation/operator/windows.html", {"form": form, "windows": windows},
                  status=status)


# --- the shop's catalogue ---------------------------------------------------------------------


class ShopItemForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    price = forms.DecimalField(label=gettext_lazy("Price"), max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=[(code, code) for code in CURRENCIES])
    is_active = forms.BooleanField(label=gettext_lazy("On sale"), required=False, initial=True)


def _save_item(request, item, form):
    from .shop import save_shop_item

    if not form.is_valid():
        return None
    try:
        return save_shop_item(item, actor=request.user, **form.cleaned_data)
    except DomainError as error:
        error.add_to(form)
        return None


@operator_view
def shop_items(request):
    form = ShopItemForm(request.POST or None)
    status = 200
    if request.method == "POST":
        saved = _save_item(request, None, form)
        if saved is not None:
            messages.success(request, _("“%(name)s” is in the shop.") % {"name": saved.name})
            return redirect("operator_shop_items")
        status = 422
    return render(request, "reconciliation/operator/shop.html", {
        "form": form, "items": ShopItem.objects.order_by("-is_active", "name"),
    }, status=status)


@operator_view
def shop_item_edit(request, pk):
    try:
        item = ShopItem.objects.get(pk=pk)
    except ShopItem.DoesNotExist:
        raise Http404 from None
    form = ShopItemForm(request.POST or None, initial={"name": item.name, "price": item.price,
                                                       "currency": item.currency, "is_active": item.is_active})
    status = 200
    if request.method == "POST":
        if _save_item(request, item, form) is not None:
            messages.success(request, _("“%(name)s” is saved.") % {"name": form.cleaned_data["name"]})
            return redirect("operator_shop_items")
        status = 422
    return render(request, "reconciliation/operator/shop_item.html", {"form": form, "item": item}, status=status)
