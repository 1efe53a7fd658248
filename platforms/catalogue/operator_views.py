"""The operator console's platform pages (public host, ``/operator/platforms/``): platforms
and their signing secrets, their products, and the clinics' enrolments."""

import hashlib
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.errors import DomainError
from clinic.tenants.views import operator_view

from . import services
from .documents import pdf_filename, product_pdf
from .forms import ApproveForm, DeclineForm, EnrolmentFilter, PlatformForm, ProductForm, RotateForm
from .models import Enrolment, Platform, Product

ENROLMENTS_PER_PAGE = 50


def _fingerprint(secret: str) -> str:
    """Enough of a secret to tell two apart on screen (a hash, never the secret itself)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def _secret_page(request, platform, secret, *, rotated=False):
    # Shown in the answer to the POST and kept nowhere else: reloading shows it no more.
    response = render(request, "platforms/operator/secret.html",
                      {"platform": platform, "secret": secret, "rotated": rotated})
    response["Cache-Control"] = "no-store"
    return response


@operator_view
def platform_list(request):
    platforms = Platform.objects.order_by("name").annotate(
        product_count=Count("products", distinct=True),
        approved_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.APPROVED), distinct=True),
        waiting_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.APPLIED), distinct=True))
    return render(request, "platforms/operator/platform_list.html", {"platforms": platforms})


@operator_view
def platform_create(request):
    form = PlatformForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            platform, secret = services.create_platform(form.data_object(), actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            return _secret_page(request, platform, secret)
    return render(request, "platforms/operator/platform_form.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


@operator_view
def platform_detail(request, pk):
    platform = get_object_or_404(Platform, pk=pk)
    form = PlatformForm(request.POST or None, initial={
        field: getattr(platform, field)
        for field in ("code", "name", "currency", "invoice_details", "mailing_address", "is_active")})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_platform(platform, form.data_object(), actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("The platform is saved."))
            return redirect("operator_platform", pk=platform.pk)
    now = timezone.now()
    secrets = [{"fingerprint": _fingerprint(s.secret), "created": s.created, "created_by": s.created_by,
                "retires_at": s.retires_at, "accepted": s.retires_at is None or s.retires_at > now}
               for s in platform.secrets.select_related("created_by")[:10]]
    return render(request, "platforms/operator/platform_detail.html", {
        "platform": platform, "form": form, "rotate_form": RotateForm(), "secrets": secrets,
        "products": platform.products.prefetch_related("services").order_by("name"),
    }, status=422 if request.method == "POST" else 200)


@operator_view
@require_POST
def platform_rotate(request, pk):
    platform = get_object_or_404(Platform, pk=pk)
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long the old secret stays valid."))
        return redirect("operator_platform", pk=platform.pk)
    try:
        secret = services.rotate_secret(platform, overlap=form.overlap_value(), actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("operator_platform", pk=platform.pk)
    return _secret_page(request, platform, secret, rotated=True)


def _product_form(request, platform, product=None):
    initial = {"kind": Product.Kind.PACKAGE, "valid_from": timezone.localdate()}
    if product is not None:
        initial = {"kind": product.kind, "code": product.code, "name": product.name, "price": product.price,
                   "contents": services.contents_text(product), "valid_from": product.valid_from,
                   "valid_to": product.valid_to, "description": product.description}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_product(platform, form.data_object(), product=product, actor=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("“%(product)s” is saved.") % {"product": saved.name})
            return redirect("operator_platform", pk=platform.pk)
    parts = {f"{name}_field": [form[name]] for name in ("code", "name", "price", "contents", "valid_from", "valid_to",
                                                         "description")}
    parts["from_field"], parts["to_field"] = parts.pop("valid_from_field"), parts.pop("valid_to_field")
    return render(request, "platforms/operator/product_form.html",
                  {"form": form, "platform": platform, "product": product, **parts},
                  status=422 if request.method == "POST" else 200)


@operator_view
def product_create(request, pk):
    return _product_form(request, get_object_or_404(Platform, pk=pk))


@operator_view
def product_edit(request, pk):
    product = get_object_or_404(Product.objects.select_related("platform"), pk=pk)
    return _product_form(request, product.platform, product)


@operator_view
def product_document(request, pk):
    product = get_object_or_404(Product.objects.select_related("platform"), pk=pk)
    response = HttpResponse(product_pdf(product), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(product)}"'
    return response


@operator_view
def enrolment_list(request):
    filters = EnrolmentFilter(request.GET or {"status": Enrolment.Status.APPLIED})
    valid = filters.is_valid()
    status = filters.cleaned_data["status"] if valid else Enrolment.Status.APPLIED
    platform = filters.cleaned_data["platform"] if valid else None
    enrolments = Enrolment.objects.select_related("clinic", "platform", "decided_by").order_by("-applied_at", "-id")
    if status:
        enrolments = enrolments.filter(status=status)
    if platform is not None:
        enrolments = enrolments.filter(platform=platform)
    page = Paginator(enrolments, ENROLMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "platforms/operator/enrolment_list.html", {
        "filters": filters, "status": status, "platform": platform, "page": page,
        "query": urlencode({"status": status, "platform": platform.pk if platform else ""}),
        "waiting": Enrolment.objects.filter(status=Enrolment.Status.APPLIED).count()})


def _decide(request, pk, form_class, decide):
    enrolment = get_object_or_404(Enrolment.objects.select_related("clinic", "platform"), pk=pk)
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(" ".join(error for errors in form.errors.values() for error in errors))
        decide(enrolment, form.cleaned_data)
    except DomainError as error:
        messages.error(request, _("%(clinic)s at %(platform)s: %(error)s")
                       % {"clinic": enrolment.clinic.name, "platform": enrolment.platform.name,
                          "error": error.message})
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/operator/")
                    else "operator_enrolments")


@operator_view
@require_POST
def enrolment_approve(request, pk):
    def approve(enrolment, data):
        services.approve_enrolment(enrolment, identifier=data["identifier"], actor=request.user)
        messages.success(request, _("%(clinic)s is enrolled with %(platform)s.")
                         % {"clinic": enrolment.clinic.name, "platform": enrolment.platform.name})

    return _decide(request, pk, ApproveForm, approve)


@operator_view
@require_POST
def enrolment_decline(request, pk):
    def decline(enrolment, data):
        services.decline_enrolment(enrolment, reason=data["reason"], actor=request.user)
        messages.success(request, _("The application of %(clinic)s is declined.")
                         % {"clinic": enrolment.clinic.name})

    return _decide(request, pk, DeclineForm, decline)
