"""The portal's booking: the calendars with free slots, booking a slot for a patient, the
company's bookings (moving and cancelling them).

Clinic data is read only inside ``tenant_context(clinic)`` for a clinic the member's company is
linked to now (any other slug is a 404). Pages render afterwards, on the public host, from plain
values read there: no queryset or lazy relation may reach a template (it would run in the public
schema). Times are handed to templates as the clinic's local (naive) times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from clinic.calendars import format_date as date_format
from clinic.errors import DomainError
from clinic.models import Location, Practitioner
from clinic.patients.models import Patient
from clinic.patients.services import PatientData
from clinic.reliability.idempotency import idempotent
from clinic.scheduling.availability import clinic_zone
from clinic.scheduling.services import SlotTaken
from clinic.scheduling.states import allowed_actions
from clinic.templatetags.ui import money
from partners.models import PartnerBooking
from partners.portal_calendar import PORTAL_SLOT_MINUTES, monday_of, week_grid
from partners.services import (
    NO_PATIENT_ACCESS,
    SEARCH_MIN_CHARS,
    active_clinics,
    book_for_partner,
    bookings_for,
    cancel_booking_for_partner,
    get_booking_for,
    linked_clinic,
    move_booking,
    partner_search_words,
    partnership_for,
    search_patients_for_partner,
)

from .booking_forms import (
    CalendarFilterForm,
    CancelBookingForm,
    MoveBookingForm,
    PartnerBookingForm,
    parse_start,
)
from .views import portal_view

BOOKINGS_PER_PAGE = 50
# The session remembers, per clinic, the patients the user's (logged) searches showed: only
# those can be booked, so an id typed into the form names no other patient, unlogged.
FOUND_PATIENTS = "portal_found_patients"
FOUND_PATIENTS_KEPT = 50
# Errors of the booking form shown next to a visible field; the rest go above the form.
VISIBLE_FIELDS = {"services", "first_name", "last_name", "phone", "birth_date", "note"}


def _member(request):
    member = request.partner_membership
    # The company and the user are public rows: read them now, in the public schema (inside a
    # clinic's schema the same ids would name the clinic's own rows).
    if member.organisation is None or member.user is None:
        raise PermissionDenied
    return member


def _booker(request):
    member = _member(request)
    if not member.can_book:
        raise PermissionDenied
    return member


def _clinic_or_404(member, slug: str | None):
    clinic = linked_clinic(member.organisation, slug or "")
    if clinic is None:
        raise Http404
    return clinic


def _booking_or_404(member, pk) -> PartnerBooking:
    try:
        return get_booking_for(member, pk)
    except PartnerBooking.DoesNotExist:
        raise Http404 from None


def _local(moment: datetime, zone) -> datetime:
    """The clinic's wall-clock time, naive: templates show it as it is, whatever zone is active."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _services(partnership, currency: str) -> tuple[list[tuple[int, str]], dict[int, int]]:
    """The services the partner may book here (the traffic channels): choices with their price,
    and their minutes."""
    rows = list(partnership.services.filter(is_active=True).order_by("name")
                .values_list("pk", "name", "duration_minutes", "price"))
    choices = [(pk, f"{name} · {_('%(minutes)s min') % {'minutes': minutes}} · {money(price, currency)}")
               for pk, name, minutes, price in rows]
    return choices, {pk: minutes for pk, _name, minutes, _price in rows}


def _htmx_redirect(request, url: str):
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- the calendars ------------------------------------------------------------------------


@portal_view
def book(request):
    """Filters (clinic, location, practitioner, service, week) and, once shown, a week grid per
    practitioner: free slots open the booking dialog; with ``move=<booking id>`` they move that
    booking instead. A user who may not book sees the same calendars, without the links."""
    member = _member(request)  # users without the booking permission see the calendars
    if request.GET.get("move") and not member.can_book:
        raise PermissionDenied
    clinics = active_clinics(member.organisation)
    context = {"clinics": clinics, "weeks": None, "form": None, "can_book": member.can_book}
    if clinics:
        slug = request.GET.get("clinic") or clinics[0].slug
        selected = next((c for c in clinics if c.slug == slug), None)
        if selected is None:
            raise Http404
        with tenant_context(selected):
            context.update(_calendar(request, member, selected, clinics))
    return render(request, "portal/book.html", context)


