"""Partner companies and their users (public schema)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from auditlog.context import set_actor
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from clinic.accounts.models import User
from clinic.errors import DomainError
from clinic.tasks import send_email_after_commit

from .models import TERMS_VERSION, ClinicLink, PartnerOrganisation, PartnerUser, TermsAcceptance


def public_url(path: str) -> str:
    """A full link to a page of the public host (the portal)."""
    from django.conf import settings

    from clinic.accounts.services import clinic_url

    return clinic_url(settings.PUBLIC_DOMAIN, path)


def registration_link(user) -> str:
    """The link a new portal user follows to choose a password."""
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return public_url(reverse("portal_register", urlconf="config.urls_public", args=(uid, token)))


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


# --- the portal's administration: registering, the terms, invitations, the company's users ---


def terms_accepted(organisation: PartnerOrganisation) -> TermsAcceptance | None:
    """The company's acceptance of the current terms, or None."""
    with schema_context("public"):
        return (TermsAcceptance.objects.select_related("accepted_by")
                .filter(organisation=organisation, version=TERMS_VERSION).first())


def registering_user(uidb64: str, token: str) -> PartnerUser | None:
    """The partner user a registration link is for, or None when the link is invalid or used.

    The token is Django's password-reset token: setting the password (or logging in) spends it.
    """
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    with schema_context("public"):
        member = PartnerUser.objects.select_related("user", "organisation").filter(user_id=pk).first()
    if member is None or not member.user.is_active or not default_token_generator.check_token(member.user, token):
        return None
    return member


def must_accept_terms_to_register(member: PartnerUser) -> bool:
    """A company's first registration accepts the terms; a user added later only sets a password
    (and a user who does not manage the company's users never accepts for it)."""
    return member.manages_users and terms_accepted(member.organisation) is None


def register_partner_user(member: PartnerUser, *, token: str, password: str, accept: bool) -> PartnerUser:
    """A partner user opens the registration link: sets the password and, for a company that
    has not accepted the current terms, accepts them (who, when, which version) — together.
    Returns the member as saved (log in with its user: the session keeps the new password's hash)."""
    with schema_context("public"), transaction.atomic(durable=True), set_actor(member.user):
        # Locked, so that two submissions of one link cannot both pass the token check.
        user = User.objects.select_for_update().get(pk=member.user_id)
        if not user.is_active or not default_token_generator.check_token(user, token):
            raise DomainError(_("This link has expired or was already used."))
        member = PartnerUser.objects.select_related("organisation").get(pk=member.pk)
        needs_terms = must_accept_terms_to_register(member)
        if needs_terms and not accept:
            raise DomainError(_("Accept the terms and conditions to register."), field="accept_terms")
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        member.user = user
        if needs_terms:
            accept_terms(member)
    return member


def _record_acceptance(member: PartnerUser) -> TermsAcceptance:
    """The company accepts the current terms through ``member`` (once per version)."""
    acceptance, _created = TermsAcceptance.objects.get_or_create(
        organisation=member.organisation, version=TERMS_VERSION, defaults={"accepted_by": member.user})
    return acceptance


def accept_terms(member: PartnerUser) -> TermsAcceptance:
    """A partner user accepts the terms for the company (registration). At the company's first
    acceptance, invitations pending at that moment become active links (registering was the
    answer to them); accepting a later version answers no invitation: those are approved one by
    one in the portal."""
    with schema_context("public"), transaction.atomic():
        first = not TermsAcceptance.objects.filter(organisation_id=member.organisation_id).exists()
        acceptance = _record_acceptance(member)
        if first:
            ClinicLink.objects.filter(organisation=member.organisation, status=ClinicLink.Status.INVITED).update(
                status=ClinicLink.Status.ACTIVE, responded_at=timezone.now(), responded_by=member.user)
        return acceptance


def accept_current_terms(member: PartnerUser) -> TermsAcceptance:
    """A user who manages the company's users accepts the current terms for it (a new version).

    Pending invitations stay pending: they are approved or declined one by one on the portal's
    home page.
    """
    if not member.manages_users:
        raise DomainError(_("Only a user who manages the company's users may accept the terms."))
    with schema_context("public"), transaction.atomic(durable=True):
        return _record_acceptance(member)


def answer_invitation(member: PartnerUser, link_id: int, *, accept: bool) -> ClinicLink:
    """Approve or decline a clinic's invitation (the link is locked: answered once)."""
    if not member.manages_users:
        raise DomainError(_("Only a user who manages the company's users may answer invitations."))
    with schema_context("public"), transaction.atomic():
        link = ClinicLink.objects.select_for_update().filter(
            pk=link_id, organisation=member.organisation).select_related("clinic").first()
        if link is None:
            raise DomainError(_("This invitation does not exist."))
        if link.status != ClinicLink.Status.INVITED:
            raise DomainError(_("This invitation was answered already."))
        link.status = ClinicLink.Status.ACTIVE if accept else ClinicLink.Status.DECLINED
        link.responded_at, link.responded_by = timezone.now(), member.user
        link.save()
        return link


