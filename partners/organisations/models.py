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