def _calendar(request, member, selected, clinics) -> dict:
    zone = clinic_zone()
    context = {"selected_clinic": selected}
    clinic_choices = [(c.slug, c.name) for c in clinics]
    try:
        partnership = partnership_for(member)
    except DomainError as error:
        context["refusal"] = error.message
        context["form"] = CalendarFilterForm({"clinic": selected.slug}, clinics=clinic_choices)
        return context
    moving = None
    move_id = request.GET.get("move", "")
    if move_id:
        moving = _booking_or_404(member, int(move_id) if move_id.isdigit() else 0)
    locations = list(partnership.locations.filter(is_active=True).order_by("name").values_list("pk", "name"))
    data = request.GET.copy()
    data["clinic"] = selected.slug
    if moving is not None:
        data["location"] = str(moving.appointment.location_id)
        data.pop("service", None)
    if not data.get("location") and locations:
        data["location"] = str(locations[0][0])
    if not data.get("week"):
        data["week"] = monday_of(timezone.now().astimezone(zone).date()).isoformat()
    location_id = int(data["location"]) if data.get("location", "").isdigit() else 0
    if location_id not in dict(locations):
        location_id = 0  # not the partner's: its practitioners are not shown either
    practitioners = list(
        Practitioner.objects.filter(is_active=True, working_hours__location_id=location_id)
        .distinct().order_by("full_name").values_list("pk", "full_name")
    )
    services, minutes_of = _services(partnership, selected.currency)
    form = CalendarFilterForm(data, clinics=clinic_choices, locations=locations, practitioners=practitioners,
                              services=services)
    context.update(form=form, locations=locations, moving=moving)
    if moving is not None:
        appointment = moving.appointment
        context["moving_view"] = {
            "code": moving.code, "starts": _local(appointment.starts_at, zone),
            "practitioner": appointment.practitioner.full_name, "location": appointment.location.name,
            "url": reverse("portal_booking", args=[selected.slug, moving.pk]),
            "post_url": reverse("portal_booking_move", args=[selected.slug, moving.pk]),
        }
        if "reschedule" not in allowed_actions(appointment.status) or moving.cancelled_at is not None:
            context["refusal"] = _("This booking can no longer be moved.")
            return context
    if not locations:
        context["refusal"] = _("The clinic has not opened any location to your company yet.")
        return context
    if "clinic" not in request.GET or not form.is_valid():
        return context
    filters = form.cleaned_data
    monday = monday_of(filters["week"])
    minutes, ignore, current = None, None, None
    if moving is not None:
        appointment = moving.appointment
        minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        ignore = appointment.pk
        current = (appointment.practitioner_id, f"{_local(appointment.starts_at, zone):%Y-%m-%dT%H:%M}")
    elif filters["service"]:
        minutes = minutes_of[filters["service"]]
    slot_params = {"clinic": selected.slug, "location": filters["location"]}
    if filters["service"]:
        slot_params["service"] = filters["service"]
    location = Location(pk=filters["location"], name=dict(locations)[filters["location"]])
    weeks = week_grid(
        location, monday,
        practitioner_ids=[filters["practitioner"]] if filters["practitioner"] else None,
        minutes=minutes, ignore_appointment=ignore, current=current,
        slot_url=f"{reverse('portal_booking_new')}?{urlencode(slot_params)}" if moving is None else "",
    )

    def week_url(week):
        params = {"clinic": selected.slug, "location": filters["location"], "week": week.isoformat()}
        for name in ("practitioner", "service", "move"):
            if filters.get(name):
                params[name] = filters[name]
        return f"{reverse('portal_book')}?{urlencode(params)}"

    today = timezone.now().astimezone(zone).date()
    context.update(
        weeks=weeks, monday=monday, sunday=monday + timedelta(days=6), location_name=location.name,
        previous_url=week_url(monday - timedelta(days=7)), next_url=week_url(monday + timedelta(days=7)),
        this_week_url=week_url(monday_of(today)), today=today, slot_minutes=PORTAL_SLOT_MINUTES,
        service_minutes=minutes,
    )
    return context


# --- booking a slot -----------------------------------------------------------------------


