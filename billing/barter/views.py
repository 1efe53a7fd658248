"""Barter screens: agreements, barter patients (policies), review, limit increases."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.patients.models import Patient
from clinic.uploads import file_response, upload_view

from . import services
from .forms import (
    AgreementForm,
    EmployeesForm,
    IncreaseForm,
    PlanApprovalForm,
    PlanItemForm,
    PolicyForm,
    WriteOffForm,
)
from .models import Agreement, Policy, TreatmentPlan, WriteOff


def _with_figures(policies):
    rows = []
    for policy in policies:
        policy.figures = services.figures(policy)
        rows.append(policy)
    return rows


@clinic_view("barter.view_policy")
def policy_list(request):
    show = request.GET.get("show", "all")
    policies = Policy.objects.select_related("agreement", "patient").order_by("review", "agreement__name", "number")
    if show == "pending":
        policies = policies.filter(review=Policy.Review.PENDING)
    rows = _with_figures(policies[:500])
    if show == "low":  # under 10 % of the limit left, for marketing
        rows = [p for p in rows if p.figures.remaining < p.figures.limit / 10]
    return render(request, "barter/policy_list.html", {"policies": rows, "show": show})


@clinic_view("barter.add_policy")
def policy_create(request):
    form = PolicyForm(request.POST or None, initial={"agreement": request.GET.get("agreement")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                patient = data["patient"]
                if patient is None:
                    from clinic.patients.services import PatientData, register_patient_in

                    patient = register_patient_in(
                        PatientData(first_name=data["first_name"].strip(), last_name=data["last_name"].strip(),
                                    phone=data["phone"], source="barter"),
                        actor=request.user,
                    )
                policy = services.register_policy(agreement=data["agreement"], patient=patient,
                                                  number=data["number"], limit=data["limit"], actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("%(patient)s is recorded under %(agreement)s; a manager reviews the "
                                        "policy before the first booking.") % {"patient": policy.patient.full_name,
                                                                                "agreement": policy.agreement})
            return redirect("barter_policy", pk=policy.pk)
    return render(request, "barter/policy_form.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


@clinic_view("barter.add_policy")
def employees_create(request):
    """Marketing records several employees of a company in one screen; a manager reviews each."""
    form = EmployeesForm(request.POST or None, initial={"agreement": request.GET.get("agreement")})
    if request.method == "POST" and form.is_valid():
        try:
            policies = services.register_employees(form.cleaned_data["agreement"], form.cleaned_data["rows"],
                                                   actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, ngettext(
                "%(count)s barter patient is recorded; a manager reviews the policy before the first booking.",
                "%(count)s barter patients are recorded; a manager reviews the policies before the first booking.",
                len(policies)) % {"count": len(policies)})
            return redirect(f"{reverse('barter_policies')}?show=pending")
    return render(request, "barter/employees_form.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


@clinic_view("patients.view_patient")
def patient_policies(request):
    """The barter figures of the patient just picked in the booking dialog (an htmx fragment)."""
    pk = _int(request.GET.get("patient"))
    patient = get_object_or_404(Patient, pk=pk) if pk is not None else None
    return render(request, "barter/_patient_policies_fragment.html", {"patient": patient})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@clinic_view("barter.view_policy")
def policy_detail(request, pk):
    policy = get_object_or_404(Policy.objects.select_related("agreement", "patient", "reviewed_by"), pk=pk)
    plan = TreatmentPlan.objects.filter(policy=policy).prefetch_related("items__service").first()
    return render(request, "barter/policy_detail.html", {
        "policy": policy, "figures": services.figures(policy),
        "increases": policy.increases.select_related("added_by"),
        "increase_form": IncreaseForm(),
        "plan": plan, "item_form": PlanItemForm(), "approval_form": PlanApprovalForm(),
        "write_off": WriteOff.objects.filter(policy=policy).select_related("written_off_by").first(),
        "write_off_form": WriteOffForm(),
    })


def _policy_action(request, pk, action, done: str):
    """Run ``action(policy, form data)`` for a POST from the policy page; the message says how it went."""
    policy = get_object_or_404(Policy.objects.select_related("agreement"), pk=pk)
    try:
        action(policy)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("barter_policy", pk=policy.pk)


@require_POST
@clinic_view("barter.add_treatmentplan")
def plan_item_add(request, pk):
    form = PlanItemForm(request.POST)

    def add(policy):
        if not form.is_valid():
            raise DomainError(_("Choose a service from the price list."))
        services.add_plan_item(policy, service=form.cleaned_data["service"], quantity=form.cleaned_data["quantity"],
                               actor=request.user)

    return _policy_action(request, pk, add, _("Added to the treatment plan."))


@require_POST
@clinic_view("barter.approve_plan")
def plan_approve(request, pk):
    form = PlanApprovalForm(request.POST)

    def approve(policy):
        plan = TreatmentPlan.objects.filter(policy=policy).first()
        if plan is None or not form.is_valid():
            raise DomainError(_("Add at least one service to the plan."))
        services.approve_plan(plan, actor=request.user, new_limit=form.cleaned_data["new_limit"])

    return _policy_action(request, pk, approve, _("The treatment plan is approved."))


@require_POST
@clinic_view("barter.approve_extra")
def plan_extra(request, pk):
    form = PlanItemForm(request.POST)

    def extra(policy):
        plan = TreatmentPlan.objects.filter(policy=policy).first()
        if plan is None:
            raise DomainError(_("Marketing approves the plan first."))
        if not form.is_valid():
            raise DomainError(_("Choose a service from the price list."))
        services.approve_extra(plan, service=form.cleaned_data["service"], quantity=form.cleaned_data["quantity"],
                               actor=request.user)

    return _policy_action(request, pk, extra, _("Approved beyond the plan."))


@require_POST
@clinic_view("barter.add_writeoff")
def policy_write_off(request, pk):
    form = WriteOffForm(request.POST)

    def close(policy):
        services.write_off(policy, actor=request.user, note=form.data.get("note", ""))

    return _policy_action(request, pk, close, _("The barter treatment is written off and the policy closed."))


@require_POST
@clinic_view("barter.review_policy")
def policy_review(request, pk):
    policy = get_object_or_404(Policy, pk=pk)
    try:
        services.review_policy(policy, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Policy %(number)s reviewed: it can be charged now.") % {"number": policy.number})
    return redirect("barter_policy", pk=policy.pk)


@require_POST
@clinic_view("barter.increase_limit")
def policy_increase(request, pk):
    policy = get_object_or_404(Policy, pk=pk)
    form = IncreaseForm(request.POST)
    if form.is_valid():
        try:
            services.increase_limit(policy, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"],
                                    actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The limit was increased."))
    else:
        messages.error(request, _("Enter an amount and the reason."))
    return redirect("barter_policy", pk=policy.pk)


@clinic_view("barter.view_agreement")
def agreement_list(request):
    agreements = Agreement.objects.prefetch_related("categories", "services").order_by("name")
    return render(request, "barter/agreement_list.html", {"agreements": agreements})


def _agreement_form(request, agreement):
    initial = {}
    if agreement is not None:
        initial = {field: getattr(agreement, field) for field in ("kind", "name", "legal_details", "contact",
                                                                 "valid_from", "valid_until", "overspend")}
        initial.update(categories=agreement.categories.all(), services=agreement.services.all())
    form = AgreementForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_agreement(agreement, data=form.cleaned_data, actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Agreement “%(name)s” saved.") % {"name": saved.name})
            return redirect("barter_agreements")
    return render(request, "barter/agreement_form.html", {"form": form, "agreement": agreement},
                  status=422 if request.method == "POST" else 200)


@clinic_view("barter.add_agreement")
@upload_view("barter_document")
def agreement_create(request):
    return _agreement_form(request, None)


@clinic_view("barter.change_agreement")
@upload_view("barter_document")
def agreement_edit(request, pk):
    return _agreement_form(request, get_object_or_404(Agreement, pk=pk))


@clinic_view("barter.view_agreement")
def agreement_document(request, pk):
    """The signed agreement, only to those who may see agreements (not a public media URL)."""
    from django.http import Http404

    agreement = get_object_or_404(Agreement, pk=pk)
    if not agreement.document:
        raise Http404
    return file_response(agreement.document, "barter_document", download_name=f"agreement-{agreement.pk}")


@clinic_view("barter.view_policy")
def barter_report(request):
    """Per agreement and per patient: limit, increases, spent, remaining, and what was
    charged in a period (this month so far unless chosen)."""
    from billing.reports import revenue_period

    from .reports import barter_report as build
    from .reports import spent_against_limit

    error = ""
    try:
        first, last = revenue_period(request.GET)
    except DomainError as refused:
        error = refused.message
        first, last = revenue_period({})
    rows = build(first, last)
    agreements: dict = {}
    for row in rows:
        agreements.setdefault(row.policy.agreement, []).append(row)
    return render(request, "barter/report.html", {"agreements": agreements, "first": first, "last": last,
                                                  "error": error, "show": "report",
                                                  "bars": spent_against_limit(agreements)})


@clinic_view("barter.view_writeoff")
def write_off_document(request, pk):
    from io import BytesIO

    from django.http import FileResponse

    from .documents import write_off_pdf

    record = get_object_or_404(WriteOff.objects.select_related("policy__agreement", "policy__patient"), policy_id=pk)
    return FileResponse(BytesIO(write_off_pdf(record)), filename=f"write-off-{record.policy.number}.pdf",
                        content_type="application/pdf")
