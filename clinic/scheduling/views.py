"""Calendars, booking, the appointment's changes, the reception list, free-slot search."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.calendars import format_date as date_format
from clinic.calendars import parse_typed_date
from clinic.errors import DomainError
from clinic.models import Location
from clinic.patients.models import Flag
from clinic.patients.services import PatientData, PhoneInUse
from clinic.reliability.idempotency import idempotent

from . import extensions, services
from .availability import clinic_zone, next_free_slots
from .calendar import PIXELS_PER_MINUTE, day_grid, week_rows
from .extensions import NONE, annotate, annotate_objects
from .forms import BookingForm, CancelForm, FreeSlotForm, ReceptionFilterForm, RescheduleForm
from .models import Appointment, Status
from .states import DONE, TRANSITIONS, allowed_actions


def get_appointment_for(user, pk: int) -> Appointment:
    """An appointment of this clinic (the views' permissions say who may read it); any other id is a 404."""
    return get_object_or_404(
        Appointment.objects.select_related("patient", "practitioner", "location", "booked_by").prefetch_related(
            "services", "patient__flags"
        ),
        pk=pk,
    )


def _location_and_day(request):
    locations = list(Location.objects.filter(is_active=True))
    if not locations:
        return None, [], timezone.localdate()
    selected = next((loc for loc in locations if str(loc.pk) == request.GET.get("location")), locations[0])
    day = parse_typed_date(request.GET.get("date", ""))  # ISO, or Solar Hijri in such a clinic
    if day is None or not 1900 <= day.year <= 2999:
        day = timezone.localdate()
    return selected, locations, day


@clinic_view("scheduling.view_calendar")
def calendar_day(request):
    location, locations, day = _location_and_day(request)
    if location is None:
        return render(request, "scheduling/no_locations.html")
    grid = day_grid(location, day)
    context = {
        "grid": grid,
        "locations": locations,
        "location": location,
        "day": day,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "today": timezone.localdate(),
        "px": PIXELS_PER_MINUTE,
        "can_book": request.user.has_perm("scheduling.add_appointment"),
        # After a booking the keyboard lands on the new appointment.
        "focus_appointment": request.GET.get("focus", "") if request.GET.get("focus", "").isdigit() else "",
    }
    template = "scheduling/_day_grid.html" if request.htmx and request.GET.get("fragment") else "scheduling/day.html"
    return render(request, template, context)


@clinic_view("scheduling.view_calendar")
def calendar_week(request):
    location, locations, day = _location_and_day(request)
    if location is None:
        return render(request, "scheduling/no_locations.html")
    monday = day - timedelta(days=day.weekday())
    days, rows = week_rows(location, monday)
    return render(
        request,
        "scheduling/week.html",
        {
            "location": location, "locations": locations, "days": days, "rows": rows, "day": day,
            "previous": monday - timedelta(days=7), "next": monday + timedelta(days=7), "today": timezone.localdate(),
            "appointments_url": reverse("appointment_detail", args=[0]).removesuffix("0/"),
        },
    )


def _booking_context(form, **extra):
    return {"form": form, "flags": Flag.objects.all(), "patient_fragments": list(extensions.patient_fragments),
            **extra}


@clinic_view("scheduling.add_appointment")
@idempotent
def appointment_new(request):
    if request.method == "GET":
        initial = {
            "location": request.GET.get("location"),
            "practitioner": request.GET.get("practitioner"),
            "starts_at": request.GET.get("start"),
            "source": "phone",
        }
        form = BookingForm(initial=initial)
        try:
            starts = datetime.strptime(request.GET.get("start", ""), "%Y-%m-%dT%H:%M")
        except ValueError:
            starts = None
        from clinic.models import Practitioner

        def number(name):
            value = request.GET.get(name, "")
            return int(value) if value.isdigit() else 0

        practitioner = Practitioner.objects.filter(pk=number("practitioner")).first()
        location = Location.objects.filter(pk=number("location")).first()
        return render(
            request, "scheduling/_booking_dialog.html",
            _booking_context(form, starts=starts, practitioner=practitioner, location=location),
        )
    form = BookingForm(request.POST)
    owners = []
    if form.is_valid():
        data = form.cleaned_data
        new_patient = None
        if data["patient"] is None:
            new_patient = PatientData(
                first_name=data["first_name"], last_name=data["last_name"], phone=data["phone"],
                birth_date=data["birth_date"], source=data["source"],
            )
        try:
            appointment = services.book_appointment(
                actor=request.user,
                patient=data["patient"],
                new_patient=new_patient,
                phone_decision=data["phone_decision"],
                relation=data["relation"] or "other",
                location=data["location"],
                practitioner=data["practitioner"],
                starts_at=data["starts_at"],
                service_ids=[s.pk for s in data["services"]],
                note=data["note"],
                source=data["source"],
            )
        except PhoneInUse as in_use:
            owners = in_use.owners
            form.add_error("phone", in_use.message)
        except services.SlotTaken as taken:
            # The calendar is drawn again with the slot now taken.
            messages.error(request, taken.message)
            return _redirect_to_day(request, data["location"].pk, data["starts_at"])
        except DomainError as error:
            visible = {"services", "first_name", "phone", "relation", "source"}
            form.add_error(error.field if error.field in visible else None, error.message)
        else:
            messages.success(
                request,
                _("Booked %(patient)s with %(practitioner)s at %(time)s.")
                % {
                    "patient": appointment.patient.full_name,
                    "practitioner": appointment.practitioner.full_name,
                    "time": date_format(appointment.starts_at.astimezone(clinic_zone()), "SHORT_DATETIME_FORMAT"),
                },
            )
            return _redirect_to_day(request, appointment.location_id, appointment.starts_at, focus=appointment.pk)
    # The shared-phone question is a question, not a refusal: it comes back as 200 (a 422
    # shows in the browser's console as a failed request).
    refused = request.htmx and not (owners and set(form.errors) == {"phone"})
    return render(request, "scheduling/_booking_dialog.html", _booking_context(form, owners=owners),
                  status=422 if refused else 200)


def _redirect_to_day(request, location_id, moment, *, focus=None):
    url = reverse("calendar_day") + f"?location={location_id}&date={moment.astimezone(clinic_zone()).date().isoformat()}"
    if focus is not None:
        url += f"&focus={focus}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@clinic_view("scheduling.view_appointment")
def appointment_detail(request, pk):
    appointment = get_appointment_for(request.user, pk)
    actions = [(action, TRANSITIONS[action][2]) for action in allowed_actions(appointment.status) if action not in {"cancel", "reschedule"}]
    local_start = appointment.starts_at.astimezone(clinic_zone())
    from django.core.exceptions import ObjectDoesNotExist

    try:
        visit = appointment.visit  # billing's visit opened from this appointment
    except ObjectDoesNotExist:
        visit = None
    context = {
        "appointment": appointment,
        "annotation": annotate([appointment.pk]).get(appointment.pk, NONE),
        "panel_top": list(extensions.panel_top),
        "panel_details": list(extensions.panel_details),
        "visit": visit,
        "may_open_visit": visit is None and appointment.status in {Status.ARRIVED, Status.IN_TREATMENT,
                                                                   Status.COMPLETED},
        "actions": actions,
        "can_change": request.user.has_perm("scheduling.change_appointment"),
        "can_cancel": "cancel" in allowed_actions(appointment.status),
        "can_reschedule": "reschedule" in allowed_actions(appointment.status),
        "cancel_form": CancelForm(),
        "reschedule_form": RescheduleForm(
            initial={"day": local_start.date(), "time": local_start.time(), "practitioner": appointment.practitioner,
                     "location": appointment.location}
        ),
    }
    template = "scheduling/_appointment_panel.html" if request.htmx else "scheduling/appointment_detail.html"
    return render(request, template, context)


@require_POST
@clinic_view("scheduling.change_appointment")
def appointment_action(request, pk, action):
    appointment = get_appointment_for(request.user, pk)
    reason = request.POST.get("reason", "")
    try:
        services.change_status(appointment, action, actor=request.user, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, DONE[action])
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("appointment_detail", args=[pk])
    return redirect(next_url)


@require_POST
@clinic_view("scheduling.change_appointment")
def appointment_reschedule(request, pk):
    appointment = get_appointment_for(request.user, pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a date, a time, a practitioner and a location."))
        return redirect("appointment_detail", pk=pk)
    try:
        moved = services.reschedule_appointment(
            appointment, actor=request.user, starts_at=form.starts_at(),
            practitioner=form.cleaned_data["practitioner"], location=form.cleaned_data["location"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("appointment_detail", pk=pk)
    messages.success(request, DONE["reschedule"])
    return _redirect_to_day(request, moved.location_id, moved.starts_at)


@clinic_view("scheduling.view_appointment")
def reception(request):
    location, locations, day = _location_and_day(request)
    filters = ReceptionFilterForm(request.GET or None)
    appointments = Appointment.objects.none()
    if location is not None:
        zone = clinic_zone()
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        appointments = (
            Appointment.objects.filter(location=location, starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
            .select_related("patient", "practitioner")
            .prefetch_related("services", "patient__flags")
            .order_by("starts_at", "practitioner__full_name")
        )
        if filters.is_valid():
            if filters.cleaned_data["status"]:
                appointments = appointments.filter(status=filters.cleaned_data["status"])
            if filters.cleaned_data["practitioner"]:
                appointments = appointments.filter(practitioner=filters.cleaned_data["practitioner"])
            if filters.cleaned_data["source"]:
                appointments = appointments.filter(source=filters.cleaned_data["source"])
    now = timezone.now()
    desk_actions = {"arrive", "revert_arrival", "no_show", "start", "complete"}
    rows = [
        (a, [(act, TRANSITIONS[act][2]) for act in allowed_actions(a.status)
             if act in desk_actions and not (act == "no_show" and a.starts_at > now)])
        for a in annotate_objects(appointments)
    ]
    return render(
        request,
        "scheduling/reception.html",
        {"rows": rows, "location": location, "locations": locations, "day": day, "filters": filters,
         "can_change": request.user.has_perm("scheduling.change_appointment")},
    )


@clinic_view("scheduling.view_calendar")
def free_slots(request):
    form = FreeSlotForm(request.GET or None)
    slots = []
    if form.is_valid():
        data = form.cleaned_data
        slots = next_free_slots(
            duration=timedelta(minutes=data["service"].duration_minutes),
            start=timezone.now(),
            location_id=data["location"].pk if data["location"] else None,
            practitioner_id=data["practitioner"].pk if data["practitioner"] else None,
        )
    locations = {loc.pk: loc for loc in Location.objects.all()}
    rows = [(slot, locations.get(slot.location_id)) for slot in slots]
    return render(request, "scheduling/free_slots.html", {"form": form, "rows": rows,
                                                           "can_book": request.user.has_perm("scheduling.add_appointment")})


def patient_appointments(patient) -> dict:
    """The patient page's appointments (registered with ``clinic.patients.extensions``): upcoming
    (soonest first) and the last 50 past ones."""
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("practitioner", "location")
        .prefetch_related("services")
        .order_by("-starts_at")
    )
    now = timezone.now()
    return {"upcoming": [a for a in appointments if a.starts_at >= now][::-1],
            "past": [a for a in appointments if a.starts_at < now][:50]}