@portal_view
@idempotent
def booking_new(request):
    """The booking dialog for a free slot (GET), and the booking (POST)."""
    member = _booker(request)
    source = request.POST if request.method == "POST" else request.GET
    selected = _clinic_or_404(member, source.get("clinic"))
    found = _found_patients(request, selected)  # the session is read in the public schema
    with tenant_context(selected):
        context, booking = _booking(request, member, selected, found)
    if booking is not None:
        messages.success(request, _("Booked. Your reference is %(reference)s.") % {"reference": booking.code})
        return _htmx_redirect(request, reverse("portal_booking", args=[selected.slug, booking.pk]))
    template = "portal/_booking_dialog.html" if request.htmx else "portal/booking_form.html"
    # A refused booking is a 422 (htmx swaps it into the dialog all the same).
    return render(request, template, context, status=422 if request.method == "POST" else 200)


def _number(value) -> int:
    value = str(value or "")
    return int(value) if value.isdigit() else 0


def _found_patients(request, clinic) -> set[int]:
    return set(request.session.get(FOUND_PATIENTS, {}).get(clinic.slug, []))


def _remember_found(request, clinic, found: list[dict]) -> None:
    if not found:
        return
    remembered = request.session.get(FOUND_PATIENTS, {})
    ids = [patient["id"] for patient in found]
    kept = [pk for pk in remembered.get(clinic.slug, []) if pk not in ids] + ids
    remembered[clinic.slug] = kept[-FOUND_PATIENTS_KEPT:]
    request.session[FOUND_PATIENTS] = remembered


def _booking(request, member, selected, found: set[int]):
    zone = clinic_zone()
    context = {"selected_clinic": selected, "in_dialog": bool(request.htmx)}
    try:
        partnership = partnership_for(member)
    except DomainError as error:
        context["refusal"] = error.message
        return context, None
    services, _minutes = _services(partnership, selected.currency)
    context["patient_search"] = partnership.patient_data_access
    if request.method == "GET":
        location = partnership.locations.filter(pk=_number(request.GET.get("location")), is_active=True).first()
        practitioner = None
        if location is not None:
            practitioner = Practitioner.objects.filter(pk=_number(request.GET.get("practitioner")), is_active=True,
                                                       working_hours__location=location).first()
        starts = parse_start(request.GET.get("start", ""), zone)
        if practitioner is None or starts is None:
            raise Http404
        service = _number(request.GET.get("service"))
        form = PartnerBookingForm(
            initial={"clinic": selected.slug, "location": location.pk, "practitioner": practitioner.pk,
                     "starts_at": request.GET["start"], "services": [service] if service else []},
            services=services, zone=zone)
        context.update(form=form, slot=_slot(location, practitioner, starts, zone))
        return context, None
    form = PartnerBookingForm(request.POST, services=services, zone=zone)
    location = Location.objects.filter(pk=_number(request.POST.get("location"))).first()
    practitioner = Practitioner.objects.filter(pk=_number(request.POST.get("practitioner"))).first()
    starts = parse_start(request.POST.get("starts_at", ""), zone)
    context.update(form=form, slot=_slot(location, practitioner, starts, zone))
    if not form.is_valid():
        return context, None
    if location is None or practitioner is None:
        form.add_error(None, _("Choose a free slot in the calendar."))
        return context, None
    data = form.cleaned_data
    patient, new_patient = None, None
    if data["patient"]:
        if not partnership.patient_data_access:
            form.add_error(None, str(NO_PATIENT_ACCESS))
            return context, None
        patient = Patient.objects.filter(pk=data["patient"]).first() if data["patient"] in found else None
        if patient is None:
            form.add_error(None, _("Choose a patient from the search results."))
            return context, None
        if partnership.patient_data_access:
            # Shown again, picked, if the booking is refused: name and birth year, as the search shows it.
            context["picked"] = {"id": patient.pk, "name": patient.full_name,
                                 "birth_year": patient.birth_date.year if patient.birth_date else None}
    else:
        new_patient = PatientData(first_name=data["first_name"].strip(), last_name=data["last_name"].strip(),
                                  phone=data["phone"], birth_date=data["birth_date"])
    try:
        booking = book_for_partner(
            member, location=location, practitioner=practitioner, starts_at=data["starts_at"],
            service_ids=data["services"], patient=patient, new_patient=new_patient, note=data["note"])
    except SlotTaken as taken:
        form.add_error(None, taken.message)
        params = {"clinic": selected.slug, "location": location.pk,
                  "week": monday_of(data["starts_at"].astimezone(zone).date()).isoformat()}
        context["calendar_url"] = f"{reverse('portal_book')}?{urlencode(params)}"
        return context, None
    except DomainError as error:
        form.add_error(error.field if error.field in VISIBLE_FIELDS else None, error.message)
        return context, None
    return context, booking


