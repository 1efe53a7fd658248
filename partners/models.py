"""A clinic's partners (each clinic's schema): what a partner company may book here, on what
terms, and the bookings it made.

The partner company and its users live in the public schema (``partners.organisations``). A
partnership points at its company without a database constraint: the company's table is in
another schema. A partner user is public too, so a booking keeps the user's id and name as
they were, not a foreign key into this schema's users.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models import MONEY
from clinic.fields import SequenceNumberField

REFERENCE_SEQUENCE = "partners_booking_reference_seq"


class PaymentPlace(models.TextChoices):
    PARTNER = "partner", _("At the partner")
    CLINIC = "clinic", _("At the clinic")


class Partnership(models.Model):
    organisation = models.ForeignKey(
        "partner_organisations.PartnerOrganisation", verbose_name=_("partner company"), db_constraint=False,
        on_delete=models.DO_NOTHING, related_name="+",
    )
    locations = models.ManyToManyField("clinic.Location", verbose_name=_("locations"), related_name="+",
                                       blank=True)
    # The traffic channels: services this partner may book.
    services = models.ManyToManyField("clinic.Service", verbose_name=_("services"), related_name="partnerships",
                                      blank=True)
    commission = models.BooleanField(_("commission"), default=False)
    commission_percent = models.DecimalField(_("commission (%)"), max_digits=5, decimal_places=2, default=0)
    payment_place = models.CharField(_("place of payment"), max_length=10, choices=PaymentPlace.choices,
                                     default=PaymentPlace.CLINIC)
    patient_data_access = models.BooleanField(_("access to patient data"), default=False)
    # The partner company as the clinic's counterparty: what it collected for the clinic and
    # the commission the clinic owes it are on it (billing.ledger), found by this key, never by name.
    counterparty = models.OneToOneField("billing.Counterparty", null=True, editable=False,
                                        on_delete=models.PROTECT, related_name="partnership")
    added = models.DateTimeField(_("added"), auto_now_add=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        permissions = [
            ("view_partner_statistics", _("Can see the statistics sent by partners")),
            ("cancel_partner_booking", _("Can cancel a partner's booking")),
        ]
        constraints = [
            models.UniqueConstraint("organisation", name="partners_one_partnership_per_company"),
            models.CheckConstraint(condition=Q(commission_percent__gte=0, commission_percent__lte=100),
                                   name="partners_commission_percent_range"),
        ]

    def __str__(self):
        return self.organisation.name

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def percent(self):
        """The commission percent in force (0 without a commission agreement)."""
        return self.commission_percent if self.commission else 0


class PartnerBooking(models.Model):
    """An appointment a partner's user booked: its reference, who booked, on what terms."""

    reference = SequenceNumberField(_("reference"), REFERENCE_SEQUENCE)
    appointment = models.OneToOneField("scheduling.Appointment", verbose_name=_("appointment"),
                                       on_delete=models.PROTECT, related_name="partner_booking")
    partnership = models.ForeignKey(Partnership, verbose_name=_("partner"), on_delete=models.PROTECT,
                                    related_name="bookings")
    booked_by_id = models.BigIntegerField(_("booked by (partner user)"), db_index=True)
    booked_by_name = models.CharField(_("booked by"), max_length=150)
    payment_place = models.CharField(_("place of payment"), max_length=10, choices=PaymentPlace.choices)
    value = models.DecimalField(_("value of the booked services"), **MONEY)
    commission_percent = models.DecimalField(_("commission (%)"), max_digits=5, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    # Paid at the partner: the visit's lines are charged to the partner, not to the patient.
    payer = models.ForeignKey("billing.Payer", verbose_name=_("payer"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("booked"), auto_now_add=True, db_index=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, db_index=True)
    cancelled_by_name = models.CharField(_("cancelled by"), max_length=150, blank=True)
    # The ledger's postings of the booking (commission owed, what the partner collected) and
    # of its cancellation (their reversal): the partner's account reads them.
    posting = models.OneToOneField("billing.Posting", null=True, editable=False, on_delete=models.PROTECT,
                                   related_name="partner_booking")
    cancel_posting = models.OneToOneField("billing.Posting", null=True, editable=False, on_delete=models.PROTECT,
                                          related_name="partner_booking_cancelled")

    class Meta:
        verbose_name = _("partner booking")
        verbose_name_plural = _("partner bookings")
        ordering = ["-created"]
        indexes = [models.Index(fields=["partnership", "created"]),
                   models.Index(fields=["partnership", "cancelled_at"])]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="partners_booking_value_positive")]

    def __str__(self):
        return self.code

    @property
    def code(self) -> str:
        """The reference as partners and the clinic quote it."""
        return reference_code(self.reference)


def reference_code(reference: int) -> str:
    """A partner booking's reference as partners and the clinic quote it (also where calendars
    read the bare number with values())."""
    return f"P-{reference:06d}"


class PatientSearch(models.Model):
    """Every search of the clinic's patients by a partner user (access to patient data)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="patient_searches")
    user_id = models.BigIntegerField(_("partner user"))
    user_name = models.CharField(_("partner user"), max_length=150)
    query = models.CharField(_("search"), max_length=100)
    results = models.PositiveSmallIntegerField(_("results"))
    refused = models.BooleanField(_("refused: too many searches"), default=False)
    searched_at = models.DateTimeField(_("searched"), auto_now_add=True)

    class Meta:
        verbose_name = _("patient search by a partner")
        verbose_name_plural = _("patient searches by partners")
        ordering = ["-searched_at"]

    def __str__(self):
        return f"{self.user_name}: {self.query}"


class StatisticsDay(models.Model):
    """The statistics sent by one partner on one day (the clinic's day the bookings were made):
    what ``partners.reports.statistics`` reads instead of every booking of a long period. Never
    a source: each row is folded from the bookings and the ledger by the same query that reads a
    day live (``partners.reports.days``), and a day is read live again as soon as anything its
    figures are made of changes (the triggers of ``StatisticsChange``). Internal: no screen shows
    a row of it."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    zone = models.CharField(max_length=64)  # the clinic's time zone the day was folded in
    bookings = models.PositiveIntegerField()
    live = models.PositiveIntegerField()  # neither the booking nor its appointment cancelled
    billed = models.PositiveIntegerField()  # live bookings whose booked services were charged
    booked = models.DecimalField(**MONEY)  # the live bookings' own figures
    commission_booked = models.DecimalField(**MONEY)
    paid_at_partner = models.DecimalField(**MONEY)
    charged = models.DecimalField(**MONEY)  # the ledger's
    payable = models.DecimalField(**MONEY)
    folded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partnership", "day"], name="partners_statistics_day_once")]
        indexes = [models.Index(fields=["day"], name="partners_statistics_day")]

    def __str__(self):
        return f"{self.partnership_id} {self.day}"


class StatisticsChange(models.Model):
    """A booking whose statistics changed since its day was last folded, by the time it was made
    (its day is the clinic's, reckoned when read). Written by the database's triggers only
    (partners migration 0005), removed by the fold that took it into account."""

    id = models.BigAutoField(primary_key=True)
    booked_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.booked_at:%Y-%m-%d %H:%M}"
