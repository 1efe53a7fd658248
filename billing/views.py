"""Front-desk money screens: the patient account statement (a side panel, htmx),
visits and their lines, the cashier, deposits, refunds, CRM tasks, promotions.

Actions in the statement panel post their form into the panel's action area;
on success the whole panel is sent back (retargeted), so the balance and the
timeline change without a page reload; on refusal the form comes back (422)
with the message next to its field.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from clinic.accounts.access import clinic_view
from clinic.calendars import format_date as date_format
from clinic.errors import DomainError
from clinic.money import ZERO
from clinic.patients.views import get_patient_for
from clinic.reliability.idempotency import idempotent
from clinic.templatetags.ui import money

from . import coverage, documents, ledger, services, statement
from .forms import (
    TOWARDS_BALANCE,
    ActivityForm,
    ClubSettingsForm,
    DepositForm,
    FinishActivityForm,
    LineForm,
    PaymentForm,
    PromotionForm,
    RefundForm,
    VisitForm,
    VoidForm,
)
from .models import Activity, BillingSettings, Deposit, Payer, Payment, Promotion, Visit, VisitLine

# (key, label, permission) of the statement's tabs, shown to those who hold the permission.
TABS = [
    ("summary", gettext_lazy("Summary"), "billing.view_visit"),
    ("visits", gettext_lazy("Visits"), "billing.view_visit"),
    ("appointments", gettext_lazy("Appointments"), "scheduling.view_appointment"),
    ("transactions", gettext_lazy("Transactions"), "billing.view_payment"),
    ("deposits", gettext_lazy("Deposits"), "billing.view_deposit"),
    ("crm", gettext_lazy("CRM"), "billing.view_activity"),
    ("club", gettext_lazy("Customer club"), "billing.view_payment"),
]



# --- the statement ------------------------------------------------------------------------


def _tab_context(request, patient, tab: str) -> dict:
    user = request.user
    context: dict = {}
    if tab == "summary":
        before = None
        if request.GET.get("before"):
            from django.utils.dateparse import parse_datetime

            try:
                before = parse_datetime(request.GET["before"])
            except ValueError:
                before = None
            if before is None or timezone.is_naive(before):
                raise Http404
        events, more = statement.timeline(patient, before=before, money=user.has_perm("billing.view_payment"))
        context.update(events=events, more=more, next_before=events[-1].at.isoformat() if events else "")
    elif tab == "visits":
        from django.db.models import Prefetch

        visits = list(Visit.objects.filter(patient=patient).select_related("location", "practitioner")
                      .prefetch_related(Prefetch("lines", VisitLine.objects.select_related("payer")))[:100])
        dues = ledger.dues_by_visit(patient)
        for visit in visits:
            visit.due = dues.get(visit.pk, 0)
        context["visits"] = visits
    elif tab == "appointments":
        from clinic.scheduling.models import Appointment

        now = timezone.now()
        # Services prefetched: the table names them per row (no query per appointment).
        appointments = (Appointment.objects.filter(patient=patient).select_related("practitioner", "location")
                        .prefetch_related("services"))
        context["upcoming"] = appointments.filter(starts_at__gte=now).order_by("starts_at")[:50]
        context["past"] = appointments.filter(starts_at__lt=now).order_by("-starts_at")[:50]
    elif tab == "transactions":
        rows, more = statement.latest_transactions(patient)
        today = timezone.localdate()
        context.update(rows=rows, more=more, export_first=today.replace(month=1, day=1), export_last=today,
                       tax_years=range(today.year, today.year - 4, -1))
    elif tab == "deposits":
        from django.db.models import Prefetch

        context["deposits"] = ledger.with_remaining(Deposit.objects.filter(patient=patient)).order_by(
            "-created").prefetch_related(Prefetch("entries", queryset=documents.deposit_returns_all(),
                                                  to_attr="returns"))
    elif tab == "crm":
        context["activities"] = Activity.objects.filter(patient=patient).select_related("assignee").order_by(
            "status", "due_date")[:100]
    elif tab == "club":
        from .models import Bucket, LedgerEntry

        context["club"] = BillingSettings.load()
        context["entries"] = LedgerEntry.objects.filter(patient=patient, bucket=Bucket.POINTS).order_by(
            "-created", "-id")[:100]
    return context


def _panel(request, patient, tab: str = "summary", *, status: int = 200, notice: str = "", receipt_url: str = "",
           action_html: str = ""):
    tabs = [(key, label) for key, label, perm in TABS if request.user.has_perm(perm)]
    if tab not in {key for key, _label in tabs}:
        raise Http404
    context = {
        "patient": patient,
        "tabs": tabs,
        "tab": tab,
        "figures": statement.summary(patient) if request.user.has_perm("billing.view_payment") else None,
        "notice": notice,
        "receipt_url": receipt_url,
        "action_html": action_html,
        **_tab_context(request, patient, tab),
    }
    if request.htmx and tab == "summary" and request.GET.get("rows"):  # "older events"
        return render(request, "billing/statement/_timeline_rows.html", context)
    template = "billing/statement/_panel.html" if request.htmx else "billing/statement/page.html"
    return render(request, template, context, status=status)


@clinic_view("billing.view_visit")
def patient_statement(request, pk):
    patient = get_patient_for(request.user, pk)
    action_html = ""
    if request.GET.get("cashier") and request.user.has_perm("billing.add_payment"):
        # Opened from a visit's page: the cashier is already open, for that visit.
        from django.template.loader import render_to_string

        action_html = render_to_string("billing/statement/_cashier.html",
                                       _cashier_form(request, patient, request.GET["cashier"]), request=request)
    return _panel(request, patient, request.GET.get("tab", "summary"), action_html=action_html)


def _panel_after(request, patient, notice: str, tab: str = "summary", receipt_url: str = ""):
    """The whole panel again after an action, in place of the action's form."""
    if not request.htmx:
        messages.success(request, notice)
        return redirect(reverse("patient_statement", args=[patient.pk]) + f"?tab={tab}")
    response = _panel(request, patient, tab, notice=notice, receipt_url=receipt_url)
    return reswap(retarget(response, "#statement"), "outerHTML")


