"""A product's description as a PDF: what the platform sells, for how much it settles with
the clinic (or what the voucher is worth), and when. The operator downloads it, and so does
every clinic enrolled with the platform (with its own price list's names beside the codes)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from billing.documents import pdf_from_html

from .models import Product


def product_pdf(product: Product, *, service_names: dict[str, str] | None = None, clinic=None) -> bytes:
    """``service_names``: the reading clinic's names of the product's service codes (upper-case
    codes); a code it lacks is marked."""
    lines = [{"code": line.service_code, "quantity": line.quantity,
              "name": (service_names or {}).get(line.service_code.upper())}
             for line in product.services.all()]
    html = render_to_string("platforms/documents/product.html", {
        "product": product, "platform": product.platform, "lines": lines, "clinic": clinic,
        "resolved": service_names is not None, "today": timezone.localdate()})
    return pdf_from_html(html)


def pdf_filename(product: Product) -> str:
    return f"{product.platform.code}-{product.code}.pdf".replace("/", "-")
