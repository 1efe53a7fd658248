"""The operator's work on platforms (public schema): platforms and their signing secrets,
the products they sell, and the clinics' enrolments — and a clinic's application for one.

Each operation is one transaction that locks what it changes; who did it is kept on the row
(``SigningSecret.created_by``, ``Enrolment.decided_by``/``applied_by``) and in the audit
trail (auditlog, registered in ``apps.py``).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.money import CURRENCIES, round_money

from .models import CODE_VALIDATOR, Enrolment, Platform, Product, ProductService, SigningSecret

# 24 random bytes, as the Standard Webhooks libraries make them (``whsec_`` + base64): the
# ``standardwebhooks.Webhook`` verifier strips the prefix and decodes the rest.
SECRET_BYTES = 24
SECRET_PREFIX = "whsec_"
# How long the old secret stays accepted after a rotation (the operator picks one).
OVERLAPS = {"0": timedelta(0), "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
SERVICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,29}$")
# One line of a product's contents: "DEN-01", "DEN-01 × 2", "DEN-01 x 2", "DEN-01 * 2", "DEN-01 2".
CONTENT_LINE = re.compile(r"^(?P<code>\S+?)(?:\s*[×xX*]\s*|\s+)(?P<quantity>\d+)$|^(?P<only>\S+)$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,59}$")


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


# --- platforms -------------------------------------------------------------------------------


@dataclass
class PlatformData:
    code: str
    name: str
    currency: str
    invoice_details: str = ""
    mailing_address: str = ""
    is_active: bool = True


def _check_platform(data: PlatformData, *, exclude: int | None = None) -> PlatformData:
    data.code = (data.code or "").strip().lower()
    data.name = (data.name or "").strip()
    try:
        CODE_VALIDATOR(data.code)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="code") from None
    if not data.name:
        raise DomainError(_("Enter the platform's name."), field="name")
    if data.currency not in CURRENCIES:
        raise DomainError(_("Choose one of the currencies offered."), field="currency")
    if Platform.objects.filter(code=data.code).exclude(pk=exclude).exists():
        raise DomainError(_("Another platform has this code already."), field="code")
    return data


def create_platform(data: PlatformData, *, actor) -> tuple[Platform, str]:
    """A new platform with its first signing secret; the secret is returned to be shown once
    (only the platform's integrators should ever hold it)."""
    data = _check_platform(data)
    with transaction.atomic(durable=True):
        try:
            platform = Platform.objects.create(
                code=data.code, name=data.name, currency=data.currency, invoice_details=data.invoice_details,
                mailing_address=data.mailing_address, is_active=data.is_active)
        except IntegrityError:
            raise DomainError(_("Another platform has this code already."), field="code") from None
        secret = generate_secret()
        SigningSecret.objects.create(platform=platform, secret=secret, created_by=_actor(actor))
    return platform, secret


def update_platform(platform: Platform, data: PlatformData, *, actor) -> Platform:
    data = _check_platform(data, exclude=platform.pk)
    with transaction.atomic(durable=True):
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        if data.code != platform.code and platform.enrolments.exists():
            # Orders, the clinics' books (the counterparty "platform:<code>") and the intake
            # address name the platform by its code.
            raise DomainError(_("Clinics have applied for this platform: its code can no longer change."),
                              field="code")
        if data.currency != platform.currency and platform.enrolments.filter(
                status=Enrolment.Status.APPROVED).exists():
            raise DomainError(_("Clinics are enrolled with this platform: its currency can no longer change."),
                              field="currency")
        for field in ("code", "name", "currency", "invoice_details", "mailing_address", "is_active"):
            setattr(platform, field, getattr(data, field))
        try:
            platform.save()
        except IntegrityError:
            raise DomainError(_("Another platform has this code already."), field="code") from None
    return platform


def rotate_secret(platform: Platform, *, overlap: timedelta, actor) -> str:
    """A new current secret (returned, to be shown once); the one it replaces stays accepted
    for ``overlap`` so the platform can switch without losing an order. A secret retired by an
    earlier rotation and still in its overlap retires now: only the one before the current
    one is ever accepted besides it."""
    if overlap < timedelta(0) or overlap > timedelta(days=30):
        raise DomainError(_("Choose how long the old secret stays valid."), field="overlap")
    now = timezone.now()
    with transaction.atomic(durable=True):
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        SigningSecret.objects.filter(platform=platform, retires_at__gt=now).update(retires_at=now)
        SigningSecret.objects.filter(platform=platform, retires_at__isnull=True).update(retires_at=now + overlap)
        secret = generate_secret()
        SigningSecret.objects.create(platform=platform, secret=secret, created_by=_actor(actor))
    return secret


# --- products ----------------------------------------------------------------------------------


@dataclass
class ProductData:
    code: str
    name: str
    kind: str
    price: Decimal | str | None
    valid_from: date | None
    valid_to: date | None = None
    contents: str = ""
    description: str = ""


def parse_contents(text: str, *, kind: str) -> list[tuple[str, int]]:
    """The services of a product, one per line: a service code and, for a package, a quantity
    ("DEN-01 × 2"; none means 1). A voucher names the services it may pay towards."""
    lines: list[tuple[str, int]] = []
    seen: set[str] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = CONTENT_LINE.match(line)
        code = match and (match.group("code") or match.group("only"))
        if not match or not SERVICE_CODE.match(code):
            raise DomainError(_("Line %(line)d: write a service code and a quantity, e.g. “DEN-01 × 2”.")
                              % {"line": number}, field="contents")
        quantity = int(match.group("quantity") or 1)
        if quantity < 1 or quantity > 99:
            raise DomainError(_("Line %(line)d: the quantity must be from 1 to 99.") % {"line": number},
                              field="contents")
        if kind == Product.Kind.CASH_VOUCHER and quantity != 1:
            raise DomainError(_("Line %(line)d: a cash voucher names the services it pays towards, without "
                                "quantities.") % {"line": number}, field="contents")
        code = code.upper()
        if code in seen:
            raise DomainError(_("Line %(line)d: %(code)s is named twice.") % {"line": number, "code": code},
                              field="contents")
        seen.add(code)
        lines.append((code, quantity))
    if not lines:
        raise DomainError(_("Name at least one service by its code."), field="contents")
    return lines


def contents_text(product: Product) -> str:
    """A product's services as the contents field shows them."""
    return "\n".join(f"{s.service_code} × {s.quantity}" if product.kind == Product.Kind.PACKAGE else s.service_code
                     for s in product.services.all())


def _check_product(platform: Platform, data: ProductData, *, exclude: int | None = None):
    data.code = (data.code or "").strip()
    data.name = (data.name or "").strip()
    if not data.code or len(data.code) > 40 or not SERVICE_CODE.match(data.code[:30]):
        raise DomainError(_("Enter the product's code at the platform (letters, digits, hyphens)."), field="code")
    if not data.name:
        raise DomainError(_("Enter the product's name."), field="name")
    if data.kind not in Product.Kind.values:
        raise DomainError(_("Choose a package or a cash voucher."), field="kind")
    try:
        price = round_money(Decimal(str(data.price)), platform.currency) if data.price not in (None, "") else None
    except InvalidOperation:
        price = None
    if price is None or price <= 0 or price >= Decimal("1e12"):
        field = "price"
        raise DomainError(_("Enter the settlement price the platform pays for one package.")
                          if data.kind == Product.Kind.PACKAGE
                          else _("Enter the voucher's face value."), field=field)
    if data.valid_from is None:
        raise DomainError(_("Enter the first day the product can be sold."), field="valid_from")
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise DomainError(_("The last day cannot be before the first."), field="valid_to")
    if Product.objects.filter(platform=platform, code=data.code).exclude(pk=exclude).exists():
        raise DomainError(_("This platform has a product with this code already."), field="code")
    return price, parse_contents(data.contents, kind=data.kind)


def save_product(platform: Platform, data: ProductData, *, product: Product | None = None, actor) -> Product:
    """Create a product of ``platform`` or change ``product``: its kind's price, validity and
    services. An order keeps the price it was sold at (``PlatformOrder.price``)."""
    price, lines = _check_product(platform, data, exclude=product.pk if product else None)
    with transaction.atomic(durable=True):
        if product is None:
            product = Product(platform=platform)
        else:
            product = Product.objects.select_for_update().get(pk=product.pk, platform=platform)
        product.code, product.name, product.kind = data.code, data.name, data.kind
        product.description = (data.description or "").strip()
        product.settlement_price = price if data.kind == Product.Kind.PACKAGE else None
        product.face_value = price if data.kind == Product.Kind.CASH_VOUCHER else None
        product.valid_from, product.valid_to = data.valid_from, data.valid_to
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError:
            raise DomainError(_("This platform has a product with this code already."), field="code") from None
        kept = {code for code, _quantity in lines}
        product.services.exclude(service_code__in=kept).delete()
        for code, quantity in lines:
            ProductService.objects.update_or_create(product=product, service_code=code,
                                                    defaults={"quantity": quantity})
    return product


# --- enrolments ----------------------------------------------------------------------------------


def apply_for_platform(clinic, platform: Platform, *, note: str = "", actor) -> Enrolment:
    """The clinic asks to sell through ``platform``; again after a decline. The applicant is
    a clinic user (kept in the clinic's schema): the enrolment keeps their name."""
    note = (note or "").strip()[:1000]
    with transaction.atomic(durable=True):
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        if not platform.is_active:
            raise DomainError(_("This platform takes no applications now."))
        if platform.currency != clinic.currency:
            # Orders, redemptions and settlements are in the platform's currency, and the
            # clinic's books keep one: a clinic sells through platforms of its own currency.
            raise DomainError(_("%(platform)s settles in %(currency)s; this clinic keeps its books in %(own)s.")
                              % {"platform": platform.name, "currency": platform.currency, "own": clinic.currency})
        enrolment = Enrolment.objects.select_for_update().filter(clinic=clinic, platform=platform).first()
        if enrolment is None:
            enrolment = Enrolment(clinic=clinic, platform=platform)
        elif enrolment.status == Enrolment.Status.APPLIED:
            raise DomainError(_("The clinic has applied already; the operator has not decided yet."))
        elif enrolment.status == Enrolment.Status.APPROVED:
            raise DomainError(_("The clinic is enrolled with this platform already."))
        enrolment.status, enrolment.note, enrolment.reason = Enrolment.Status.APPLIED, note, ""
        enrolment.identifier, enrolment.decided_at, enrolment.decided_by = "", None, None
        name, email = getattr(actor, "full_name", "") or str(actor or ""), getattr(actor, "email", "")
        enrolment.applied_by = (f"{name} ({email})" if email and email != name else name)[:200]
        if enrolment.pk is not None:
            enrolment.applied_at = timezone.now()
        enrolment.save()
    return enrolment


def _locked_application(enrolment: Enrolment) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update().select_related("platform", "clinic").get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.APPLIED:
        raise DomainError(_("This application was decided already (%(status)s).")
                          % {"status": enrolment.get_status_display().lower()})
    return enrolment


def approve_enrolment(enrolment: Enrolment, *, identifier: str, actor) -> Enrolment:
    """Enrol the clinic: from now on the platform's orders naming ``identifier`` reach it."""
    identifier = (identifier or "").strip()
    if not IDENTIFIER.match(identifier):
        raise DomainError(_("Enter the clinic's identifier at the platform (letters, digits, . _ : -)."),
                          field="identifier")
    with transaction.atomic(durable=True):
        enrolment = _locked_application(enrolment)
        if Enrolment.objects.filter(platform=enrolment.platform, identifier=identifier).exclude(
                pk=enrolment.pk).exists():
            raise DomainError(_("Another clinic has this identifier at %(platform)s.")
                              % {"platform": enrolment.platform.name}, field="identifier")
        enrolment.status, enrolment.identifier, enrolment.reason = Enrolment.Status.APPROVED, identifier, ""
        enrolment.decided_at, enrolment.decided_by = timezone.now(), _actor(actor)
        try:
            with transaction.atomic():
                enrolment.save()
        except IntegrityError:
            raise DomainError(_("Another clinic has this identifier at %(platform)s.")
                              % {"platform": enrolment.platform.name}, field="identifier") from None
    return enrolment


def decline_enrolment(enrolment: Enrolment, *, reason: str, actor) -> Enrolment:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the application is declined: the clinic reads it."), field="reason")
    if len(reason) > 300:
        raise DomainError(_("Keep the reason under 300 characters."), field="reason")
    with transaction.atomic(durable=True):
        enrolment = _locked_application(enrolment)
        enrolment.status, enrolment.reason, enrolment.identifier = Enrolment.Status.DECLINED, reason, ""
        enrolment.decided_at, enrolment.decided_by = timezone.now(), _actor(actor)
        enrolment.save()
    return enrolment
