"""The clinic's partner screens: partners, their terms and the traffic channels."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.models import Service
from partners.organisations.models import ClinicLink

from . import services
from .forms import COMPANY_FIELDS, ChannelsForm, PartnerForm, PartnerTermsForm
from .models import Partnership


def get_partnership_for(user, pk: int) -> Partnership:
    """A partnership of this clinic (with its company; the views' permissions say who may read it);
    any other id is a 404."""
    return get_object_or_404(Partnership.objects.select_related("organisation"), pk=pk)


def _link_statuses() -> dict[int, str]:
    """Each partner company's link to this clinic, in one query. ClinicLink is a public table,
    reachable from the clinic's schema (public is on the search path); no join to users."""
    return dict(ClinicLink.objects.filter(clinic_id=connection.tenant.pk).values_list("organisation_id", "status"))


@clinic_view("partners.view_partnership")
def partner_list(request):
    partnerships = list(
        Partnership.objects.select_related("organisation")
        .prefetch_related("locations")
        .annotate(booking_count=Count("bookings", filter=Q(bookings__cancelled_at__isnull=True)))
        .order_by("organisation__name")
    )
    statuses = _link_statuses()
    labels = dict(ClinicLink.Status.choices)
    for partnership in partnerships:
        status = ClinicLink.Status.REMOVED if partnership.is_removed else statuses.get(
            partnership.organisation_id, ClinicLink.Status.REMOVED)
        partnership.link_status, partnership.link_status_label = status, labels[status]
    return render(request, "partners/partner_list.html", {
        "partnerships": [p for p in partnerships if not p.is_removed],
        "removed": [p for p in partnerships if p.is_removed],
        "tab": "partners",
    })


def _sections(form):
    return {"company_fields": [form[name] for name in COMPANY_FIELDS if name in form.fields]}


@clinic_view("partners.add_partnership")
def partner_create(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partnership = services.add_partner(form.company(), form.terms(), actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            organisation = partnership.organisation
            if partnership.new_company:
                done = _("%(partner)s is added. %(contact)s got an email to register and accept the terms; "
                         "the partner can book once they do.")
            else:
                done = _("%(partner)s is added. The company already works with Clinic Channels: it got an "
                         "invitation to approve in the portal (sent to %(contact)s); it can book once it does.")
            messages.success(request, done % {"partner": organisation.name, "contact": organisation.contact_email})
            return redirect("partner_list")
    return render(request, "partners/partner_form.html", {"form": form, **_sections(form)},
                  status=422 if request.method == "POST" else 200)


@clinic_view("partners.change_partnership")
def partner_edit(request, pk):
    partnership = get_partnership_for(request.user, pk)
    form = PartnerTermsForm(request.POST or None, initial=PartnerTermsForm.initial_for(partnership))
    if request.method == "POST" and form.is_valid():
        try:
            services.change_terms(partnership, form.terms(), actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("The terms of %(partner)s are saved.") % {"partner": partnership})
            return redirect("partner_list")
    status = ClinicLink.Status.REMOVED if partnership.is_removed else services.link_status(partnership)
    return render(request, "partners/partner_form.html", {
        "form": form, "partnership": partnership, "organisation": partnership.organisation,
        "link_status": status, "link_status_label": ClinicLink.Status(status).label, **_sections(form),
    }, status=422 if request.method == "POST" else 200)


@clinic_view("partners.change_partnership")
def partner_remove(request, pk):
    """GET asks to confirm; POST removes. The partner's bookings and their history stay."""
    partnership = get_partnership_for(request.user, pk)
    if request.method == "POST":
        try:
            services.remove_partner(partnership, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(partner)s is removed: it can no longer book here. Its bookings "
                                        "stay.") % {"partner": partnership})
        return redirect("partner_list")
    bookings = partnership.bookings.filter(cancelled_at__isnull=True).count()
    return render(request, "partners/partner_remove.html", {"partnership": partnership, "bookings": bookings})


# --- traffic channels ---------------------------------------------------------------


def _matrix(partnerships, services_by_category, ticked: set[tuple[int, int]]):
    """Rows for the template: each category with, per partner, whether all its services are
    ticked; each service with one cell per partner."""
    rows = []
    for category, category_services in services_by_category:
        heads = [{"partnership": p, "all": all((p.pk, s.pk) in ticked for s in category_services)}
                 for p in partnerships]
        lines = [{"service": s, "cells": [{"partnership": p, "ticked": (p.pk, s.pk) in ticked, "value": f"{p.pk}:{s.pk}"}
                                          for p in partnerships]}
                 for s in category_services]
        rows.append({"category": category, "heads": heads, "services": lines})
    return rows


@clinic_view("partners.view_partnership")
def traffic_channels(request):
    """Services (rows, by category) by partners (columns): a tick lets the partner book the
    service. Anyone who sees partners sees the matrix; saving needs change_partnership."""
    can_change = request.user.has_perm("partners.change_partnership")
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    partnerships = list(Partnership.objects.filter(removed_at__isnull=True).select_related("organisation")
                        .order_by("organisation__name"))
    active = list(Service.objects.filter(is_active=True).select_related("category")
                  .order_by("category__name", "name"))
    by_category: dict = defaultdict(list)
    for service in active:
        by_category[service.category].append(service)
    through = Partnership.services.through
    saved = set(through.objects.filter(partnership__in=partnerships).values_list("partnership_id", "service_id"))
    ticked, status, changed, error = saved, 200, False, ""
    if request.method == "POST":
        form = ChannelsForm(request.POST, service_ids=[s.pk for s in active],
                            categories=[c.pk for c in by_category])
        if not form.is_valid():
            error, status = " ".join(form.non_field_errors()), 422
        else:
            data = form.cleaned_data
            ticked = data["ticked"] | {pair for pair in saved if pair[0] not in data["partners"]}
            if data["toggle"] is not None:
                ticked = _toggle(ticked, data["toggle"], by_category)
                changed = True
            else:
                active_ids = {s.pk for s in active}
                # Ticks of services no longer offered are not in the matrix: keep them.
                wanted = {pk: {s for p, s in data["ticked"] if p == pk}
                          | {s for p, s in saved if p == pk and s not in active_ids}
                          for pk in data["partners"]}
                try:
                    services.set_channels(wanted, actor=request.user)
                except DomainError as refused:
                    error, status = refused.message, 422
                else:
                    messages.success(request, _("The traffic channels are saved."))
                    return redirect("traffic_channels")
    context = {"partnerships": partnerships, "rows": _matrix(partnerships, list(by_category.items()), ticked),
               "can_change": can_change, "changed": changed, "error": error, "tab": "channels"}
    template = "partners/_channels_form.html" if request.htmx else "partners/traffic_channels.html"
    return render(request, template, context, status=status)


def _toggle(ticked: set, toggle: tuple[int, int], by_category) -> set:
    """Tick the whole category for one partner, or untick it if it was all ticked."""
    partnership_id, category_id = toggle
    category_services = next(services for category, services in by_category.items() if category.pk == category_id)
    cells = {(partnership_id, s.pk) for s in category_services}
    return ticked - cells if cells <= ticked else ticked | cells
