"""The front desk's pages for platform orders: the list with its filters, online bookings
awaiting confirmation, the badge in the top bar, an order with its history, and the dialogs
that confirm (bind or create the patient, book a free slot), bind a patient later,
re-confirm a no-show and cancel."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.models import Location, Practitioner
from clinic.patients.forms import validate_phone
from clinic.patients.models import Patient, normalise_phone
from clinic.patients.services import PatientData, search_patients
from clinic.periods import period_bounds
from clinic.reliability.idempotency import idempotent
from clinic.scheduling.availability import clinic_zone, next_free_slots
from clinic.scheduling.services import duration_of

from . import orders
from .catalogue.models import Platform, Product
from .models import OrderStatus, PlatformOrder
from .services import ACTION_LABELS

PER_PAGE = 50
# Polled by the top bar: htmx stops polling on this status (a signed-out page stops asking).
STOP_POLLING = 286


def get_order_for(pk: int) -> PlatformOrder:
    """An order of this clinic (its schema); any other id is a 404."""
    return get_object_or_404(
        PlatformOrder.objects.select_related("platform", "product", "patient", "patient__phone_owner",
                                             "appointment__practitioner", "appointment__location"), pk=pk)


# --- the list ----------------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    platform = forms.ModelChoiceField(label=gettext_lazy("Platform"), queryset=Platform.objects.all(), required=False,
                                      empty_label=gettext_lazy("Any platform"))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("Any status")), *OrderStatus.choices])
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.select_related("platform"),
                                     required=False, empty_label=gettext_lazy("Any product"))
    first = forms.DateField(label=gettext_lazy("Received from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=gettext_lazy("Received until"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            self.add_error("last", _("The last day comes before the first."))
        return data


def _filtered(data: dict):
    rows = PlatformOrder.objects.select_related("platform", "product", "patient", "appointment")
    if data.get("platform"):
        rows = rows.filter(platform=data["platform"])
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("product"):
        rows = rows.filter(product=data["product"])
    if data.get("first") or data.get("last"):
        first, last = period_bounds(data.get("first") or date(1900, 1, 1), data.get("last") or date(2999, 12, 30))
        rows = rows.filter(received_at__gte=first, received_at__lt=last)
    return rows.order_by("-received_at", "-id")


def _list(request, *, awaiting: bool):
    data = request.GET.copy()
    if awaiting:
        data["status"] = OrderStatus.NEW
    filters = OrderFilterForm(data)
    rows = _filtered(filters.cleaned_data if filters.is_valid() else {"status": data.get("status")} if awaiting else {})
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode(), "awaiting": awaiting,
               "list_url": reverse("platform_orders_awaiting" if awaiting else "platform_order_list")}
    template = "platforms/orders/_rows.html" if request.htmx else "platforms/orders/list.html"
    return render(request, template, context)


@clinic_view("platforms.view_platformorder")
def order_list(request):
    return _list(request, awaiting=False)


@clinic_view("platforms.view_platformorder")
def orders_awaiting(request):
    """Online bookings awaiting confirmation (the seed's 网络预约 → 待确认)."""
    return _list(request, awaiting=True)


def order_badge(request):
    """The top bar's count of orders awaiting confirmation, polled every 30 seconds."""
    if not getattr(request, "is_clinic_site", False) or not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    return _badge(request)


@clinic_view("platforms.view_platformorder")
def _badge(request):
    count = PlatformOrder.objects.filter(status=OrderStatus.NEW).count()
    return render(request, "platforms/orders/_badge.html", {"awaiting_count": count, "polled": True})


# --- one order ---------------------------------------------------------------------------------------------


@clinic_view("platforms.view_platformorder")
def order_detail(request, pk):
    order = get_order_for(pk)
    events = [(event, ACTION_LABELS.get(event.action, event.action))
              for event in order.events.select_related("actor").order_by("created", "id")]
    return render(request, "platforms/orders/detail.html", {
        "order": order, "events": events, "package": order.product.services.all(),
        "may_confirm": order.status == OrderStatus.NEW,
        "may_bind": order.status in (OrderStatus.NEW, OrderStatus.CONFIRMED),
        "may_reconfirm": order.status == OrderStatus.CONFIRMED,
        "may_cancel": order.status in (OrderStatus.NEW, OrderStatus.CONFIRMED),
    })


def _done(request, order, notice: str):
    messages.success(request, notice)
    url = reverse("platform_order_detail", args=[order.pk])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- free slots, in the dialogs --------------------------------------------------------------------------


class SlotSearchForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    practitioner = forms.ModelChoiceField(label=gettext_lazy("Practitioner"), required=False,
                                          queryset=Practitioner.objects.filter(is_active=True),
                                          empty_label=gettext_lazy("Any practitioner"))


def _slots(order, data) -> dict:
    """The first free slots long enough for the order's services, from the day asked on
    (scheduling's own search: working hours minus breaks, absences and appointments)."""
    search = SlotSearchForm(data or None)
    context = {"search": search, "slots": [], "slot_error": ""}
    try:
        duration = duration_of(orders.order_services(order))
    except DomainError as error:
        context["slot_error"] = error.message
        return context
    chosen = search.cleaned_data if search.is_valid() else {}
    now = timezone.now()
    start = now
    if chosen.get("day"):
        start = max(now, datetime.combine(chosen["day"], time.min, tzinfo=clinic_zone()))
    locations = {loc.pk: loc for loc in Location.objects.all()}
    found = next_free_slots(duration=duration, start=start, days=14, limit=12,
                            practitioner_id=chosen["practitioner"].pk if chosen.get("practitioner") else None)
    context["slots"] = [(slot, locations.get(slot.location_id), _slot_value(slot)) for slot in found]
    context["minutes"] = int(duration.total_seconds() // 60)
    return context


def _slot_value(slot) -> str:
    local = slot.starts.astimezone(clinic_zone())
    return f"{slot.practitioner.pk}|{slot.location_id}|{local:%Y-%m-%dT%H:%M}"


def _parse_slot(value: str):
    """(practitioner, location, start) of a slot's value, or a DomainError."""
    try:
        practitioner_id, location_id, start = value.split("|")
        starts_at = datetime.strptime(start, "%Y-%m-%dT%H:%M").replace(tzinfo=clinic_zone())
        practitioner = Practitioner.objects.get(pk=int(practitioner_id))
        location = Location.objects.get(pk=int(location_id))
    except (ValueError, Practitioner.DoesNotExist, Location.DoesNotExist):
        raise DomainError(_("Choose a free slot."), field="slot") from None
    return practitioner, location, starts_at


@clinic_view("platforms.change_platformorder")
def order_slots(request, pk):
    """The slots part of a dialog, drawn again for another day or practitioner."""
    order = get_order_for(pk)
    return render(request, "platforms/orders/_slots.html", {"order": order, **_slots(order, request.GET)})


# --- confirm -----------------------------------------------------------------------------------------------------


class NewPatientForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)

    def clean_phone(self):
        return validate_phone(self.cleaned_data["phone"])


def _candidates(order, query: str) -> list[Patient]:
    """Patients the order may be bound to: those with its phone, then those the desk searched."""
    found = list(Patient.objects.filter(phone=normalise_phone(order.customer_phone))
                 .order_by("number")[:10]) if order.customer_phone else []
    if len(query) >= 2:
        found += [p for p in search_patients(query)[:10] if p not in found]
    return found


def _confirm_context(request, order, *, data=None, error: str = "", same_name=None) -> dict:
    data = data if data is not None else request.GET
    first, last = orders.split_name(order.customer_name)
    new = NewPatientForm(data if "first_name" in data else None,
                         initial={"first_name": first, "last_name": last, "phone": order.customer_phone})
    query = data.get("q", "").strip()
    check = orders.check_phone(order.customer_phone, first, last) if order.customer_phone else None
    chosen = data.get("patient", "")
    if not chosen and check and check.same_name:
        chosen = str(check.same_name[0].pk)  # the same name and phone: offered first
    return {"order": order, "new": new, "query": query, "candidates": _candidates(order, query),
            "check": check, "chosen": chosen, "error": error, "same_name": same_name or [],
            "chosen_slot": data.get("slot", ""), **_slots(order, data)}


@clinic_view("platforms.change_platformorder", "scheduling.add_appointment", "patients.view_patient")
@idempotent
def order_confirm(request, pk):
    order = get_order_for(pk)
    if request.method == "GET":
        if request.GET.get("part") == "patients":
            return render(request, "platforms/orders/_candidates.html", _confirm_context(request, order))
        return render(request, "platforms/orders/_confirm_dialog.html", _confirm_context(request, order))
    post = request.POST
    try:
        practitioner, location, starts_at = _parse_slot(post.get("slot", ""))
        patient, new_patient = None, None
        chosen = post.get("patient", "")
        if chosen.isdigit():
            patient = get_object_or_404(Patient, pk=int(chosen))
        elif chosen == "new":
            new = NewPatientForm(post)
            if not new.is_valid():
                raise DomainError(" ".join(e for errors in new.errors.values() for e in errors), field="phone")
            new_patient = PatientData(first_name=new.cleaned_data["first_name"], last_name=new.cleaned_data["last_name"],
                                      phone=new.cleaned_data["phone"])
        else:
            raise DomainError(_("Choose the patient or create one from the order."), field="patient")
        orders.confirm_order(order, actor=request.user, patient=patient, new_patient=new_patient, location=location,
                             practitioner=practitioner, starts_at=starts_at,
                             another_person=post.get("another_person") == "1")
    except orders.SamePersonFound as offer:
        # A question, not a refusal: the dialog asks it (200).
        return render(request, "platforms/orders/_confirm_dialog.html",
                      _confirm_context(request, order, data=post, error=offer.message, same_name=offer.patients))
    except DomainError as error:
        return render(request, "platforms/orders/_confirm_dialog.html",
                      _confirm_context(request, order, data=post, error=error.message), status=422)
    order.refresh_from_db()
    return _done(request, order, _("Order %(number)s confirmed: %(patient)s is booked.")
                 % {"number": order.number, "patient": order.patient.full_name})


# --- bind later ---------------------------------------------------------------------------------------------------


@clinic_view("platforms.change_platformorder", "patients.view_patient")
@idempotent
def order_bind(request, pk):
    order = get_order_for(pk)
    data = request.POST if request.method == "POST" else request.GET
    query = data.get("q", "").strip()
    patient = None
    if data.get("patient", "").isdigit():
        patient = get_object_or_404(Patient, pk=int(data["patient"]))
    error = ""
    if request.method == "POST":
        appointment = None
        try:
            if patient is None:
                raise DomainError(_("Choose the patient to bind."))
            if data.get("appointment", "").isdigit():
                appointment = get_object_or_404(orders.bindable_appointments(patient), pk=int(data["appointment"]))
            orders.bind_patient(order, patient, actor=request.user, appointment=appointment)
        except DomainError as failed:
            error = failed.message
        else:
            return _done(request, order, _("Order %(number)s bound to %(patient)s.")
                         % {"number": order.number, "patient": patient.full_name})
    found = list(search_patients(query)[:10]) if len(query) >= 2 else []
    context = {"order": order, "query": query, "found": found, "patient": patient, "error": error,
               "appointments": list(orders.bindable_appointments(patient)) if patient else []}
    return render(request, "platforms/orders/_bind_dialog.html", context, status=422 if error else 200)


# --- re-confirm and cancel -------------------------------------------------------------------------------------------


@clinic_view("platforms.change_platformorder", "scheduling.change_appointment")
@idempotent
def order_reconfirm(request, pk):
    order = get_order_for(pk)
    error = ""
    if request.method == "POST":
        try:
            practitioner, location, starts_at = _parse_slot(request.POST.get("slot", ""))
            orders.reconfirm_order(order, actor=request.user, starts_at=starts_at, practitioner=practitioner,
                                   location=location)
        except DomainError as failed:
            error = failed.message
        else:
            return _done(request, order, _("Order %(number)s re-confirmed with the appointment moved.")
                         % {"number": order.number})
    data = request.POST if request.method == "POST" else request.GET
    return render(request, "platforms/orders/_reconfirm_dialog.html",
                  {"order": order, "error": error, "chosen_slot": data.get("slot", ""), **_slots(order, data)},
                  status=422 if error else 200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=orders.REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))


@clinic_view("platforms.cancel_platformorder")
@idempotent
def order_cancel(request, pk):
    order = get_order_for(pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            orders.cancel_order(order, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            error.add_to(form)
        else:
            return _done(request, order, _("Order %(number)s cancelled.") % {"number": order.number})
    return render(request, "platforms/orders/_cancel_dialog.html", {"order": order, "form": form},
                  status=422 if request.method == "POST" else 200)
