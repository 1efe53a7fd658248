"""Settlement payouts as the operator sees them (public schema; seed 000, sections 十 and 十四–十五).

A clinic's settlement batch (in its own schema, ``reconciliation.models.SettlementBatch``) is
mirrored here as a request the operator processes: requested → invoice received → paid, or
settled at once with a consumables voucher the clinic spends in the operator's shop.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class Method(models.TextChoices):
    CASH = "cash", _("Cash (bank transfer against an invoice)")
    VOUCHER = "voucher", _("Consumables voucher")


class InvoiceType(models.TextChoices):
    VAT_SPECIAL = "vat_special", _("VAT special invoice")
    ORDINARY = "ordinary", _("Ordinary invoice")


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    INVOICE_RECEIVED = "invoice_received", _("Invoice received")
    PAID = "paid", _("Paid")
    VOUCHER_ISSUED = "voucher_issued", _("Voucher issued")


class SettlementRequest(models.Model):
    clinic = models.ForeignKey("tenants.Clinic", verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="settlement_requests")
    platform = models.ForeignKey("platform_catalogue.Platform", verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="settlement_requests")
    batch_id = models.PositiveIntegerField()  # the batch in the clinic's schema
    quarter = models.DateField(_("quarter"))
    method = models.CharField(_("settlement method"), max_length=10, choices=Method.choices)
    amount = models.DecimalField(_("settlement amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    invoice_type = models.CharField(_("invoice type"), max_length=12, choices=InvoiceType.choices, blank=True)
    payout = models.DecimalField(_("amount paid out"), **MONEY)
    account_holder = models.CharField(_("account holder"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    account_number = models.CharField(_("account number"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.REQUESTED)
    requested_at = models.DateTimeField(_("requested"))
    requested_by = models.CharField(_("requested by"), max_length=200)
    invoice_received_at = models.DateTimeField(_("invoice received"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    transaction_number = models.CharField(_("bank transaction number"), max_length=100, blank=True)
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("processed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("settlement request")
        verbose_name_plural = _("settlement requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "batch_id"], name="payouts_one_request_per_batch"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(payout__gt=0) & Q(payout__lte=models.F("amount")),
                                   name="payouts_amounts"),
            models.CheckConstraint(condition=~Q(status="paid") | (Q(paid_on__isnull=False) & ~Q(transaction_number="")),
                                   name="payouts_paid_has_transaction"),
        ]

    def __str__(self):
        return f"{self.clinic} · {self.platform} · {self.quarter:%Y-%m}"


class ConsumablesVoucher(models.Model):
    """A voucher of exactly a settlement's amount, valid three years, no minimum spend, used
    once and whole in the operator's shop."""

    clinic = models.ForeignKey("tenants.Clinic", verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="vouchers")
    request = models.OneToOneField(SettlementRequest, on_delete=models.PROTECT, related_name="voucher")
    code = models.CharField(_("voucher number"), max_length=20, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    issued_at = models.DateTimeField(_("issued"))
    expires_on = models.DateField(_("valid until"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("consumables voucher")
        verbose_name_plural = _("consumables vouchers")
        ordering = ["-issued_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_voucher_positive")]

    def __str__(self):
        return self.code


class ShopItem(models.Model):
    """A consumable in the operator's shop."""

    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(_("price"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("shop item")
        verbose_name_plural = _("shop items")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="payouts_item_price_positive")]

    def __str__(self):
        return self.name


class ShopOrder(models.Model):
    clinic = models.ForeignKey("tenants.Clinic", verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="shop_orders")
    lines = models.JSONField(_("items"), default=list)  # [{"item": id, "name": ..., "quantity": n, "price": "..."}]
    total = models.DecimalField(_("total"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    voucher = models.OneToOneField(ConsumablesVoucher, verbose_name=_("voucher"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="shop_order")
    voucher_deduction = models.DecimalField(_("voucher deduction"), default=0, **MONEY)
    to_pay = models.DecimalField(_("to pay"), **MONEY)
    ordered_at = models.DateTimeField(_("ordered"))
    ordered_by = models.CharField(_("ordered by"), max_length=200)

    class Meta:
        verbose_name = _("shop order")
        verbose_name_plural = _("shop orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(to_pay__gte=0) & Q(voucher_deduction__gte=0),
                                              name="payouts_shop_order_amounts")]

    def __str__(self):
        return f"#{self.pk}"


class SettlementWindow(models.Model):
    """An off-cycle settlement window the operator opens for one clinic, with a reason."""

    # A window goes with its clinic; requests, vouchers and shop orders (money) keep a clinic
    # from being dropped.
    clinic = models.ForeignKey("tenants.Clinic", verbose_name=_("clinic"), on_delete=models.CASCADE,
                               related_name="settlement_windows")
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))
    reason = models.CharField(_("reason"), max_length=300)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement window")
        verbose_name_plural = _("settlement windows")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="payouts_window_period"),
            models.CheckConstraint(condition=~Q(reason=""), name="payouts_window_reason"),
        ]

    def __str__(self):
        return f"{self.clinic}: {self.opens_on} – {self.closes_on}"