def _slot(location, practitioner, starts, zone) -> dict | None:
    if location is None or practitioner is None or starts is None:
        return None
    return {"location": location.name, "practitioner": practitioner.full_name, "starts": _local(starts, zone)}


@portal_view
def patient_search(request):
    """The clinic's earlier patients while booking (htmx): only with access to patient data,
    at least 3 characters, at most 10, name and birth year; every search is logged."""
    member = _booker(request)
    selected = _clinic_or_404(member, request.GET.get("clinic"))
    query = request.GET.get("q", "").strip()
    too_short = partner_search_words(query) is None
    found, refused = [], ""
    if len(query) >= SEARCH_MIN_CHARS:  # run and logged, also when no word is long enough
        try:
            with tenant_context(selected):
                found = search_patients_for_partner(member, query)
        except DomainError as error:
            refused = error.message
    _remember_found(request, selected, found)
    return render(request, "portal/_patient_results.html",
                  {"patients": found, "query": query, "too_short": too_short, "refused": refused},
                  )  # 200 even when refused: htmx swaps only a 2xx, and the message must show


# --- the company's bookings ---------------------------------------------------------------


@dataclass
class BookingRow:
    clinic_slug: str
    clinic_name: str
    pk: int
    code: str
    starts: datetime  # the clinic's local time
    ends: datetime
    location: str
    practitioner: str
    services: str
    patient: str
    status: str
    status_label: str
    booked_by: str
    cancelled: bool
    url: str


def _row(selected, booking: PartnerBooking, zone) -> BookingRow:
    appointment = booking.appointment
    return BookingRow(
        clinic_slug=selected.slug, clinic_name=selected.name, pk=booking.pk, code=booking.code,
        starts=_local(appointment.starts_at, zone), ends=_local(appointment.ends_at, zone),
        location=appointment.location.name, practitioner=appointment.practitioner.full_name,
        services=", ".join(s.name for s in appointment.services.all()), patient=appointment.patient.full_name,
        status=appointment.status, status_label=str(appointment.get_status_display()),
        booked_by=booking.booked_by_name, cancelled=booking.cancelled_at is not None,
        url=reverse("portal_booking", args=[selected.slug, booking.pk]),
    )


@portal_view
def booking_list(request):
    """The company's bookings (all its users'), at the clinics it is linked to now; upcoming
    soonest first, past latest first. Pages run across clinics: each clinic gives at most the
    rows up to the page's end."""
    member = _member(request)
    clinics = active_clinics(member.organisation)
    slug = request.GET.get("clinic", "")
    selected = clinics
    if slug:
        selected = [c for c in clinics if c.slug == slug]
        if not selected:
            raise Http404
    upcoming = request.GET.get("when", "upcoming") != "past"
    page = min(max(_number(request.GET.get("page")) or 1, 1), 1000)
    now = timezone.now()
    rows = []
    for clinic in selected:
        with tenant_context(clinic):
            zone = clinic_zone()
            rows += [(b.appointment.starts_at, _row(clinic, b, zone))
                     for b in bookings_for(member, upcoming=upcoming, now=now, limit=page * BOOKINGS_PER_PAGE + 1)]
    rows.sort(key=lambda pair: (pair[0], pair[1].pk), reverse=not upcoming)
    has_next = len(rows) > page * BOOKINGS_PER_PAGE
    rows = [row for _moment, row in rows[(page - 1) * BOOKINGS_PER_PAGE:page * BOOKINGS_PER_PAGE]]

    def page_url(number):
        params = {"when": "upcoming" if upcoming else "past", "page": number}
        if slug:
            params["clinic"] = slug
        return f"{reverse('portal_bookings')}?{urlencode(params)}"

    return render(request, "portal/bookings.html", {
        "clinics": clinics, "clinic_slug": slug, "upcoming": upcoming, "rows": rows, "page": page,
        "previous_url": page_url(page - 1) if page > 1 else "", "next_url": page_url(page + 1) if has_next else "",
        "can_book": member.can_book,
    })


