from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from clinic.money import CURRENCIES

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9-]{1,40}$",
    _("Use 2 to 41 lower-case letters, digits or hyphens, starting with a letter."),
)


def time_zone_choices():
    import zoneinfo

    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class Clinic(TenantMixin):
    """A clinic: one PostgreSQL schema holds all of its data."""

    slug = models.CharField(_("short name"), max_length=41, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(
        _("currency"), max_length=3, choices=[(code, code) for code in CURRENCIES]
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # The template schema new clinics are cloned from; never served.
    is_template = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def primary_domain(self):
        domain = self.domains.filter(is_primary=True).first()
        return domain.domain if domain else ""


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self):
        return self.domain
