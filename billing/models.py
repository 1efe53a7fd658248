"""Money on the patient's side: visits and their lines, payers, payments, deposits,
promotions, the customer club and CRM — and the one append-only ledger they post to.

The spine (DESIGN.md, "Payer and ledger"): every visit line has exactly one
``Payer``; every financial event appends ``LedgerEntry`` rows keyed by a payer
account. A patient's balance, a deposit's remaining amount, the points
balance, the cash report and the revenue report are sums over those rows,
never numbers stored on the side.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.fields import SequenceNumberField
from clinic.texts import SystemTextField

MONEY = {"max_digits": 14, "decimal_places": 2}


# --- counterparties ------------------------------------------------------------------


class Counterparty(models.Model):
    """Whoever is not a patient and owes or is owed as a whole: a platform, a barter
    company, a partner company (DESIGN.md, "Counterparties").

    Its coverage payers point to it by a foreign key; entries of its own (a transfer
    received, a commission owed, a write-off) sit on it with no patient. Its balance,
    ageing and statement are ledger sums (``billing.ledger``).
    """

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("Platform")
        BARTER_COMPANY = "barter_company", _("Barter company")
        PARTNER = "partner", _("Partner company")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What it stands for in its own app: "agreement:12", "partner:3" (a partner organisation's
    # id in the public schema), "platform:alipay". Never its name: a name may change.
    reference = models.CharField(max_length=100, editable=False)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name", "id"]
        default_permissions = ("view",)
        permissions = [("settle_counterparty", _("Can record and allocate money from counterparties"))]
        constraints = [models.UniqueConstraint(fields=["kind", "reference"], name="billing_counterparty_once")]

    def __str__(self):
        return self.name


# --- payers ------------------------------------------------------------------------


class PayerKind(models.TextChoices):
    PATIENT = "patient", _("Patient")
    PLATFORM_ORDER = "platform_order", _("Platform order")
    BARTER_POLICY = "barter_policy", _("Barter policy")
    PARTNER = "partner", _("Partner")
    BARTER_COMPANY = "barter_company", _("Barter company, beyond the limit")


@dataclass(frozen=True)
class PayerRules:
    """What a kind of payer allows; decided here, in one place each (DESIGN.md)."""

    allows_discounts: bool
    counts_as_revenue: bool  # its lines are the clinic's revenue
    on_tax_certificate: bool  # what it pays may appear on the patient's tax certificate
    earns_points: bool  # the customer club rewards what is paid for its lines
    settled_by: str
    settles_by: tuple[str, ...]  # the payment methods it pays its lines with


PAYER_RULES: dict[str, PayerRules] = {
    PayerKind.PATIENT: PayerRules(True, True, True, True, "patient", ("cash", "card", "transfer", "deposit",
                                                                      "loyalty")),
    # Package items cost the patient nothing; the platform's settlement is neither revenue nor cash (seed 000).
    PayerKind.PLATFORM_ORDER: PayerRules(False, False, False, False, "platform operator", ("platform_settlement",)),
    # No promotion or discount, and no tax-deduction document, for barter treatment (seed 002).
    PayerKind.BARTER_POLICY: PayerRules(False, True, False, False, "barter company", ("transfer",)),
    PayerKind.PARTNER: PayerRules(True, True, False, False, "partner", ("transfer", "card", "cash")),
    # What a barter company pays in money beyond its people's limit (its agreement's overspend rule).
    PayerKind.BARTER_COMPANY: PayerRules(False, True, False, False, "barter company", ("transfer",)),
}


class Payer(models.Model):
    """An account that owes for visit lines: the patient, or a coverage.

    A patient's own account is one row per patient. Coverages (a platform
    order, a barter policy, a partner arrangement) get their row when they are
    created, and point to it from their own model.
    """

    kind = models.CharField(_("payer"), max_length=20, choices=PayerKind.choices)
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="payers"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    # The counterparty a coverage belongs to (a policy's company, a partner); none for the
    # patient's own account.
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="payers")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payer")
        verbose_name_plural = _("payers")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(kind="patient"), name="billing_one_own_account_per_patient"
            ),
            models.CheckConstraint(condition=~Q(kind="patient") | Q(counterparty__isnull=True),
                                   name="billing_own_account_has_no_counterparty"),
        ]

    def __str__(self):
        if self.kind == PayerKind.PATIENT:
            return str(self.get_kind_display())
        return self.name or str(self.get_kind_display())

    def as_text(self) -> str | dict:
        """The payer as a stored system text names it (``clinic.texts``): its name, or "Patient"
        read in the reader's language."""
        from django.utils.translation import gettext_noop

        from clinic.texts import system_text

        if self.kind == PayerKind.PATIENT:
            return system_text(gettext_noop("Patient"))
        return self.name or str(self.get_kind_display())

    @property
    def rules(self) -> PayerRules:
        return PAYER_RULES[self.kind]


