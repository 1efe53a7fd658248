"""The "Platform order" panel on a visit and its actions: upload the panoramic X-ray, redeem,
or redeem without an image (with the reason). Thin views: a form parses, one service acts, a
refusal becomes a message on the visit page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing.models import Visit
from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.uploads import CheckedFileField, file_response, upload_view

from . import redemption
from .models import OrderStatus, PlatformOrder


class ImageForm(forms.Form):
    visit = forms.IntegerField(widget=forms.HiddenInput)
    image = CheckedFileField("xray", label=gettext_lazy("Panoramic X-ray (JPEG, PNG or DICOM)"))


class RedeemForm(forms.Form):
    visit = forms.IntegerField(widget=forms.HiddenInput)
    no_image_reason = forms.CharField(label=gettext_lazy("Reason for redeeming without an image"), required=False,
                                      max_length=300)


def order_panel(request, visit: Visit) -> str:
    """Billing's visit panel (``billing.extensions.visit_panels``): the order redeemed on this
    visit, or the patient's confirmed order to redeem here."""
    if not request.user.has_perm("platforms.view_platformorder"):
        return ""
    order = redemption.redeemable_order(visit)
    if order is None:
        return ""
    return render_to_string("platforms/_visit_panel.html", {
        "order": order, "visit": visit, "image_form": ImageForm(initial={"visit": visit.pk}),
        "redeemable": order.status == OrderStatus.CONFIRMED and visit.status == Visit.Status.OPEN,
        "services": order.product.services.all(),
    }, request=request)


def _visit_of(order: PlatformOrder, value) -> Visit:
    """The visit named in the form: one of the order's patient's (anything else is not found)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Visit, pk=pk, patient_id=order.patient_id)


def _back(order: PlatformOrder, visit: Visit | None):
    return redirect("visit_detail", pk=visit.pk) if visit is not None else redirect("home")


@require_POST
@clinic_view("platforms.redeem_platformorder")
@upload_view("xray")
def order_image_upload(request, pk):
    order = get_object_or_404(PlatformOrder, pk=pk)
    visit = _visit_of(order, request.POST.get("visit"))
    form = ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(order, visit)
    try:
        redemption.attach_image(order, form.cleaned_data["image"], actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The X-ray of order %(number)s is uploaded.") % {"number": order.number})
    return _back(order, visit)


@require_POST
@clinic_view("platforms.redeem_platformorder")
def order_redeem(request, pk):
    order = get_object_or_404(PlatformOrder, pk=pk)
    visit = _visit_of(order, request.POST.get("visit"))
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reason is at most 300 characters."))
        return _back(order, visit)
    without_image = request.POST.get("without_image") == "1"
    reason = form.cleaned_data["no_image_reason"] if without_image else ""
    if without_image and not reason.strip():
        messages.error(request, _("Say why the order is redeemed without an image."))
        return _back(order, visit)
    try:
        redemption.redeem_order(order, visit=visit, actor=request.user, no_image_reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Order %(number)s is redeemed.") % {"number": order.number})
    return _back(order, visit)


@clinic_view("platforms.view_platformorder")
def order_image(request, pk):
    """The order's X-ray, only to those who may see orders (never a public media URL)."""
    order = get_object_or_404(PlatformOrder, pk=pk)
    if not order.image:
        raise Http404
    return file_response(order.image, "xray", download_name=f"xray-{order.number}")
