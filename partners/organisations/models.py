"""Partner companies (public schema): one partner may work with many clinics.

What links a partner to a clinic (locations, services, commission) lives in
the clinic's schema, in the ``partners`` app.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class PartnerOrganisation(models.Model):
    class Kind(models.TextChoices):
        MEDICAL_PROVIDER = "medical_provider", _("Other medical provider")
        INDIVIDUAL_DOCTOR = "individual_doctor", _("Individual doctor")
        CALL_CENTRE = "call_centre", _("Outsourced call centre")

    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=40)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150)
    contact_email = models.EmailField(_("contact email"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner company")
        verbose_name_plural = _("partner companies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("registration_number"), name="partner_registration_number_unique")
        ]

    def __str__(self):
        return self.name


class PartnerUser(models.Model):
    """A public-schema user who works for a partner company."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership"
    )
    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.PROTECT, related_name="members")
    can_book = models.BooleanField(_("can book at partner clinics"), default=False)
    manages_users = models.BooleanField(_("manages the company's users"), default=False)
    sees_finance = models.BooleanField(_("sees commissions and accounts"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner user")
        verbose_name_plural = _("partner users")
        ordering = ["organisation", "user__full_name"]

    def __str__(self):
        return f"{self.user} ({self.organisation})"


# The partners' terms and conditions: a new version means every partner accepts again.
TERMS_VERSION = "2026-11"


class TermsAcceptance(models.Model):
    """A partner company accepted the terms and conditions: who, when, which version."""

    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.PROTECT, related_name="acceptances")
    version = models.CharField(_("version"), max_length=20)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("accepted by"),
                                    on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint("organisation", "version", name="partner_terms_once_per_version")]

    def __str__(self):
        return f"{self.organisation} · {self.version}"


class ClinicLink(models.Model):
    """A clinic works with a partner company (public, so the portal lists a partner's clinics
    without visiting every clinic's schema). What the partner may do there lives in the
    clinic's schema (``partners.Partnership``)."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        REMOVED = "removed", _("Removed")

    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.PROTECT, related_name="clinic_links")
    clinic = models.ForeignKey("tenants.Clinic", on_delete=models.CASCADE, related_name="partner_links")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("clinic link")
        verbose_name_plural = _("clinic links")
        constraints = [models.UniqueConstraint("organisation", "clinic", name="partner_one_link_per_clinic")]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return f"{self.organisation} · {self.clinic}"
