"""A clinic's platform orders (seed 000): channel inventory, orders and their history.

An order arrives signed from its platform (``platforms.intake``) or from an import, waits
for the front desk to confirm it (bind or create the patient, book the appointment), and is
redeemed at the visit: a package's services are charged to the order's payer at the
settlement price, a cash voucher pays towards the services it names. What the platform owes
is then a ledger sum on the platform's counterparty (``billing.ledger``), never a field here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class ChannelStock(models.Model):
    """How many of a product the platform may still sell for this clinic (the clinic sets it).
    Intake takes one with a conditional update; a cancelled or refunded order not redeemed
    gives it back."""

    product = models.OneToOneField("platform_catalogue.Product", verbose_name=_("product"),
                                   on_delete=models.PROTECT, related_name="+")
    available = models.PositiveIntegerField(_("available"), default=0)
    changed = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("channel inventory")
        verbose_name_plural = _("channel inventory")
        default_permissions = ("view", "change")
        permissions = [("manage_channels", _("Can apply for platforms and set the channels' inventory"))]
        constraints = [models.CheckConstraint(condition=Q(available__gte=0), name="platforms_stock_not_negative")]

    def __str__(self):
        return f"{self.product}: {self.available}"


class OrderStatus(models.TextChoices):
    NEW = "new", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REDEEMED = "redeemed", _("Redeemed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# The one table of what may follow what (STYLE.md 4). A no-show stays confirmed and is
# re-confirmed with the appointment moved; settlement is the reconciliation app's.
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.NEW: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.REFUNDED},
    OrderStatus.CONFIRMED: {OrderStatus.CONFIRMED, OrderStatus.REDEEMED, OrderStatus.CANCELLED,
                            OrderStatus.REFUNDED},
    OrderStatus.REDEEMED: set(),
    OrderStatus.CANCELLED: set(),
    OrderStatus.REFUNDED: set(),
}
# Orders that still hold a unit of the channel's inventory.
HOLDS_STOCK = (OrderStatus.NEW, OrderStatus.CONFIRMED)


class OrderSource(models.TextChoices):
    API = "api", _("Signed message")
    IMPORT = "import", _("Imported file")


class PlatformOrder(models.Model):
    platform = models.ForeignKey("platform_catalogue.Platform", verbose_name=_("platform"),
                                 on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("platform_catalogue.Product", verbose_name=_("product"),
                                on_delete=models.PROTECT, related_name="+")
    # The platform's own number: one order per number and platform, however often it is sent.
    number = models.CharField(_("platform order number"), max_length=64)
    # What the product was worth when it was sold (a later price change does not reach it).
    kind = models.CharField(_("kind"), max_length=20, choices=[
        ("package", _("Standard package")), ("cash_voucher", _("Cash voucher"))])
    price = models.DecimalField(_("settlement price or face value"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    # The patient as the platform sent them; the bound patient may be named otherwise.
    customer_name = models.CharField(_("name on the order"), max_length=200)
    customer_phone = models.CharField(_("phone on the order"), max_length=32, blank=True)
    purchased_at = models.DateTimeField(_("bought at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=OrderSource.choices, default=OrderSource.API)
    message_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.NEW)
    patient = models.ForeignKey("patients.Patient", verbose_name=_("patient"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="platform_orders")
    appointment = models.ForeignKey("scheduling.Appointment", verbose_name=_("appointment"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="platform_orders")
    # The order as a payer of visit lines (a package's services), made when the patient is bound.
    payer = models.OneToOneField("billing.Payer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="platform_order")
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True, db_index=True)
    redeemed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("redeemed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    visit = models.ForeignKey("billing.Visit", verbose_name=_("visit"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="platform_orders")
    # A cash voucher's use: the patient's payment it made at the visit (method "cash-voucher principal").
    voucher_payment = models.OneToOneField("billing.Payment", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="platform_order")
    # The panoramic X-ray taken before redemption, or why it was redeemed without one.
    image = models.FileField(_("panoramic X-ray"), upload_to="platform-orders/%Y/%m/", blank=True)
    no_image_reason = models.CharField(_("reason for redeeming without an image"), max_length=300, blank=True)
    closed_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("platform order")
        verbose_name_plural = _("platform orders")
        ordering = ["-received_at", "-id"]
        default_permissions = ("view", "change")
        permissions = [
            ("redeem_platformorder", _("Can redeem a platform order")),
            ("cancel_platformorder", _("Can cancel a platform order")),
            ("import_platformorders", _("Can import platform orders")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["platform", "number"], name="platforms_order_number_once"),
            models.CheckConstraint(condition=~Q(status="redeemed") | Q(redeemed_at__isnull=False, visit__isnull=False),
                                   name="platforms_redeemed_has_visit"),
            models.CheckConstraint(condition=Q(status="new") | Q(status__in=["cancelled", "refunded"])
                                   | Q(patient__isnull=False), name="platforms_confirmed_has_patient"),
            models.CheckConstraint(condition=Q(price__gt=0), name="platforms_order_price_positive"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="platforms_order_status")]

    def __str__(self):
        return self.number


class OrderEvent(models.Model):
    """Every state change of an order, with who and when: the order's history."""

    order = models.ForeignKey(PlatformOrder, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)  # a person's or the platform's words
    # What the event was about, as data: written out in the reader's language (``text``), never
    # in the language of whoever made the change.
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created", "id"]
        default_permissions = ()

    def __str__(self):
        return f"{self.order} {self.action}"

    @property
    def text(self) -> str:
        """What the history says of the event, in the current language and the clinic's calendar
        and time zone: its details, then its note."""
        from .history import event_text

        return event_text(self.details, self.note)
