"""Platforms and what they sell (public schema; seed 000, DESIGN.md "Where data lives").

A platform (an insurer's benefits app, Alipay) sells *products* for the clinics enrolled with
it: a standard package (services with quantities, for which the platform pays the clinic a
settlement price) or a cash voucher (a face value the patient paid on the platform, used once
towards the services it names). The orders themselves live in each clinic's schema
(``platforms.models``).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.money import CURRENCIES

MONEY = {"max_digits": 14, "decimal_places": 2}
CODE_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9-]{1,30}$", _("Use 2 to 31 lower-case letters, digits or hyphens, starting with a letter."))


class Platform(models.Model):
    """A platform that sells the clinics' packages; its signed order messages arrive at
    ``/api/platforms/<code>/orders`` (Standard Webhooks)."""

    code = models.CharField(_("code"), max_length=31, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, choices=[(code, code) for code in CURRENCIES])
    # What the clinic puts on an invoice to the platform's operator, and where it sends it.
    invoice_details = models.TextField(_("invoice details"), blank=True)
    mailing_address = models.TextField(_("mailing address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def signing_secrets(self, *, at=None) -> list[str]:
        """The secrets an order message may be signed with now: the current one and, during
        a rotation's overlap, the one before it."""
        at = at or timezone.now()
        return [s.secret for s in self.secrets.all() if s.retires_at is None or s.retires_at > at]


class SigningSecret(models.Model):
    """A Standard Webhooks secret (``whsec_`` + base64). Rotating one gives the old secret a
    retirement time: until then both are accepted, so the platform can switch without losing
    an order."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="secrets")
    secret = models.CharField(max_length=100)
    retires_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["platform"], condition=Q(retires_at__isnull=True),
                                               name="platform_one_current_secret")]

    def __str__(self):
        return f"{self.platform} secret of {self.created:%Y-%m-%d}"


class Product(models.Model):
    class Kind(models.TextChoices):
        PACKAGE = "package", _("Standard package")
        CASH_VOUCHER = "cash_voucher", _("Cash voucher")

    platform = models.ForeignKey(Platform, verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="products")
    code = models.CharField(_("product code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    # A package: what the platform pays the clinic for one. A voucher: what the patient paid
    # on the platform, usable once towards the services it names.
    settlement_price = models.DecimalField(_("settlement price"), null=True, blank=True,
                                           validators=[MinValueValidator(0)], **MONEY)
    face_value = models.DecimalField(_("face value"), null=True, blank=True,
                                     validators=[MinValueValidator(0)], **MONEY)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "code"], name="platform_product_code_once"),
            models.CheckConstraint(
                condition=(Q(kind="package", settlement_price__gt=0, face_value__isnull=True)
                           | Q(kind="cash_voucher", face_value__gt=0, settlement_price__isnull=True)),
                name="platform_product_price_of_its_kind"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="platform_product_valid_period"),
        ]

    def __str__(self):
        return f"{self.name} ({self.platform.code})"

    @property
    def price(self):
        """What one order of this product is worth to the clinic: the settlement price of a
        package, the face value of a voucher."""
        return self.settlement_price if self.kind == self.Kind.PACKAGE else self.face_value

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class ProductService(models.Model):
    """A service a product contains (a package) or may pay towards (a voucher), by the
    clinic's service code: every clinic keeps its own price list."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="services")
    service_code = models.CharField(_("service code"), max_length=30)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("product service")
        verbose_name_plural = _("product services")
        ordering = ["product", "id"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["product", "service_code"], name="platform_product_service_once"),
                       models.CheckConstraint(condition=Q(quantity__gte=1), name="platform_product_quantity")]

    def __str__(self):
        return f"{self.service_code} × {self.quantity}"


class Enrolment(models.Model):
    """A clinic's application for a platform; only approved clinics receive its orders."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    clinic = models.ForeignKey("tenants.Clinic", verbose_name=_("clinic"), on_delete=models.CASCADE,
                               related_name="enrolments")
    platform = models.ForeignKey(Platform, verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="enrolments")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    # How the platform names this clinic in its order messages (set by the operator on approval).
    identifier = models.CharField(_("clinic's identifier at the platform"), max_length=60, blank=True)
    note = models.TextField(_("application note"), blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    applied_at = models.DateTimeField(_("applied"), auto_now_add=True)
    applied_by = models.CharField(_("applied by"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "platform"], name="platform_enrolment_once"),
            models.UniqueConstraint(fields=["platform", "identifier"], condition=~Q(identifier=""),
                                    name="platform_clinic_identifier_once"),
            models.CheckConstraint(condition=~Q(status="approved") | ~Q(identifier=""),
                                   name="platform_approved_has_identifier"),
            models.CheckConstraint(condition=~Q(status="declined") | ~Q(reason=""),
                                   name="platform_declined_has_reason"),
        ]

    def __str__(self):
        return f"{self.clinic} — {self.platform}"
