"""Staff members of a clinic and their roles."""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.tasks import send_email_after_commit

from .models import User
from .roles import Role


def clinic_url(domain: str, path: str) -> str:
    return settings.SITE_URL_TEMPLATE.format(domain=domain) + path


def set_password_link(user: User, domain: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", urlconf="config.urls", args=(uid, token))
    return clinic_url(domain, path)


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise DomainError(_("Unknown role."), field="roles")
    return roles


def invite_staff_member(
    *,
    email: str,
    full_name: str,
    roles: Iterable[str],
    actor: User | None,
    domain: str,
    password: str | None = None,
    must_change_password: bool = True,
    language: str = "",
) -> User:
    """Add a staff member with roles; without a password, mail a link to set one."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except Exception as exc:
        raise DomainError(_("Enter a valid email address."), field="email") from exc
    if not full_name.strip():
        raise DomainError(_("Enter the person's full name."), field="full_name")
    roles = _check_roles(roles)
    with transaction.atomic(), set_actor(actor):
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError(_("A staff member with this email address already exists."), field="email")
        user = User.objects.create_user(
            email,
            full_name.strip(),
            password=password,
            must_change_password=bool(password) and must_change_password,
            language=language,
        )
        user.groups.set(Group.objects.filter(name__in=roles))
        if password is None:
            link = set_password_link(user, domain)
            with translation.override(language or translation.get_language()):
                subject = _("Your Clinic Channels account")
                body = render_to_string(
                    "accounts/email/invitation.txt", {"user": user, "link": link, "domain": domain}
                )
            send_email_after_commit(subject, body, [user.email])
    return user


def update_staff_member(
    user: User, *, actor: User, full_name: str, roles: Iterable[str], is_active: bool, language: str = ""
) -> User:
    roles = _check_roles(roles)
    if not full_name.strip():
        raise DomainError(_("Enter the person's full name."), field="full_name")
    with transaction.atomic(durable=True), set_actor(actor):
        # One staff change at a time: two managers demoting each other at once
        # must not both see the other as the remaining manager.
        Group.objects.select_for_update().get(name=Role.MANAGER)
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.pk == actor.pk and (not is_active or Role.MANAGER not in roles):
            raise DomainError(
                _("You cannot remove your own manager role or deactivate yourself."), field="roles"
            )
        if Role.MANAGER not in roles or not is_active:
            other_managers = (
                User.objects.filter(groups__name=Role.MANAGER, is_active=True).exclude(pk=user.pk).exists()
            )
            if not other_managers:
                raise DomainError(_("The clinic must keep at least one active manager."), field="roles")
        user.full_name = full_name.strip()
        user.is_active = is_active
        user.language = language
        user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
    return user
