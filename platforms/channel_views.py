"""The clinic's value-added services (seed 000): the platforms it may sell through, its
application for each, and, once enrolled, each channel's products and inventory."""

from django.contrib import messages
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Upper
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.models import Service

from . import services
from .catalogue import services as catalogue
from .catalogue.documents import pdf_filename, product_pdf
from .catalogue.models import Enrolment, Platform, Product
from .models import HOLDS_STOCK, ChannelStock, PlatformOrder


def get_channel_for(code: str) -> tuple[Platform, Enrolment]:
    """A platform this clinic is enrolled with, by its code; any other is a 404 (the same for a
    platform that does not exist, one the clinic only applied for and another clinic's)."""
    enrolment = (Enrolment.objects.select_related("platform")
                 .filter(clinic_id=connection.tenant.pk, platform__code=code, status=Enrolment.Status.APPROVED)
                 .first())
    if enrolment is None:
        raise Http404
    return enrolment.platform, enrolment


def get_channel_product_for(code: str, pk: int) -> Product:
    platform, _enrolment = get_channel_for(code)
    return get_object_or_404(Product.objects.select_related("platform"), pk=pk, platform=platform)


def service_names(codes) -> dict[str, str]:
    """This clinic's price-list names of the given service codes (upper-case code -> name)."""
    wanted = {code.upper() for code in codes}
    return dict(Service.objects.annotate(upper_code=Upper("code")).filter(upper_code__in=wanted)
                .values_list("upper_code", "name"))


@clinic_view("platforms.view_channelstock")
def channel_list(request):
    mine = {e.platform_id: e for e in Enrolment.objects.filter(clinic_id=connection.tenant.pk)}
    platforms = [p for p in Platform.objects.order_by("name") if p.is_active or p.pk in mine]
    rows = [{"platform": p, "enrolment": mine.get(p.pk)} for p in platforms]
    return render(request, "platforms/channels/channel_list.html", {"rows": rows})


@clinic_view("platforms.manage_channels")
@require_POST
def channel_apply(request, code):
    platform = get_object_or_404(Platform, code=code)
    try:
        catalogue.apply_for_platform(connection.tenant, platform, note=request.POST.get("note", ""),
                                     actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The clinic has applied for %(platform)s; the operator decides.")
                         % {"platform": platform.name})
    return redirect("channel_list")


@clinic_view("platforms.view_channelstock")
def channel_detail(request, code):
    platform, enrolment = get_channel_for(code)
    products = list(platform.products.prefetch_related("services").order_by("name"))
    names = service_names(line.service_code for product in products for line in product.services.all())
    stock = dict(ChannelStock.objects.filter(product__in=products).values_list("product_id", "available"))
    held = dict(PlatformOrder.objects.filter(product__in=products, status__in=HOLDS_STOCK)
                .values("product_id").annotate(n=Count("id")).values_list("product_id", "n"))
    today = timezone.localdate()
    rows = []
    for product in products:
        lines = [{"code": line.service_code, "quantity": line.quantity, "name": names.get(line.service_code.upper())}
                 for line in product.services.all()]
        rows.append({"product": product, "lines": lines, "missing": [line["code"] for line in lines if not line["name"]],
                     "available": stock.get(product.pk, 0), "held": held.get(product.pk, 0),
                     "current": product.is_valid_on(today)})
    return render(request, "platforms/channels/channel_detail.html",
                  {"platform": platform, "enrolment": enrolment, "rows": rows})


@clinic_view("platforms.change_channelstock")
@require_POST
def channel_stock(request, code, pk):
    product = get_channel_product_for(code, pk)
    try:
        stock = services.set_stock(product, request.POST.get("available", "").strip(), actor=request.user)
    except DomainError as error:
        messages.error(request, _("The inventory of “%(product)s” is unchanged: %(error)s") % {"product": product.name, "error": error.message})
    else:
        messages.success(request, _("The platform may now sell %(count)s of “%(product)s”.")
                         % {"count": stock.available, "product": product.name})
    return redirect("channel_detail", code=code)


@clinic_view("platforms.view_channelstock")
def channel_product_pdf(request, code, pk):
    product = get_channel_product_for(code, pk)
    names = service_names(line.service_code for line in product.services.all())
    response = HttpResponse(product_pdf(product, service_names=names, clinic=connection.tenant),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(product)}"'
    return response