def _action_form(request, template: str, context: dict, *, refused: bool = False):
    return render(request, template, context, status=422 if refused else 200)


def _cashier_form(request, patient, visit_id: str | None = None) -> dict:
    """The cashier, for the visit it was opened from; else for the patient's open visit
    that owes (the one at the desk now), else for the only visit that owes. Paying
    towards the balance (the oldest visits first) is only ever a choice."""
    dues = ledger.dues_by_visit(patient)
    visits = list(Visit.objects.filter(pk__in=[k for k, due in dues.items() if due > 0]).order_by("-opened_at"))
    deposits = [d for d in ledger.with_remaining(Deposit.objects.filter(patient=patient)) if d.remaining > 0]
    chosen = None
    if visit_id and visit_id.isdigit() and dues.get(int(visit_id), 0) > 0:
        chosen = next(v for v in visits if v.pk == int(visit_id))
    else:
        open_ones = [v for v in visits if v.status == Visit.Status.OPEN]
        if open_ones:
            chosen = open_ones[0]  # the newest open visit
        elif len(visits) == 1:
            chosen = visits[0]
    initial = {"visit": chosen.pk, "amount": dues[chosen.pk]} if chosen else {}
    form = PaymentForm(request.POST if request.method == "POST" else None, initial=initial, patient=patient,
                       deposits=deposits, visits=visits, dues=dues)
    settles = _with_dues(services.payment_settles(patient, chosen, dues[chosen.pk]), dues) if chosen else []
    return {"form": form, "patient": patient, "balance": ledger.balance(patient), "settles": settles}


def _with_dues(settles, dues):
    """(visit, share, what the visit owes now) for the cashier's "This payment settles"."""
    return [(visit, share, dues.get(visit.pk) if visit else None) for visit, share in settles]


def _cashier_settles(request, patient):
    """What the payment being typed would settle (the cashier asks as its fields change)."""
    dues = ledger.dues_by_visit(patient)
    key = request.GET.get("visit", "")
    visit = None
    if key.isdigit():
        visit = Visit.objects.filter(patient=patient, pk=int(key)).first()
        if visit is None:
            raise Http404
    elif key != TOWARDS_BALANCE:
        return render(request, "billing/statement/_cashier_settles.html", {"settles": []})
    total = ZERO
    for name in ("amount", "amount_2"):
        try:
            total += Decimal(request.GET.get(name) or 0)
        except InvalidOperation:
            pass
    return render(request, "billing/statement/_cashier_settles.html",
                  {"settles": _with_dues(services.payment_settles(patient, visit, total), dues)})


