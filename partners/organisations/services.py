"""Partner companies and their users (public schema)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from clinic.accounts.models import User
from clinic.errors import DomainError

from .models import PartnerOrganisation, PartnerUser


@dataclass
class NewPartner:
    organisation: PartnerOrganisation
    member: PartnerUser
    one_time_password: str | None


def membership_of(user) -> PartnerUser | None:
    """The user's partner membership, or None (operators, anonymous visitors)."""
    if not user.is_authenticated:
        return None
    try:
        return user.partner_membership
    except PartnerUser.DoesNotExist:
        return None


def create_partner(
    *,
    name: str,
    registration_number: str,
    kind: str,
    contact_name: str,
    contact_email: str,
    address: str = "",
    user_email: str = "",
    user_name: str = "",
    password: str | None = None,
) -> NewPartner:
    """Register a partner company and its first user, who manages its users and may book.

    The first user gets ``password`` or a one-time password (returned once; it
    must be changed at the first login).
    """
    name, registration_number = name.strip(), registration_number.strip()
    contact_email = contact_email.strip().lower()
    user_email = (user_email or contact_email).strip().lower()
    if not name:
        raise DomainError(_("Enter the company's name."), field="name")
    if not registration_number:
        raise DomainError(_("Enter the company's registration number."), field="registration_number")
    if kind not in PartnerOrganisation.Kind.values:
        raise DomainError(_("Choose a type from the list."), field="kind")
    for field, email in (("contact_email", contact_email), ("user_email", user_email)):
        try:
            validate_email(email)
        except Exception:
            raise DomainError(_("Enter a valid email address."), field=field) from None
    with schema_context("public"), transaction.atomic():
        if PartnerOrganisation.objects.filter(registration_number__iexact=registration_number).exists():
            raise DomainError(
                _("A partner company with this registration number already exists."), field="registration_number"
            )
        if User.objects.filter(email__iexact=user_email).exists():
            raise DomainError(_("This email address already has an account."), field="user_email")
        organisation = PartnerOrganisation.objects.create(
            name=name,
            registration_number=registration_number,
            kind=kind,
            address=address.strip(),
            contact_name=contact_name.strip() or user_name.strip(),
            contact_email=contact_email,
        )
        one_time = None if password else secrets.token_urlsafe(12)
        user = User.objects.create_user(
            user_email,
            user_name.strip() or contact_name.strip() or user_email.split("@")[0],
            password=password or one_time,
            must_change_password=password is None,
        )
        member = PartnerUser.objects.create(
            user=user, organisation=organisation, can_book=True, manages_users=True, sees_finance=True
        )
    return NewPartner(organisation=organisation, member=member, one_time_password=one_time)
