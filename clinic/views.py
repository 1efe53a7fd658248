"""Clinic master-data screens: thin views over clinic.services."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.errors import DomainError

from . import services
from .accounts.access import clinic_view
from .forms import (
    AbsenceForm,
    BreakFormSet,
    ClinicSettingsForm,
    HoursFormSet,
    LocationForm,
    PractitionerForm,
    PriceListImportForm,
    ServiceFilterForm,
    ServiceForm,
)
from .models import Absence, ClinicProfile, Location, OpeningHours, Practitioner, Service, WorkingHours
from .pricelist import SHOWN_ERRORS, PriceListRejected, import_price_list
from .uploads import upload_view


def _form_error(form, error: DomainError):
    if error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
    else:
        form.add_error(None, error.message)


@clinic_view()
def home(request):
    """Today at a glance: which locations are open and who works where."""
    today = timezone.localdate()
    weekday = today.weekday()
    locations = Location.objects.filter(is_active=True).prefetch_related(
        Prefetch("opening_hours", to_attr="today_hours", queryset=OpeningHours.objects.filter(weekday=weekday))
    )
    shifts = (
        WorkingHours.objects.filter(weekday=weekday, practitioner__is_active=True)
        .exclude(practitioner__in=Absence.objects.filter(starts_on__lte=today, ends_on__gte=today).values("practitioner_id"))
        .select_related("practitioner", "location")
        .order_by("location__name", "starts")
    )
    absent = Practitioner.objects.filter(absences__starts_on__lte=today, absences__ends_on__gte=today).distinct()
    return render(
        request,
        "clinic/home.html",
        {"today": today, "locations": locations, "shifts": shifts, "absent": absent},
    )


# --- settings ----------------------------------------------------------------


@clinic_view("clinic.change_clinic_settings")
def settings_edit(request):
    clinic = connection.tenant
    profile = ClinicProfile.load()
    initial = {
        "name": clinic.name,
        "time_zone": clinic.time_zone,
        "default_language": clinic.default_language,
        "calendar": clinic.calendar,
        "legal_name": profile.legal_name,
        "address": profile.address,
        "phone": profile.phone,
        "email": profile.email,
        "tax_number": profile.tax_number,
        "two_factor_for_managers": profile.two_factor_for_managers,
    }
    form = ClinicSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_clinic_settings(
            actor=request.user,
            name=data["name"],
            time_zone=data["time_zone"],
            default_language=data["default_language"],
            calendar=data["calendar"] or None,
            profile={key: data[key] for key in ("legal_name", "address", "phone", "email", "tax_number",
                                                "two_factor_for_managers")},
        )
        messages.success(request, _("Settings saved."))
        return redirect("settings")
    return render(request, "clinic/settings.html", {"form": form, "clinic": clinic, "profile": profile})


# --- locations -------------------------------------------------------------------


@clinic_view("clinic.view_location")
def location_list(request):
    locations = Location.objects.prefetch_related("opening_hours").annotate(
        practitioner_count=Count("working_hours__practitioner", distinct=True)
    )
    return render(request, "clinic/location_list.html", {"locations": locations})


def _location_initial(location: Location) -> dict:
    initial = {
        "name": location.name,
        "address": location.address,
        "phone": location.phone,
        "is_active": location.is_active,
    }
    for row in location.opening_hours.all():
        initial[f"opens_{row.weekday}"] = row.opens
        initial[f"closes_{row.weekday}"] = row.closes
    return initial


def _location_form(request, location):
    initial = _location_initial(location) if location else {"is_active": True}
    form = LocationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_location(
                location, actor=request.user, data=form.cleaned_data, opening_hours=form.opening_hours()
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Location “%(name)s” saved.") % {"name": saved.name})
            return redirect("location_list")
    return render(request, "clinic/location_form.html", {"form": form, "location": location})


@clinic_view("clinic.add_location")
def location_create(request):
    return _location_form(request, None)


@clinic_view("clinic.change_location")
def location_edit(request, pk):
    return _location_form(request, get_object_or_404(Location, pk=pk))


# --- practitioners ---------------------------------------------------------------


@clinic_view("clinic.view_practitioner")
def practitioner_list(request):
    practitioners = Practitioner.objects.select_related("user").prefetch_related(
        "specialities", Prefetch("working_hours", queryset=WorkingHours.objects.select_related("location"))
    )
    return render(request, "clinic/practitioner_list.html", {"practitioners": practitioners})


@clinic_view("clinic.view_practitioner")
def practitioner_detail(request, pk):
    practitioner = get_object_or_404(
        Practitioner.objects.select_related("user").prefetch_related("specialities"), pk=pk
    )
    hours = practitioner.working_hours.select_related("location")
    return render(
        request,
        "clinic/practitioner_detail.html",
        {
            "practitioner": practitioner,
            "hours": hours,
            "breaks": practitioner.breaks.all(),
            "absences": practitioner.absences.all(),
            "absence_form": AbsenceForm(),
        },
    )


def _practitioner_form(request, practitioner):
    initial = {"is_active": True, "colour": "#4f7cac"}
    if practitioner:
        initial = {
            "full_name": practitioner.full_name,
            "user": practitioner.user,
            "specialities": ", ".join(s.name for s in practitioner.specialities.all()),
            "colour": practitioner.colour,
            "is_active": practitioner.is_active,
        }
    form = PractitionerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_practitioner(practitioner, actor=request.user, data=form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Practitioner “%(name)s” saved.") % {"name": saved.full_name})
            return redirect("practitioner_detail", pk=saved.pk)
    return render(request, "clinic/practitioner_form.html", {"form": form, "practitioner": practitioner})


@clinic_view("clinic.add_practitioner")
def practitioner_create(request):
    return _practitioner_form(request, None)


@clinic_view("clinic.change_practitioner")
def practitioner_edit(request, pk):
    return _practitioner_form(request, get_object_or_404(Practitioner, pk=pk))


def _rows_from(formset, with_location=True):
    rows = []
    for form in formset:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append(
            services.HoursRow(
                weekday=data["weekday"],
                starts=data["starts"],
                ends=data["ends"],
                location=data.get("location") if with_location else None,
            )
        )
    return rows


@clinic_view("clinic.change_practitioner")
def practitioner_hours(request, pk):
    practitioner = get_object_or_404(Practitioner, pk=pk)
    initial = [
        {"weekday": row.weekday, "location": row.location, "starts": row.starts, "ends": row.ends}
        for row in practitioner.working_hours.select_related("location")
    ]
    formset = HoursFormSet(request.POST or None, initial=initial, prefix="hours")
    error = None
    if request.method == "POST" and formset.is_valid():
        try:
            services.set_working_hours(practitioner, actor=request.user, rows=_rows_from(formset))
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Working hours saved."))
            return redirect("practitioner_detail", pk=practitioner.pk)
    return render(
        request,
        "clinic/practitioner_hours.html",
        {"practitioner": practitioner, "formset": formset, "error": error, "title": _("Working hours")},
    )


@clinic_view("clinic.change_practitioner")
def practitioner_breaks(request, pk):
    practitioner = get_object_or_404(Practitioner, pk=pk)
    initial = [{"weekday": row.weekday, "starts": row.starts, "ends": row.ends} for row in practitioner.breaks.all()]
    formset = BreakFormSet(request.POST or None, initial=initial, prefix="breaks")
    error = None
    if request.method == "POST" and formset.is_valid():
        try:
            services.set_breaks(practitioner, actor=request.user, rows=_rows_from(formset, with_location=False))
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Breaks saved."))
            return redirect("practitioner_detail", pk=practitioner.pk)
    return render(
        request,
        "clinic/practitioner_hours.html",
        {"practitioner": practitioner, "formset": formset, "error": error, "title": _("Breaks")},
    )


@require_POST
@clinic_view("clinic.change_practitioner")
def absence_add(request, pk):
    practitioner = get_object_or_404(Practitioner, pk=pk)
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            services.add_absence(practitioner, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Absence recorded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("practitioner_detail", pk=practitioner.pk)


@require_POST
@clinic_view("clinic.change_practitioner")
def absence_remove(request, pk):
    absence = get_object_or_404(Absence, pk=pk)
    services.remove_absence(absence, actor=request.user)
    messages.success(request, _("Absence removed."))
    return redirect("practitioner_detail", pk=absence.practitioner_id)


# --- services (price list) -------------------------------------------------------


@clinic_view("clinic.view_service")
def service_list(request):
    filters = ServiceFilterForm(request.GET or None)
    services_qs = Service.objects.select_related("category")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["q"]:
            services_qs = services_qs.filter(Q(code__icontains=data["q"]) | Q(name__icontains=data["q"]))
        if data["category"]:
            services_qs = services_qs.filter(category=data["category"])
        if data["status"] == "active":
            services_qs = services_qs.filter(is_active=True)
        elif data["status"] == "inactive":
            services_qs = services_qs.filter(is_active=False)
    page = Paginator(services_qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    template = "clinic/_service_rows.html" if request.htmx else "clinic/service_list.html"
    return render(request, template, context)


def _service_form(request, service):
    initial = {"is_active": True, "vat_rate": "0"}
    if service:
        initial = {
            "code": service.code,
            "name": service.name,
            "category": service.category,
            "duration_minutes": service.duration_minutes,
            "price": service.price,
            "vat_rate": service.vat_rate,
            "is_active": service.is_active,
        }
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_service(service, actor=request.user, data=form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Service “%(name)s” saved.") % {"name": saved.name})
            return redirect("service_list")
    return render(request, "clinic/service_form.html", {"form": form, "service": service})


@clinic_view("clinic.add_service")
def service_create(request):
    return _service_form(request, None)


@clinic_view("clinic.change_service")
def service_edit(request, pk):
    return _service_form(request, get_object_or_404(Service, pk=pk))


@clinic_view("clinic.import_services")
@upload_view("price_list")
def service_import(request):
    form = PriceListImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]  # a CheckedUpload: its kind is from the content
        try:
            result = import_price_list(f"upload.{upload.extension}", upload.content, actor=request.user)
        except PriceListRejected as rejected:
            errors = rejected.errors
        else:
            messages.success(
                request,
                _("Price list imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
            return redirect("service_list")
    return render(request, "clinic/service_import.html", {
        "form": form, "errors": errors[:SHOWN_ERRORS], "error_count": len(errors),
        "more_errors": max(len(errors) - SHOWN_ERRORS, 0)})


# --- audit trail -----------------------------------------------------------------

@clinic_view("clinic.view_audit_trail")
def audit_trail(request, model, pk):
    from auditlog.models import LogEntry

    from .audit import TRAILS, changes_shown

    if model not in TRAILS:
        raise Http404
    model_class, related = TRAILS[model].model, TRAILS[model].related
    obj = get_object_or_404(model_class, pk=pk)
    query = Q(content_type=ContentType.objects.get_for_model(model_class), object_pk=str(obj.pk))
    for related_model, key in related:
        query |= Q(content_type=ContentType.objects.get_for_model(related_model), **{f"additional_data__{key}": obj.pk})
    entries = LogEntry.objects.filter(query).select_related("actor", "content_type")
    page = Paginator(entries.order_by("-timestamp"), 50).get_page(request.GET.get("page"))
    rows = []
    for entry in page:
        entry_model = entry.content_type.model_class()
        rows.append(
            {
                "entry": entry,
                "what": entry_model._meta.verbose_name if entry_model else entry.content_type.model,
                "related": entry_model is not model_class,
                "changes": changes_shown(entry, entry_model),
            }
        )
    return render(request, "clinic/audit_trail.html", {"object": obj, "page": page, "rows": rows})