# --- visits ------------------------------------------------------------------------


class Visit(models.Model):
    """An admission: the patient is at the clinic and receives services."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    number = SequenceNumberField(_("visit number"), "billing_visit_number_seq")
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="visits"
    )
    appointment = models.OneToOneField(
        "scheduling.Appointment", verbose_name=_("appointment"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="visit",
    )
    location = models.ForeignKey("clinic.Location", verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="+")
    practitioner = models.ForeignKey(
        "clinic.Practitioner", verbose_name=_("practitioner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-opened_at"]
        default_permissions = ("view", "add", "change")
        indexes = [models.Index(fields=["patient", "-opened_at"], name="billing_visit_patient")]

    def __str__(self):
        return f"#{self.number}"


class VisitLine(models.Model):
    """A service received, at a price, owed by one payer. Never edited in place once
    posted: a mistake is voided (with a reason) and entered again."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="lines")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), on_delete=models.PROTECT,
                                related_name="+")
    description = models.CharField(_("description"), max_length=200)
    practitioner = models.ForeignKey(
        "clinic.Practitioner", verbose_name=_("practitioner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    list_price = models.DecimalField(_("price-list price"), **MONEY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    price_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("price changed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    promotion = models.ForeignKey("Promotion", verbose_name=_("promotion"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    discount_reason = models.CharField(_("reason for the discount"), max_length=200, blank=True)
    discount_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    payer = models.ForeignKey(Payer, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="lines")
    currency = models.CharField(_("currency"), max_length=3)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The rest of a line a coverage took only in part (e.g. beyond a barter limit).
    split_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="split_rest")
    # A split line's quantity is 1 (its amount is a share); how many of the service the split stands for:
    split_quantity = models.PositiveIntegerField(null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)  # a person's words
    void_details = SystemTextField(_("reason for voiding"), shown_with="void_reason")  # or the system's

    class Meta:
        verbose_name = _("visit line")
        verbose_name_plural = _("visit lines")
        ordering = ["created", "id"]
        default_permissions = ("view", "add")
        permissions = [
            ("change_line_price", _("Can charge another price than the price list's")),
            ("give_discount", _("Can give a manual discount")),
            ("void_visitline", _("Can void a visit line")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="billing_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="billing_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=F("unit_price") * F("quantity")),
                name="billing_line_discount_within_amount",
            ),
        ]

    def __str__(self):
        return self.description

    def get_additional_data(self):
        # Lets the visit's audit trail include its lines.
        return {"visit": self.visit_id}

    @property
    def gross(self):
        return self.unit_price * self.quantity

    @property
    def void_text(self) -> str:
        """Why the line was voided, in the current language when the system voided it."""
        from clinic.texts import read_text

        return read_text(self.void_details) or self.void_reason

    @property
    def net(self):
        return self.gross - self.discount


# --- promotions ----------------------------------------------------------------------


class Promotion(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent")
        AMOUNT = "amount", _("Fixed amount")

    name = models.CharField(_("name"), max_length=120)
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("clinic.ServiceCategory", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.DecimalField(_("value"), **MONEY)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-valid_from", "name"]
        default_permissions = ("view", "add", "change")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="billing_promotion_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="billing_promotion_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="billing_promotion_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.name


# --- payments and deposits -------------------------------------------------------------


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Bank transfer")
    DEPOSIT = "deposit", _("From a deposit")
    LOYALTY = "loyalty", _("Customer club credit")
    PLATFORM_SETTLEMENT = "platform_settlement", _("Platform settlement")
    # A platform's cash voucher the patient bought there: the platform owes it to the clinic.
    CASH_VOUCHER = "cash_voucher", _("Cash-voucher principal")


# Money that moves into or out of the till or the bank. Deposit use and club credit
# spend money received earlier (or never); a platform settlement is neither cash
# flow nor revenue (seed 000).
CASH_FLOW_METHODS = [Method.CASH, Method.CARD, Method.TRANSFER]
# What a patient may pay a deposit with, or get a refund of one by.
DEPOSIT_METHODS = CASH_FLOW_METHODS


class Payment(models.Model):
    """A payment (positive) or a refund (negative, pointing to its payment); never edited."""

    number = SequenceNumberField(_("receipt number"), "billing_receipt_number_seq")
    patient = models.ForeignKey("patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT,
                                related_name="payments")
    payer = models.ForeignKey(Payer, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="payments")
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="payments")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    tendered = models.DecimalField(_("cash tendered"), null=True, blank=True, **MONEY)
    change = models.DecimalField(_("change"), default=0, **MONEY)
    deposit = models.ForeignKey("Deposit", verbose_name=_("deposit"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="uses")
    points = models.BigIntegerField(_("points"), default=0)
    refund_of = models.ForeignKey("self", verbose_name=_("refund of"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="refunds")
    reason = models.CharField(_("reason"), max_length=200, blank=True)  # a person's words
    reason_details = SystemTextField(_("reason"), shown_with="reason")  # or the system's
    # One payment in several methods (part cash, part card) is one row per method; the
    # later parts point to the first, whose receipt lists them all.
    part_of = models.ForeignKey("self", verbose_name=_("part of payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="other_parts")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cashier"), null=True,
                                on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created", "-id"]
        default_permissions = ("view", "add")
        permissions = [
            ("refund_payment", _("Can refund a payment")),
            ("view_cash_report", _("Can see the cash report")),
            ("view_revenue_report", _("Can see the revenue report")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="billing_payment_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=0, refund_of__isnull=True) | Q(amount__lt=0, refund_of__isnull=False),
                name="billing_refund_is_negative_and_points_to_its_payment",
            ),
            models.CheckConstraint(condition=Q(change__gte=0), name="billing_change_not_negative"),
        ]
        indexes = [models.Index(fields=["created"], name="billing_payment_created")]

    def __str__(self):
        return f"#{self.number}"

    def get_additional_data(self):
        # Lets the visit's audit trail include its payments.
        return {"visit": self.visit_id}

    @property
    def is_refund(self) -> bool:
        return self.refund_of_id is not None

    @property
    def reason_text(self) -> str:
        """The payment's reason or note, in the current language when the system wrote it."""
        from clinic.texts import read_text

        return read_text(self.reason_details) or self.reason

    @property
    def receipt_id(self) -> int:
        """The payment whose receipt lists this one (itself, or the first of its parts)."""
        return self.part_of_id or self.pk


class Deposit(models.Model):
    """Money paid ahead for future services; what remains is a sum over the ledger."""

    number = SequenceNumberField(_("deposit number"), "billing_receipt_number_seq")
    patient = models.ForeignKey("patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT,
                                related_name="deposits")
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-created", "-id"]
        default_permissions = ("view", "add")
        permissions = [("refund_deposit", _("Can refund a deposit"))]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_deposit_positive")]

    def __str__(self):
        return f"#{self.number}"


# --- the ledger ------------------------------------------------------------------------


class Entry(models.TextChoices):
    CHARGE = "charge", _("Charge")
    DISCOUNT = "discount", _("Discount")
    VOID = "void", _("Voided line")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    DEPOSIT_RECEIVED = "deposit_received", _("Deposit received")
    DEPOSIT_APPLIED = "deposit_applied", _("Deposit used")
    DEPOSIT_RETURNED = "deposit_returned", _("Deposit use refunded")
    DEPOSIT_REFUNDED = "deposit_refunded", _("Deposit refunded")
    POINTS_EARNED = "points_earned", _("Points earned")
    POINTS_REDEEMED = "points_redeemed", _("Points redeemed")
    WRITE_OFF = "write_off", _("Written off")
    # A counterparty's own entries.
    RECEIVED = "received", _("Money received")
    ALLOCATED = "allocated", _("Allocated")
    UNALLOCATED = "unallocated", _("Allocation undone")
    COMMISSION = "commission", _("Commission")
    VOUCHER_USED = "voucher_used", _("Consumables voucher used")


class Bucket(models.TextChoices):
    # What the payer or counterparty owes (+) or has paid in excess (−).
    DEBT = "debt", _("Balance")
    # Money the patient paid ahead and has not used (+).
    DEPOSIT = "deposit", _("Deposits")
    # Customer-club points (the entry's ``points``; its amount is zero).
    POINTS = "points", _("Customer club")
    # What the clinic owes a counterparty (+), e.g. a partner's commission.
    PAYABLE = "payable", _("Owed by the clinic")
    # A leg on one of the clinic's own accounts (``LedgerEntry.book``).
    BOOK = "book", _("Clinic account")


class Book(models.TextChoices):
    """The clinic's own accounts: the other side of every payer's or counterparty's entry."""

    REVENUE = "revenue", _("Revenue")
    REVENUE_BARTER = "revenue.barter", _("Revenue from barter")
    REVENUE_PARTNER = "revenue.partner", _("Revenue from partners")
    PLATFORM_CLEARING = "platform.clearing", _("Platform settlement clearing")
    PLATFORM_RECEIVABLE = "platform.receivable", _("Platform settlement receivable")
    TILL_CASH = "till.cash", _("Cash")
    TILL_CARD = "till.card", _("Card clearing")
    TILL_TRANSFER = "till.transfer", _("Bank")
    CLUB_CREDIT = "club.credit", _("Customer club credit given")
    WRITE_OFF = "write_off", _("Written off")
    COMMISSION = "commission", _("Commission to partners")
    # A platform pays an ordinary invoice's amount / 1.06: the rest of the settlement is withheld.
    INVOICE_TAX = "invoice.tax", _("Tax withheld on ordinary invoices")
    # A platform may settle in consumables vouchers, spent in the operator's shop.
    VOUCHERS = "vouchers", _("Consumables vouchers held")
    CONSUMABLES = "consumables", _("Consumables bought with vouchers")


# The side each account's balance is kept on: +1 an asset or an expense (debit), −1 a
# liability or revenue (credit). A posting balances when Σ amount × side = 0 over its legs.
DEBIT, CREDIT = 1, -1
BUCKET_SIDE = {Bucket.DEBT: DEBIT, Bucket.DEPOSIT: CREDIT, Bucket.POINTS: DEBIT, Bucket.PAYABLE: CREDIT}
BOOK_SIDE = {
    Book.REVENUE: CREDIT, Book.REVENUE_BARTER: CREDIT, Book.REVENUE_PARTNER: CREDIT,
    Book.PLATFORM_CLEARING: CREDIT,
    Book.PLATFORM_RECEIVABLE: DEBIT, Book.TILL_CASH: DEBIT, Book.TILL_CARD: DEBIT, Book.TILL_TRANSFER: DEBIT,
    Book.CLUB_CREDIT: DEBIT, Book.WRITE_OFF: DEBIT, Book.COMMISSION: DEBIT,
    Book.INVOICE_TAX: DEBIT, Book.VOUCHERS: DEBIT, Book.CONSUMABLES: DEBIT,
}


class Posting(models.Model):
    """One balanced transaction of the ledger: two or more legs whose amounts, each on its
    account's side, sum to zero. The database refuses an unbalanced one at commit (a
    deferred constraint trigger, as django-hordak does it)."""

    kind = models.CharField(max_length=20, choices=Entry.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["created", "id"]
        default_permissions = ()

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger entries are never changed.")

    def delete(self):
        raise TypeError("Ledger entries are never deleted.")


class LedgerEntry(models.Model):
    """One leg of a posting, on exactly one account: a payer's (a patient's own account or a
    coverage, in a bucket), a counterparty's, or one of the clinic's books. Written only by
    ``billing.ledger``; the database refuses changes and deletions."""

    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(Payer, null=True, on_delete=models.PROTECT, related_name="entries")
    counterparty = models.ForeignKey(Counterparty, null=True, on_delete=models.PROTECT, related_name="entries")
    book = models.CharField(max_length=30, choices=Book.choices, blank=True)
    bucket = models.CharField(max_length=10, choices=Bucket.choices)
    # +1 debit side, −1 credit side: the posting balances on Σ amount × side.
    side = models.SmallIntegerField()
    kind = models.CharField(max_length=20, choices=Entry.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    points = models.BigIntegerField(default=0)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, on_delete=models.PROTECT,
                                related_name="ledger_entries")
    visit = models.ForeignKey(Visit, null=True, on_delete=models.PROTECT, related_name="entries")
    line = models.ForeignKey(VisitLine, null=True, on_delete=models.PROTECT, related_name="entries")
    payment = models.ForeignKey(Payment, null=True, on_delete=models.PROTECT, related_name="entries")
    deposit = models.ForeignKey(Deposit, null=True, on_delete=models.PROTECT, related_name="entries")
    # A counterparty's transfer and what it was allocated to.
    receipt = models.ForeignKey("CounterpartyReceipt", null=True, on_delete=models.PROTECT, related_name="entries")
    allocation = models.ForeignKey("Allocation", null=True, on_delete=models.PROTECT, related_name="entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField()

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["created", "id"]
        default_permissions = ()
        indexes = [
            models.Index(fields=["patient", "created"], name="billing_ledger_patient"),
            models.Index(fields=["account", "bucket"], name="billing_ledger_account"),
            models.Index(fields=["created"], name="billing_ledger_created"),
            models.Index(fields=["deposit"], condition=Q(deposit__isnull=False), name="billing_ledger_deposit"),
            models.Index(fields=["posting"], name="billing_ledger_posting"),
            models.Index(fields=["counterparty", "created"], condition=Q(counterparty__isnull=False),
                         name="billing_ledger_counterparty"),
            models.Index(fields=["book", "created"], condition=~Q(book=""), name="billing_ledger_book"),
            # A coverage's open items (per visit) and balance read from the index alone: the
            # receivables' ageing and a counterparty's balance never visit the table.
            models.Index(fields=["account", "visit"], include=["created", "amount"], condition=Q(bucket="debt"),
                         name="billing_ledger_debt"),
        ]
        constraints = [
            # Exactly one account: a payer's, a counterparty's, or a book.
            models.CheckConstraint(
                condition=(Q(account__isnull=False, counterparty__isnull=True, book="")
                           | Q(account__isnull=True, counterparty__isnull=False, book="")
                           | (Q(account__isnull=True, counterparty__isnull=True) & ~Q(book=""))),
                name="billing_ledger_one_account",
            ),
            models.CheckConstraint(condition=Q(book="") | Q(bucket="book"), name="billing_ledger_book_bucket"),
            models.CheckConstraint(condition=Q(side__in=[1, -1]), name="billing_ledger_side"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Ledger entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are never deleted.")


# --- settling with counterparties -------------------------------------------------------


class CounterpartyReceipt(models.Model):
    """Money a counterparty sent (a bank transfer); allocated to what it owes, the rest held
    as its credit."""

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"), on_delete=models.PROTECT,
                                     related_name="receipts")
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("bank reference"), max_length=100)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("money received")
        verbose_name_plural = _("money received")
        ordering = ["-received_on", "-id"]
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_receipt_positive")]

    def __str__(self):
        return f"{self.reference} · {self.amount} {self.currency}"


class Allocation(models.Model):
    """A part of a receipt applied to one coverage's debt for one visit (or undone, with a reason)."""

    receipt = models.ForeignKey(CounterpartyReceipt, on_delete=models.PROTECT, related_name="allocations")
    payer = models.ForeignKey(Payer, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY)
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    undo_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["created", "id"]
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_allocation_positive")]

    def __str__(self):
        return f"{self.amount}"


# --- the customer club and CRM ----------------------------------------------------------


class BillingSettings(models.Model):
    """The clinic's rules for money; one row per clinic schema."""

    points_per_unit = models.DecimalField(
        _("points per unit of currency paid"), max_digits=8, decimal_places=4, default=0,
        help_text=_("0 switches the customer club off."),
    )
    point_value = models.DecimalField(_("value of one point"), default=1, **MONEY)

    class Meta:
        verbose_name = _("billing settings")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(points_per_unit__gte=0), name="billing_points_rate_not_negative"),
            models.CheckConstraint(condition=Q(point_value__gt=0), name="billing_point_value_positive"),
        ]

    def __str__(self):
        return str(_("billing settings"))

    @classmethod
    def load(cls) -> BillingSettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class Activity(models.Model):
    """A CRM task about a patient: a call, a reminder, a follow-up."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        REMINDER = "reminder", _("Reminder")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    patient = models.ForeignKey("patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT,
                                related_name="activities")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    due_date = models.DateField(_("due date"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT,
                                 related_name="activities")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("CRM activity")
        verbose_name_plural = _("CRM activities")
        ordering = ["due_date", "id"]
        default_permissions = ("view", "add", "change")
        indexes = [
            models.Index(fields=["assignee", "status", "due_date"], name="billing_activity_assignee"),
            models.Index(fields=["patient", "-created"], name="billing_activity_patient"),
        ]

    def __str__(self):
        return self.subject
