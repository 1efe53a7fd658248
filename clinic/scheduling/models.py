"""Appointments: one practitioner, one patient, a time range that never overlaps another live one."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from clinic.texts import SystemTextField


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Status(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    ARRIVED = "arrived", _("Arrived")
    IN_TREATMENT = "in_treatment", _("In treatment")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


# These hold their time: no other live appointment of the practitioner may overlap.
LIVE_STATUSES = [Status.BOOKED, Status.CONFIRMED, Status.ARRIVED, Status.IN_TREATMENT, Status.COMPLETED]


class Source(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web")
    PARTNER = "partner", _("Partner")
    PLATFORM = "platform", _("Platform order")


class Appointment(models.Model):
    location = models.ForeignKey("clinic.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        "clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey("patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="appointments")
    services = models.ManyToManyField("clinic.Service", through="AppointmentService", verbose_name=_("services"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PHONE)
    # Who sent the booking, for partner and platform bookings (filled by later features).
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)  # a person's words
    # What the system says of the appointment (e.g. the patient pays with money now), each a
    # clinic.texts system text read in the reader's language; shown with the note.
    notices = SystemTextField(_("notices"), many=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        default_permissions = ("view", "add", "change")
        permissions = [("view_calendar", _("Can see the calendars"))]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="scheduling_appointment_order"),
            ExclusionConstraint(
                name="scheduling_no_double_booking",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("practitioner", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=LIVE_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="scheduling_location_start"),
            models.Index(fields=["practitioner", "starts_at"], name="scheduling_practitioner_start"),
            models.Index(fields=["patient", "starts_at"], name="scheduling_patient_start"),
        ]

    def __str__(self):
        return f"{self.patient} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def notice_texts(self) -> list[str]:
        from clinic.texts import read_text

        return [read_text(notice) for notice in self.notices]

    @property
    def service_names(self) -> str:
        return ", ".join(service.name for service in self.services.all())


class AppointmentService(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="service_lines")
    service = models.ForeignKey("clinic.Service", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        default_permissions = ()

    def __str__(self):
        return str(self.service)