@clinic_view("billing.add_payment")
@idempotent
def cashier(request, pk):
    patient = get_patient_for(request.user, pk)
    if request.method == "GET" and request.GET.get("settles"):
        return _cashier_settles(request, patient)
    context = _cashier_form(request, patient, request.GET.get("visit"))
    form = context["form"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parts = [services.PaymentPart(method=data["method"], amount=data["amount"])]
        if data.get("method_2"):
            parts.append(services.PaymentPart(method=data["method_2"], amount=data["amount_2"]))
        for part in parts:
            if part.method == "cash":
                part.tendered = data["tendered"]
            if part.method == "deposit":
                part.deposit = data["deposit"]
        try:
            payments = services.take_payment_in_parts(patient=patient, visit=data["visit"], parts=parts,
                                                      actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            first = payments[0]
            total = sum((p.amount for p in payments), ZERO)
            notice = _("Payment %(number)s of %(amount)s taken.") % {
                "number": f"#{first.number}", "amount": money(total, first.currency)}
            if len(payments) > 1:
                notice += " " + ", ".join(f"{p.get_method_display()}: {money(p.amount, p.currency)}"
                                          for p in payments) + "."
            change = sum((p.change for p in payments), ZERO)
            if change:
                notice += " " + _("Change: %(change)s.") % {"change": money(change, first.currency)}
            return _panel_after(request, patient, notice, receipt_url=reverse("payment_receipt", args=[first.pk]))
    return _action_form(request, "billing/statement/_cashier.html", context, refused=request.method == "POST")


@clinic_view("billing.add_deposit")
@idempotent
def deposit_new(request, pk):
    patient = get_patient_for(request.user, pk)
    form = DepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deposit = services.receive_deposit(patient=patient, amount=data["amount"], method=data["method"],
                                               note=data["note"], actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            return _panel_after(request, patient, _("Deposit %(number)s of %(amount)s received.") % {
                "number": f"#{deposit.number}", "amount": money(deposit.amount, deposit.currency)}, "deposits",
                receipt_url=reverse("deposit_receipt", args=[deposit.pk]))
    return _action_form(request, "billing/statement/_deposit_form.html", {"form": form, "patient": patient},
                        refused=request.method == "POST")


@clinic_view("billing.refund_payment")
@idempotent
def payment_refund(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("patient"), pk=pk, refund_of__isnull=True)
    left = services.refundable(payment)
    form = RefundForm(request.POST or None, initial={"amount": left})
    if request.method == "POST" and form.is_valid():
        try:
            refund = services.refund_payment(payment, amount=form.cleaned_data["amount"],
                                             reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            return _panel_after(request, payment.patient, _("Refund %(number)s of %(amount)s recorded.") % {
                "number": f"#{refund.number}", "amount": money(-refund.amount, refund.currency)}, "transactions",
                receipt_url=reverse("payment_receipt", args=[refund.pk]))
    return _action_form(request, "billing/statement/_refund_form.html",
                        {"form": form, "payment": payment, "left": left,
                         "action": reverse("payment_refund", args=[payment.pk]),
                         "title": _("Refund payment %(number)s") % {"number": f"#{payment.number}"}},
                        refused=request.method == "POST")


@clinic_view("billing.refund_deposit")
@idempotent
def deposit_refund(request, pk):
    deposit = get_object_or_404(Deposit.objects.select_related("patient"), pk=pk)
    left = ledger.deposit_remaining(deposit)
    form = RefundForm(request.POST or None, initial={"amount": left})
    if request.method == "POST" and form.is_valid():
        try:
            services.refund_deposit(deposit, amount=form.cleaned_data["amount"],
                                    reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            returned = documents.deposit_returns(deposit).last()
            return _panel_after(request, deposit.patient, _("%(amount)s of deposit %(number)s returned.") % {
                "number": f"#{deposit.number}", "amount": money(form.cleaned_data["amount"], deposit.currency)},
                "deposits", receipt_url=reverse("deposit_return_receipt", args=[deposit.pk, returned.pk]))
    return _action_form(request, "billing/statement/_refund_form.html",
                        {"form": form, "payment": None, "left": left,
                         "action": reverse("deposit_refund", args=[deposit.pk]),
                         "title": _("Return deposit %(number)s") % {"number": f"#{deposit.number}"}},
                        refused=request.method == "POST")


@clinic_view("scheduling.add_appointment")
@idempotent
def appointment_quick(request, pk):
    """Book the patient's next appointment from the panel: the first free slots for a
    service, each booked with one click."""
    from datetime import datetime

    from clinic.models import Location, Practitioner
    from clinic.scheduling.availability import clinic_zone, next_free_slots
    from clinic.scheduling.forms import FreeSlotForm
    from clinic.scheduling.services import SlotTaken, book_appointment

    patient = get_patient_for(request.user, pk)
    form = FreeSlotForm(request.POST if request.method == "POST" else (request.GET or None))
    refused = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            starts = datetime.strptime(request.POST.get("start", ""), "%Y-%m-%dT%H:%M").replace(tzinfo=clinic_zone())
            location = get_object_or_404(Location, pk=int(request.POST.get("slot_location", "0") or 0))
            practitioner = get_object_or_404(Practitioner, pk=int(request.POST.get("slot_practitioner", "0") or 0))
        except ValueError:
            raise Http404 from None
        try:
            appointment = book_appointment(actor=request.user, patient=patient, location=location,
                                           practitioner=practitioner, starts_at=starts,
                                           service_ids=[data["service"].pk], source="phone")
        except SlotTaken as taken:
            refused = taken.message
        except DomainError as error:
            refused = error.message
        else:
            return _panel_after(request, patient, _("Appointment booked for %(when)s with %(who)s.") % {
                "when": date_format(timezone.localtime(appointment.starts_at), "SHORT_DATETIME_FORMAT"),
                "who": practitioner.full_name}, "appointments")
    slots = []
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        slots = next_free_slots(
            duration=timedelta(minutes=data["service"].duration_minutes), start=timezone.now(),
            location_id=data["location"].pk if data["location"] else None,
            practitioner_id=data["practitioner"].pk if data["practitioner"] else None,
        )
    locations = {location.pk: location for location in Location.objects.all()}
    return _action_form(request, "billing/statement/_appointment_form.html",
                        {"form": form, "patient": patient, "refused": refused,
                         "rows": [(slot, locations.get(slot.location_id)) for slot in slots]},
                        refused=bool(refused))


# --- visits ------------------------------------------------------------------------------------


def _arrived_today(patient):
    from clinic.scheduling.models import Appointment

    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (Appointment.objects.filter(patient=patient, starts_at__gte=start, starts_at__lt=start + timedelta(days=1),
                                       status__in=services.VISIT_STATUSES, visit__isnull=True)
            .select_related("practitioner", "location"))


@clinic_view("billing.add_visit")
def visit_new(request, pk):
    patient = get_patient_for(request.user, pk)
    arrived = list(_arrived_today(patient))
    form = VisitForm(request.POST or None)
    if request.method == "POST":
        appointment = None
        chosen = request.POST.get("appointment", "")
        if chosen:
            appointment = next((a for a in arrived if str(a.pk) == chosen), None)
            if appointment is None:
                raise Http404
        if appointment is not None or form.is_valid():
            data = form.cleaned_data if appointment is None else {}
            try:
                visit = services.open_visit(
                    patient=patient, appointment=appointment, location=data.get("location"),
                    practitioner=data.get("practitioner"), actor=request.user,
                )
            except DomainError as error:
                error.add_to(form)
            else:
                url = reverse("visit_detail", args=[visit.pk])
                if request.htmx:
                    from django_htmx.http import HttpResponseClientRedirect

                    return HttpResponseClientRedirect(url)
                return redirect(url)
    return _action_form(request, "billing/statement/_visit_form.html",
                        {"form": form, "patient": patient, "arrived": arrived},
                        refused=request.method == "POST")


@require_POST
@clinic_view("billing.add_visit", "scheduling.view_appointment")
def appointment_visit(request, pk):
    """"Open visit" on an arrived appointment: its visit, opened from it if it has none."""
    from clinic.scheduling.views import get_appointment_for

    appointment = get_appointment_for(request.user, pk)
    try:
        visit = services.visit_for_appointment(appointment, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("appointment_detail", pk=appointment.pk)
    return redirect("visit_detail", pk=visit.pk)


def _visit_page(request, visit: Visit, *, line_form=None, status: int = 200):
    visit = (Visit.objects.select_related("patient", "location", "practitioner", "appointment").get(pk=visit.pk))
    lines = list(visit.lines.select_related("service", "payer", "promotion", "price_changed_by", "practitioner"))
    account = services.patient_account(visit.patient)
    payers = dict.fromkeys(line.payer for line in lines if line.voided_at is None)  # in order, once each
    by_payer = [(payer, ledger.visit_due(visit, payer)) for payer in payers]
    other_payers = list(Payer.objects.filter(patient=visit.patient).order_by("kind", "pk")) if (
        visit.status == Visit.Status.OPEN) else []
    offered: dict[tuple, bool] = {}  # (payer, service, quantity): asked once however many lines

    def offers(payer, line) -> bool:
        key = (payer.pk, line.service_id, line.quantity)
        if key not in offered:
            offered[key] = coverage.offers(payer, visit=visit, service=line.service, quantity=line.quantity)
        return offered[key]

    for line in lines:  # the payers each line may move to (a coverage says which lines it takes)
        movable = line.voided_at is None and line.split_of_id is None and line.service_id
        line.payer_choices = [payer for payer in other_payers
                              if movable and payer.pk != line.payer_id and offers(payer, line)] if movable else []
    context = {
        "visit": visit,
        "patient": visit.patient,
        "lines": lines,
        "other_payers": other_payers,
        "line_form": line_form or LineForm(visit=visit),
        "void_form": VoidForm(),
        "due": ledger.visit_due(visit, account),
        "by_payer": by_payer,
        "payments": visit.payments.select_related("cashier").order_by("created"),
        "gross": sum((line.gross for line in lines if line.voided_at is None), 0),
        "discounts": sum((line.discount for line in lines if line.voided_at is None), 0),
    }
    from .extensions import render_visit_panels

    context["panels"] = render_visit_panels(request, visit)
    return render(request, "billing/visit_detail.html", context, status=status)


@clinic_view("billing.view_visit")
def visit_detail(request, pk):
    return _visit_page(request, get_object_or_404(Visit, pk=pk))


@require_POST
@clinic_view("billing.add_visitline")
def line_add(request, pk):
    from decimal import Decimal

    visit = get_object_or_404(Visit, pk=pk)
    form = LineForm(request.POST, visit=visit)
    if form.is_valid():
        data = form.cleaned_data
        discount = None
        if data["discount_percent"] is not None or data["discount_amount"] is not None:
            discount = services.ManualDiscount(
                percent=data["discount_percent"],
                amount=data["discount_amount"] if data["discount_percent"] is None else None,
                reason=data["discount_reason"],
            )
            if discount.percent == Decimal(0) and not discount.amount:
                discount = None
        try:
            line = services.add_line(visit, service=data["service"], quantity=data["quantity"],
                                     unit_price=data["unit_price"], payer=data["payer"], discount=discount,
                                     actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("%(service)s added.") % {"service": line.description})
            return redirect("visit_detail", pk=visit.pk)
    return _visit_page(request, visit, line_form=form)


@require_POST
@clinic_view("billing.void_visitline")
def line_void(request, pk):
    line = get_object_or_404(VisitLine, pk=pk)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            services.void_line(line, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(service)s voided.") % {"service": line.description})
    else:
        messages.error(request, _("Give the reason for voiding this line."))
    return redirect("visit_detail", pk=line.visit_id)


@require_POST
@clinic_view("billing.add_visitline")
def line_payer(request, pk):
    """Move a line to another payer of the patient (the line is voided and entered again)."""
    line = get_object_or_404(VisitLine.objects.select_related("visit"), pk=pk)
    payer = Payer.objects.filter(pk=request.POST.get("payer") or 0, patient_id=line.visit.patient_id).first()
    if payer is None:
        messages.error(request, _("Choose a payer from the list."))
        return redirect("visit_detail", pk=line.visit_id)
    try:
        moved = services.change_line_payer(line, payer=payer, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(service)s is now charged to %(payer)s.")
                         % {"service": moved.description, "payer": moved.payer})
    return redirect("visit_detail", pk=line.visit_id)


@require_POST
@clinic_view("billing.change_visit")
def visit_close(request, pk):
    visit = get_object_or_404(Visit, pk=pk)
    try:
        services.close_visit(visit, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Visit %(number)s closed.") % {"number": f"#{visit.number}"})
    return redirect("visit_detail", pk=visit.pk)


# --- CRM -----------------------------------------------------------------------------------------


@clinic_view("billing.add_activity")
def activity_new(request, pk):
    patient = get_patient_for(request.user, pk)
    form = ActivityForm(request.POST or None, initial={"assignee": request.user.pk,
                                                       "due_date": timezone.localdate() + timedelta(days=1)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_activity(patient=patient, kind=data["kind"], subject=data["subject"],
                                  due_date=data["due_date"], assignee=data["assignee"], actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            return _panel_after(request, patient, _("Task added."), "crm")
    return _action_form(request, "billing/statement/_activity_form.html", {"form": form, "patient": patient},
                        refused=request.method == "POST")


@require_POST
@clinic_view("billing.change_activity")
def activity_finish(request, pk):
    activity = get_object_or_404(Activity.objects.select_related("patient"), pk=pk)
    form = FinishActivityForm(request.POST)
    cancelled = request.POST.get("cancel") == "1"
    if form.is_valid():
        try:
            services.finish_activity(activity, outcome=form.cleaned_data["outcome"], cancelled=cancelled,
                                     actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Task finished."))
    else:
        messages.error(request, _("Write the outcome."))
    return redirect("my_tasks")


@clinic_view("billing.view_activity")
def my_tasks(request):
    show = request.GET.get("show", "open")
    tasks = Activity.objects.filter(assignee=request.user).select_related("patient")
    if show == "done":
        tasks = tasks.exclude(status=Activity.Status.OPEN).order_by("-done_at")
    else:
        show = "open"
        tasks = tasks.filter(status=Activity.Status.OPEN).order_by("due_date", "id")
    return render(request, "billing/my_tasks.html", {"tasks": tasks[:200], "show": show,
                                                      "today": timezone.localdate(),
                                                      "finish_form": FinishActivityForm()})


# --- promotions and the customer club -------------------------------------------------------------


@clinic_view("billing.view_promotion")
def promotion_list(request):
    promotions = Promotion.objects.select_related("service", "category")
    return render(request, "billing/promotion_list.html", {"promotions": promotions,
                                                            "today": timezone.localdate()})


def _promotion_form(request, promotion: Promotion | None):
    initial = {}
    if promotion is not None:
        initial = {field: getattr(promotion, field) for field in ("name", "kind", "value", "service", "category",
                                                                  "valid_from", "valid_until", "is_active")}
    else:
        initial = {"valid_from": timezone.localdate(), "is_active": True}
    form = PromotionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_promotion(promotion, actor=request.user, data=form.cleaned_data)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Promotion “%(name)s” saved.") % {"name": saved.name})
            return redirect("promotion_list")
    return render(request, "billing/promotion_form.html", {"form": form, "promotion": promotion},
                  status=422 if request.method == "POST" else 200)


@clinic_view("billing.add_promotion")
def promotion_create(request):
    return _promotion_form(request, None)


@clinic_view("billing.change_promotion")
def promotion_edit(request, pk):
    return _promotion_form(request, get_object_or_404(Promotion, pk=pk))


@clinic_view("clinic.change_clinic_settings")
def club_settings(request):
    club = BillingSettings.load()
    form = ClubSettingsForm(request.POST or None, initial={"points_per_unit": club.points_per_unit,
                                                           "point_value": club.point_value})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_billing_settings(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Customer club settings saved."))
            return redirect("club_settings")
    return render(request, "billing/club_settings.html", {"form": form})