@portal_view
def booking_detail(request, clinic, pk):
    member = _member(request)
    selected = _clinic_or_404(member, clinic)
    with tenant_context(selected):
        zone = clinic_zone()
        booking = _booking_or_404(member, pk)
        row = _row(selected, booking, zone)
        begun = booking.appointment.starts_at <= timezone.now()  # the clinic changes it from then on
        actions = allowed_actions(booking.appointment.status) if booking.cancelled_at is None and not begun else []
        move_params = {"clinic": selected.slug, "location": booking.appointment.location_id,
                       "practitioner": booking.appointment.practitioner_id, "move": booking.pk,
                       "week": monday_of(row.starts.date()).isoformat()}
        context = {
            "booking": row, "value": money(booking.value, booking.currency),
            "payment_place": booking.get_payment_place_display(),
            "created": _local(booking.created, zone),
            "cancelled_at": _local(booking.cancelled_at, zone) if booking.cancelled_at else None,
            "cancelled_by": booking.cancelled_by_name, "cancel_reason": booking.appointment.cancel_reason,
            "can_cancel": member.can_book and "cancel" in actions,
            "can_move": member.can_book and "reschedule" in actions,
            "move_url": f"{reverse('portal_book')}?{urlencode(move_params)}",
            "cancel_form": CancelBookingForm(),
        }
    return render(request, "portal/booking_detail.html", context)


@require_POST
@portal_view
def booking_cancel(request, clinic, pk):
    member = _booker(request)
    selected = _clinic_or_404(member, clinic)
    form = CancelBookingForm(request.POST)
    with tenant_context(selected):
        booking = _booking_or_404(member, pk)
        if not form.is_valid():
            messages.error(request, _("Give a reason for cancelling."))
        else:
            try:
                cancel_booking_for_partner(member, booking, reason=form.cleaned_data["reason"])
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Booking %(reference)s was cancelled.") % {"reference": booking.code})
    return redirect("portal_booking", clinic=selected.slug, pk=booking.pk)


@portal_view
def booking_move(request, clinic, pk):
    """GET: the calendar, to pick the new slot; POST (a free slot's button): move there."""
    member = _booker(request)
    selected = _clinic_or_404(member, clinic)
    with tenant_context(selected):
        zone = clinic_zone()
        booking = _booking_or_404(member, pk)
        calendar_params = {"clinic": selected.slug, "location": booking.appointment.location_id, "move": booking.pk,
                           "week": monday_of(_local(booking.appointment.starts_at, zone).date()).isoformat()}
        if request.method != "POST":
            return redirect(f"{reverse('portal_book')}?{urlencode(calendar_params)}")
        form = MoveBookingForm(request.POST, zone=zone)
        practitioner = None
        if form.is_valid():
            practitioner_id, starts = form.cleaned_data["slot"]
            practitioner = Practitioner.objects.filter(pk=practitioner_id, is_active=True).first()
        if practitioner is None:
            messages.error(request, _("Choose a free slot in the calendar."))
            return redirect(f"{reverse('portal_book')}?{urlencode(calendar_params)}")
        try:
            moved = move_booking(member, booking, starts_at=starts, practitioner=practitioner)
        except PartnerBooking.DoesNotExist:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.message)
            calendar_params["week"] = monday_of(_local(starts, zone).date()).isoformat()
            return redirect(f"{reverse('portal_book')}?{urlencode(calendar_params)}")
        when = _local(moved.appointment.starts_at, zone)
    messages.success(request, _("Booking %(reference)s moved to %(time)s with %(practitioner)s.") % {
        "reference": moved.code, "time": date_format(when, "SHORT_DATETIME_FORMAT"), "practitioner": practitioner.full_name})
    return redirect("portal_booking", clinic=selected.slug, pk=moved.pk)
