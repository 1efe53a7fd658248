"""A clinic's master data: its profile, locations, practitioners and price list."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DayTimeRange(Func):
    """A time-of-day interval as a tsrange on a fixed date, so GiST can compare it."""

    template = "tsrange(DATE '2000-01-01' + %(expressions)s, '[)')"
    arg_joiner = ", DATE '2000-01-01' + "
    output_field = models.Field()


class ClinicProfile(models.Model):
    """The clinic's own details for documents; one row per clinic schema."""

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    two_factor_for_managers = models.BooleanField(
        _("managers and finance sign in with two factors"), default=False,
        help_text=_("They set up an authenticator app at their next sign-in."))

    class Meta:
        verbose_name = _("clinic profile")
        default_permissions = ()
        permissions = [
            ("change_clinic_settings", _("Can change the clinic's settings")),
            ("manage_staff", _("Can manage staff members and their roles")),
            ("view_audit_trail", _("Can read the audit trail")),
        ]

    def __str__(self):
        return self.legal_name or str(_("Clinic profile"))

    @classmethod
    def load(cls) -> "ClinicProfile":
        profile, _created = cls.objects.get_or_create(pk=1)
        return profile


class Location(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        default_permissions = ("view", "add", "change")

    def __str__(self):
        return self.name


class OpeningHours(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["location", "weekday"], name="clinic_opening_hours_one_per_day"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="clinic_opening_hours_order"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def get_additional_data(self):
        # Lets the audit trail of the location include this row.
        return {"location": self.location_id}


class Speciality(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("speciality")
        verbose_name_plural = _("specialities")
        ordering = ["name"]
        default_permissions = ()

    def __str__(self):
        return self.name


class Practitioner(models.Model):
    full_name = models.CharField(_("full name"), max_length=150)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practitioner",
    )
    specialities = models.ManyToManyField(Speciality, verbose_name=_("specialities"), blank=True)
    colour = models.CharField(_("calendar colour"), max_length=7, default="#4f7cac")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["full_name"]
        default_permissions = ("view", "add", "change")

    def __str__(self):
        return self.full_name


class WorkingHours(models.Model):
    """When a practitioner works where, one row per weekday and location."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "starts"]
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="clinic_working_hours_order"),
            # Nobody works at two places at once.
            ExclusionConstraint(
                name="clinic_working_hours_no_overlap",
                expressions=[
                    (F("practitioner"), RangeOperators.EQUAL),
                    (F("weekday"), RangeOperators.EQUAL),
                    (DayTimeRange(F("starts"), F("ends")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M} ({self.location})"

    def get_additional_data(self):
        # Lets the audit trail of the practitioner include this row.
        return {"practitioner": self.practitioner_id}


class Break(models.Model):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="breaks")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("break")
        verbose_name_plural = _("breaks")
        ordering = ["weekday", "starts"]
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="clinic_break_order"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def get_additional_data(self):
        # Lets the audit trail of the practitioner include this row.
        return {"practitioner": self.practitioner_id}


class Absence(models.Model):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="clinic_absence_order"),
        ]

    def __str__(self):
        return f"{self.starts_on} - {self.ends_on}"

    def get_additional_data(self):
        # Lets the audit trail of the practitioner include this row.
        return {"practitioner": self.practitioner_id}


class ServiceCategory(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["name"]
        default_permissions = ()

    def __str__(self):
        return self.name


class Service(models.Model):
    """A line of the main price list."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="services"
    )
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["category__name", "name"]
        default_permissions = ("view", "add", "change")
        permissions = [
            ("import_services", _("Can import the price list")),
            ("export_services", _("Can export the price list")),
        ]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="clinic_service_code_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="clinic_service_price_not_negative"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0, duration_minutes__lte=24 * 60),
                name="clinic_service_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="clinic_service_vat_range"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"
