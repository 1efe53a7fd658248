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
    # The calendar dates are shown in when the page is Persian: Solar Hijri, as Iranian clinics work.
    calendar = models.CharField(_("calendar"), max_length=12, default="gregorian", choices=[
        ("gregorian", _("Gregorian")), ("solar_hijri", _("Solar Hijri (in Persian)"))])
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

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the template; migrate only if the template lacks a migration.

        The clone replays the template's DDL (``clinic.tenants.cloning``), at a
        cost that does not grow with the number of clinics. django-tenants
        follows every clone with a faked ``migrate``. The clone already carries
        the template's migration records, roles and permissions, so that costs
        a third of a clinic's creation for nothing, and would mark as applied a migration the template has not had yet
        (mid-deploy). Here the clone is migrated for real, and only when needed.
        """
        from django.db import connection
        from django_tenants.clone import CloneSchema
        from django_tenants.utils import schema_exists

        from .cloning import UnsupportedTemplate, clone_schema

        base = settings.TENANT_BASE_SCHEMA
        if not sync_schema or self.is_template or not schema_exists(base):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        try:
            clone_schema(base, self.schema_name)
        except UnsupportedTemplate:
            CloneSchema().clone_schema(base, self.schema_name, self.clone_mode)
        connection.set_schema(self.schema_name)
        try:
            if _has_unapplied_migrations(connection):
                from django.core.management import call_command

                call_command(
                    "migrate_schemas", tenant=True, schema_name=self.schema_name, interactive=False, verbosity=verbosity
                )
        finally:
            connection.set_schema_to_public()
        return True

    @property
    def primary_domain(self):
        domain = self.domains.filter(is_primary=True).first()
        return domain.domain if domain else ""


def _has_unapplied_migrations(connection) -> bool:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self):
        return self.domain
