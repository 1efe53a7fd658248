from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError

from . import services
from .forms import FlagForm, PatientForm, PhoneDecisionForm
from .models import Patient


def get_patient_for(user, pk: int) -> Patient:
    """A patient of this clinic (its schema; the views' permissions say who may read it); any other
    id is a 404."""
    return get_object_or_404(Patient.objects.prefetch_related("flags"), pk=pk)


class SearchPage:
    """A page of search results without counting them all: one row more tells if there is a next page."""

    def __init__(self, queryset, number: int, size: int = 50):
        self.number = max(number, 1)
        rows = list(queryset[(self.number - 1) * size:self.number * size + 1])
        self.object_list = rows[:size]
        self.has_next_page = len(rows) > size

    def __iter__(self):
        return iter(self.object_list)

    def has_next(self):
        return self.has_next_page

    def has_previous(self):
        return self.number > 1

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


LISTED_FIELDS = ("id", "number", "first_name", "last_name", "birth_date", "phone", "source")


@clinic_view("patients.view_patient")
def patient_list(request):
    query = request.GET.get("q", "").strip()
    try:
        number = min(int(request.GET.get("page", "1")), 10_000)
    except ValueError:
        number = 1
    if query:
        patients = services.search_patients(query).only(*LISTED_FIELDS).order_by("last_name", "first_name", "number")
    else:
        patients = Patient.objects.only(*LISTED_FIELDS).prefetch_related("flags").order_by("-created", "-number")
    page = SearchPage(patients, number)
    context = {"page": page, "query": query, "query_string": urlencode({"q": query})}
    template = "patients/_patient_rows.html" if request.htmx else "patients/patient_list.html"
    return render(request, template, context)


@clinic_view("patients.view_patient")
def patient_pick(request):
    """Search results to pick a patient in the booking dialog (an htmx fragment)."""
    query = request.GET.get("patient_query", "").strip()
    patients = services.search_patients(query)[:10] if len(query) >= 2 else []
    return render(request, "patients/_patient_pick.html", {"patients": patients, "query": query})


@clinic_view("patients.add_patient")
def patient_create(request):
    form = PatientForm(request.POST or None)
    decision = None
    owners = []
    if request.method == "POST" and form.is_valid():
        decision = PhoneDecisionForm(request.POST) if "phone_decision" in request.POST else None
        choice = decision.cleaned_data if decision is not None and decision.is_valid() else {}
        try:
            patient = services.register_patient(
                form.patient_data(),
                actor=request.user,
                phone_decision=choice.get("phone_decision", ""),
                relation=choice.get("relation", "other"),
            )
        except services.PhoneInUse as in_use:
            owners = in_use.owners
            decision = decision or PhoneDecisionForm()
        except DomainError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                form.add_error(None, error.message)
                owners = services.phone_owners(form.cleaned_data["phone"])
        else:
            messages.success(request, _("Patient %(name)s registered as no. %(number)s.") % {
                "name": patient.full_name, "number": patient.number})
            return redirect("patient_detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "decision": decision, "owners": owners})


@clinic_view("patients.view_patient")
def patient_detail(request, pk):
    from .extensions import page_fragments, patient_page

    patient = get_patient_for(request.user, pk)
    sharers = Patient.objects.filter(phone=patient.phone).exclude(pk=patient.pk) if patient.phone else []
    context = {"patient": patient, "sharers": sharers, "flag_form": FlagForm(), "page_fragments": list(page_fragments)}
    for provider in patient_page:  # what other apps show on the page (scheduling: the appointments)
        context.update(provider(patient))
    return render(request, "patients/patient_detail.html", context)


@clinic_view("patients.change_patient")
def patient_edit(request, pk):
    patient = get_patient_for(request.user, pk)
    initial = {field: getattr(patient, field) for field in PatientForm.base_fields}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_patient(patient, form.patient_data(), actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Saved."))
            return redirect("patient_detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@require_POST
@clinic_view("patients.change_patient")
def patient_flag(request, pk):
    patient = get_patient_for(request.user, pk)
    form = FlagForm(request.POST)
    if form.is_valid():
        if request.POST.get("remove"):
            services.remove_flag(patient, form.cleaned_data["flag"], actor=request.user)
        else:
            services.set_flag(patient, form.cleaned_data["flag"], actor=request.user)
    else:
        messages.error(request, _("Choose a flag."))
    return redirect("patient_detail", pk=patient.pk)