def clinic_links(organisation: PartnerOrganisation) -> list[ClinicLink]:
    """The clinics the company works with and the invitations it has not answered yet."""
    with schema_context("public"):
        return list(ClinicLink.objects.select_related("clinic")
                    .filter(organisation=organisation,
                            status__in=(ClinicLink.Status.ACTIVE, ClinicLink.Status.INVITED))
                    .order_by("clinic__name"))


def get_clinic_link_for(member: PartnerUser, pk: int, *, write: bool = False) -> ClinicLink:
    """A clinic link of the member's company; another company's is a 404, answering one
    without managing the company's users a 403."""
    with schema_context("public"):
        link = ClinicLink.objects.select_related("clinic").filter(pk=pk, organisation_id=member.organisation_id).first()
    if link is None:
        raise Http404(_("No such invitation."))
    if write and not member.manages_users:
        raise PermissionDenied
    return link


def company_users(organisation: PartnerOrganisation) -> list[PartnerUser]:
    with schema_context("public"):
        return list(PartnerUser.objects.select_related("user").filter(organisation=organisation)
                    .order_by("-user__is_active", "user__full_name", "user__email"))


def get_partner_user_for(member: PartnerUser, pk: int) -> PartnerUser:
    """A user of the member's company, for its administrator: another company's user is a 404,
    and a member who does not manage the company's users gets a 403."""
    if not member.manages_users:
        raise PermissionDenied
    with schema_context("public"):
        target = PartnerUser.objects.select_related("user").filter(
            pk=pk, organisation_id=member.organisation_id).first()
    if target is None:
        raise Http404(_("No such user."))
    return target


@dataclass
class Permissions:
    """What a partner user may do in the portal."""

    can_book: bool = False
    manages_users: bool = False
    sees_finance: bool = False


def _lock_administrator(member: PartnerUser) -> PartnerUser:
    """Lock the company (one change to its users at a time) and re-read the acting member: two
    administrators removing each other's rights at once must not both succeed."""
    PartnerOrganisation.objects.select_for_update().get(pk=member.organisation_id)
    actor = PartnerUser.objects.select_related("user", "organisation").get(pk=member.pk)
    if not actor.manages_users or not actor.user.is_active:
        raise DomainError(_("You no longer manage your company's users."))
    return actor


def add_partner_user(member: PartnerUser, *, full_name: str, email: str, permissions: Permissions) -> PartnerUser:
    """A company's administrator adds a user (unlimited); the new user gets an email with a link
    to choose a password."""
    full_name, email = full_name.strip(), email.strip().lower()
    if not full_name:
        raise DomainError(_("Enter the person's full name."), field="full_name")
    try:
        validate_email(email)
    except Exception:
        raise DomainError(_("Enter a valid email address."), field="email") from None
    with schema_context("public"), transaction.atomic(durable=True), set_actor(member.user):
        actor = _lock_administrator(member)
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError(_("This email address already has an account."), field="email")
        user = User.objects.create_user(email, full_name, password=None)
        added = PartnerUser.objects.create(
            user=user, organisation=actor.organisation, can_book=permissions.can_book,
            manages_users=permissions.manages_users, sees_finance=permissions.sees_finance)
        context = {"user": user, "organisation": actor.organisation, "added_by": actor.user,
                   "link": registration_link(user)}
        send_email_after_commit(
            _("Your partner portal account at %(company)s") % {"company": actor.organisation.name},
            render_to_string("portal/email/new_user.txt", context), [user.email])
    return added


def change_partner_user(member: PartnerUser, target: PartnerUser, *, full_name: str, permissions: Permissions,
                        is_active: bool) -> PartnerUser:
    """Change a user's name, permissions and whether they may log in. Nobody removes their own
    right to manage users or deactivates themselves (the company keeps an administrator)."""
    full_name = full_name.strip()
    if not full_name:
        raise DomainError(_("Enter the person's full name."), field="full_name")
    with schema_context("public"), transaction.atomic(durable=True), set_actor(member.user):
        actor = _lock_administrator(member)
        target = PartnerUser.objects.select_related("user").select_for_update(of=("self",)).filter(
            pk=target.pk, organisation_id=actor.organisation_id).first()
        if target is None:
            raise Http404(_("No such user."))
        if target.pk == actor.pk and (not permissions.manages_users or not is_active):
            raise DomainError(_("You cannot remove your own right to manage users or deactivate yourself."),
                              field="manages_users" if is_active else "is_active")
        target.can_book, target.manages_users, target.sees_finance = (
            permissions.can_book, permissions.manages_users, permissions.sees_finance)
        target.save(update_fields=["can_book", "manages_users", "sees_finance"])
        user = target.user
        if (user.full_name, user.is_active) != (full_name, is_active):
            user.full_name, user.is_active = full_name, is_active
            user.save(update_fields=["full_name", "is_active"])
    return target
