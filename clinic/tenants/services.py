"""Creating clinics: a schema cloned from the template, a domain, the first manager."""

from __future__ import annotations

import functools
import secrets
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from clinic.errors import DomainError
from clinic.money import CURRENCIES

from .models import SLUG_VALIDATOR, Clinic, Domain

RESERVED_SLUGS = {"www", "admin", "operator", "portal", "api", "static", "media", "public", "template"}


@dataclass
class NewClinic:
    clinic: Clinic
    manager_email: str
    one_time_password: str | None


def ensure_template_schema() -> Clinic:
    """The template every new clinic is cloned from, migrated like any clinic."""
    template_schema = settings.TENANT_BASE_SCHEMA
    template = Clinic.objects.filter(schema_name=template_schema).first()
    if template is None:
        template = Clinic(
            schema_name=template_schema,
            slug="clinic-template",
            name="Template",
            currency="EUR",
            is_template=True,
        )
        # Migrating the new schema syncs its roles (post_migrate).
        template.save(verbosity=0)
    return template


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clinic_domain(slug: str) -> str:
    return f"{slug}.{settings.PUBLIC_DOMAIN}"


def validate_new_clinic(*, slug, name, currency, time_zone, language, admin_email) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        SLUG_VALIDATOR(slug)
    except Exception:
        errors["slug"] = _("Use 2 to 41 lower-case letters, digits or hyphens, starting with a letter.")
    else:
        if slug in RESERVED_SLUGS:
            errors["slug"] = _("This short name is reserved.")
        elif Clinic.objects.filter(slug=slug).exists() or Domain.objects.filter(domain=clinic_domain(slug)).exists():
            errors["slug"] = _("A clinic with this short name already exists.")
    if not name.strip():
        errors["name"] = _("Enter the clinic's name.")
    if currency not in CURRENCIES:
        errors["currency"] = _("Choose a currency from the list.")
    if time_zone not in known_time_zones():
        errors["time_zone"] = _("Choose a time zone from the list.")
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose a language from the list.")
    try:
        validate_email(admin_email)
    except Exception:
        errors["admin_email"] = _("Enter a valid email address.")
    return errors


def create_clinic(
    *,
    slug: str,
    name: str,
    currency: str,
    time_zone: str,
    language: str,
    admin_email: str,
    admin_name: str = "",
    send_set_password_mail: bool = False,
    password: str | None = None,
) -> NewClinic:
    """Create the clinic's schema, its domain and its first manager.

    The manager gets a one-time password (returned, to be shown once; it must
    be changed at the first login) or, with ``send_set_password_mail``, a mail
    with a link to set one.
    """
    if connection.schema_name != get_public_schema_name():
        raise DomainError(_("Clinics can only be created from the public site."))
    slug = slug.strip().lower()
    admin_email = admin_email.strip().lower()
    errors = validate_new_clinic(
        slug=slug, name=name, currency=currency, time_zone=time_zone, language=language, admin_email=admin_email
    )
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field)

    ensure_template_schema()
    from clinic.accounts.roles import Role, sync_roles
    from clinic.accounts.services import invite_staff_member

    with transaction.atomic():
        clinic = Clinic(
            schema_name="c_" + slug.replace("-", "_"),
            slug=slug,
            name=name.strip(),
            currency=currency,
            time_zone=time_zone,
            default_language=language,
        )
        clinic.save(verbosity=0)
        Domain.objects.create(domain=clinic_domain(slug), tenant=clinic, is_primary=True)
        with schema_context(clinic.schema_name):
            from django.contrib.auth.models import Group

            # The clone carries the template's roles; a template older than the
            # role table is brought up to date here.
            if Group.objects.filter(name__in=Role.values).count() != len(Role.values):
                sync_roles()
            one_time = None if send_set_password_mail else (password or secrets.token_urlsafe(12))
            invite_staff_member(
                email=admin_email,
                full_name=admin_name or admin_email.split("@")[0],
                roles=[Role.MANAGER],
                actor=None,
                password=one_time,
                must_change_password=password is None,
                domain=clinic_domain(slug),
            )
    return NewClinic(clinic=clinic, manager_email=admin_email, one_time_password=one_time)
