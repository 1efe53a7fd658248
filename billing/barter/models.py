"""Barter agreements and the policies of the patients they cover (seed 002)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.texts import SystemTextField

MONEY = {"max_digits": 14, "decimal_places": 2}


class Agreement(models.Model):
    """What a company (or a public person) agreed: which services, until when, and who
    pays beyond a patient's limit."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PUBLIC_PERSON = "public_person", _("Public person")

    class Overspend(models.TextChoices):
        COMPANY = "company", _("The company pays beyond the limit")
        PATIENT = "patient", _("The patient pays beyond the limit")

    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    legal_details = models.TextField(_("legal details"), blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    document = models.FileField(_("signed agreement"), upload_to="barter/", blank=True)
    services = models.ManyToManyField("clinic.Service", verbose_name=_("covered services"), blank=True,
                                      related_name="+")
    categories = models.ManyToManyField("clinic.ServiceCategory", verbose_name=_("covered categories"), blank=True,
                                        related_name="+")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    overspend = models.CharField(_("beyond the limit"), max_length=10, choices=Overspend.choices)
    # The company (or public person) as the clinic's counterparty: its policies' debts and
    # its transfers are on it.
    counterparty = models.OneToOneField("billing.Counterparty", null=True, editable=False,
                                        on_delete=models.PROTECT, related_name="barter_agreement")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("barter agreement")
        verbose_name_plural = _("barter agreements")
        ordering = ["name"]
        default_permissions = ("view", "add", "change")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                                   name="barter_agreement_dates_in_order"),
        ]

    def __str__(self):
        return self.name


class Policy(models.Model):
    """One patient under an agreement, like an insurance policy of the pseudo-insurer
    "Barter": a number, a limit (with its increases); spent and remaining are sums over
    the ledger of its payer."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Reviewed")

    agreement = models.ForeignKey(Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT,
                                  related_name="policies")
    patient = models.ForeignKey("patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT,
                                related_name="barter_policies")
    number = models.CharField(_("policy number"), max_length=40)
    initial_limit = models.DecimalField(_("limit"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    payer = models.OneToOneField("billing.Payer", on_delete=models.PROTECT, related_name="barter_policy")
    # Who pays beyond the limit: the company (a payer of its own) or the patient.
    overspend_payer = models.ForeignKey("billing.Payer", on_delete=models.PROTECT, related_name="+")
    review = models.CharField(_("review"), max_length=10, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("barter policy")
        verbose_name_plural = _("barter policies")
        ordering = ["agreement", "number"]
        default_permissions = ("view", "add", "change")
        permissions = [
            ("review_policy", _("Can review new barter patients")),
            ("increase_limit", _("Can increase a barter limit")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="barter_policy_number_once"),
            models.CheckConstraint(condition=Q(initial_limit__gt=0), name="barter_policy_limit_positive"),
        ]

    def __str__(self):
        return f"{self.agreement} · {self.number}"


class LimitIncrease(models.Model):
    """Added to the initial limit on marketing's word: who, when, why."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="increases")
    amount = models.DecimalField(_("increase"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200, blank=True)  # a person's words
    reason_details = SystemTextField(_("reason"), shown_with="reason")  # or the system's
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("limit increase")
        verbose_name_plural = _("limit increases")
        ordering = ["created", "id"]
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="barter_increase_positive")]

    def __str__(self):
        return f"+{self.amount}"

    @property
    def reason_text(self) -> str:
        """Why the limit was increased, in the current language when the system increased it."""
        from clinic.texts import read_text

        return read_text(self.reason_details) or self.reason

    def get_additional_data(self):
        # Lets the policy's audit trail include its increases.
        return {"policy": self.policy_id}


class TreatmentPlan(models.Model):
    """A public person's treatment: drafted by a doctor, approved by marketing. Only what
    the approved plan holds (or the sales head approved besides) is charged to the policy."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="plan")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("treatment plan")
        verbose_name_plural = _("treatment plans")
        default_permissions = ("view", "add", "change")
        permissions = [
            ("approve_plan", _("Can approve a public person's treatment plan")),
            ("approve_extra", _("Can approve treatment outside an approved plan")),
        ]

    def __str__(self):
        return str(self.policy)


class PlanItem(models.Model):
    """A service in a plan; ``approved_extra`` marks one the sales head added after approval."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="items")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), on_delete=models.PROTECT,
                                related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    approved_extra = models.BooleanField(default=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["created", "id"]
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="barter_plan_item_quantity")]

    def __str__(self):
        return f"{self.service} × {self.quantity}"


class WriteOff(models.Model):
    """Finance writes the barter debt off at the end of treatment; the policy is closed."""

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="write_off")
    amount = models.DecimalField(_("amount written off"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    note = models.CharField(_("note"), max_length=200, blank=True)
    written_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                       related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        default_permissions = ("view", "add")

    def __str__(self):
        return f"{self.policy} · {self.amount} {self.currency}"
