"""The partner portal on the public host: who may enter, registering and the terms, the first
page with the company's clinics and invitations, and the company's users."""

from functools import partial, wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from clinic.accounts.views import PasswordChangeView
from clinic.errors import DomainError
from partners.organisations import services
from partners.organisations.models import TERMS_VERSION, ClinicLink
from partners.organisations.services import membership_of

from .forms import (
    InvitationAnswerForm,
    PartnerAuthenticationForm,
    PartnerUserEditForm,
    PartnerUserForm,
    RegistrationForm,
    TermsForm,
)


def _remember_language(request) -> None:
    """The language a partner user chose on the portal is kept with the user: the company's
    e-mails are written in its contact's (``partners.services.recipient_language``)."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES) and chosen != request.user.language:
        request.user._meta.model.objects.filter(pk=request.user.pk).update(language=chosen)
        request.user.language = chosen


def portal_view(view=None, *, needs_terms: bool = True):
    """Require a logged-in user of a partner company; operators and others get 403.

    A one-time password is changed first. While the company has not accepted the current terms
    (a new version, say), every page leads to the terms page; the terms page and the password
    change pass ``needs_terms=False``.
    """
    if view is None:
        return partial(portal_view, needs_terms=needs_terms)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "portal_login")
        membership = membership_of(request.user)
        if membership is None or not request.user.is_active:
            raise PermissionDenied
        if request.user.must_change_password and request.path != reverse("portal_password_change"):
            return redirect("portal_password_change")
        if needs_terms and services.terms_accepted(membership.organisation) is None:
            if getattr(request, "htmx", False):  # a fragment request: the whole page goes to the terms
                return HttpResponseClientRedirect(reverse("portal_terms"))
            return redirect("portal_terms")
        request.partner_membership = membership
        _remember_language(request)
        return view(request, *args, **kwargs)

    return wrapper


def _posted(request):
    """The submitted data for a form, also when nothing was ticked (an empty POST is still one)."""
    return request.POST if request.method == "POST" else None


def _administrator(request):
    """The member, when they manage the company's users; anybody else gets 403."""
    member = request.partner_membership
    if not member.manages_users:
        raise PermissionDenied
    return member


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PartnerAuthenticationForm

    def get_default_redirect_url(self):
        return reverse("portal_home")


portal_logout = auth_views.LogoutView.as_view(next_page="portal_login")


@portal_view
def portal_home(request):
    membership = request.partner_membership
    links = services.clinic_links(membership.organisation)
    return render(request, "portal/home.html", {
        "membership": membership,
        "organisation": membership.organisation,
        "active_links": [link for link in links if link.status == ClinicLink.Status.ACTIVE],
        "invitations": [link for link in links if link.status == ClinicLink.Status.INVITED],
    })


portal_password_change = portal_view(PasswordChangeView.as_view(success_url=reverse_lazy("portal_home")),
                                     needs_terms=False)


def portal_register(request, uidb64, token):
    """The link in the registration email: choose a password and, for a company's first user,
    accept the terms; then the user is logged in. A used or invalid link changes nothing."""
    member = services.registering_user(uidb64, token)
    if member is None:
        return render(request, "portal/register.html", {"validlink": False})
    with_terms = services.must_accept_terms_to_register(member)
    form = RegistrationForm(member.user, _posted(request), with_terms=with_terms)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.register_partner_user(member, token=token,
                                                    password=form.cleaned_data["new_password1"],
                                                    accept=form.cleaned_data.get("accept_terms", False))
        except DomainError as error:
            error.add_to(form)
        else:
            login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            if with_terms:
                messages.success(request, _("Welcome to the partner portal: your password is set and %(company)s "
                                            "accepted the terms and conditions.") % {"company": member.organisation})
            else:
                messages.success(request, _("Welcome to the partner portal: your password is set."))
            return redirect("portal_home")
    return render(request, "portal/register.html", {
        "validlink": True, "form": form, "member": member, "organisation": member.organisation,
        "password_fields": [form["new_password1"], form["new_password2"]], "with_terms": with_terms,
        "version": TERMS_VERSION,
    })


@portal_view(needs_terms=False)
def portal_terms(request):
    """The current terms: accepted for the company by a user who manages its users."""
    member = request.partner_membership
    acceptance = services.terms_accepted(member.organisation)
    form = TermsForm(_posted(request))
    if request.method == "POST":
        _administrator(request)
        if acceptance is not None:
            return redirect("portal_home")
        if form.is_valid():
            try:
                services.accept_current_terms(member)
            except DomainError as error:
                error.add_to(form)
            else:
                messages.success(request, _("Your company accepted the terms and conditions (version %(version)s).")
                                 % {"version": TERMS_VERSION})
                return redirect("portal_home")
    return render(request, "portal/terms.html", {
        "form": form, "acceptance": acceptance, "membership": member, "version": TERMS_VERSION,
    })


@portal_view
@require_POST
def invitation_answer(request, pk):
    """Approve (accept=1) or decline (accept=0) a clinic's invitation."""
    member = request.partner_membership
    link = services.get_clinic_link_for(member, pk, write=True)
    form = InvitationAnswerForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    accept = form.cleaned_data["accept"]
    try:
        link = services.answer_invitation(member, link.pk, accept=accept)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if accept:
            messages.success(request, _("You approved the invitation of %(clinic)s: your company can book there now.")
                             % {"clinic": link.clinic.name})
        else:
            messages.success(request, _("You declined the invitation of %(clinic)s.") % {"clinic": link.clinic.name})
    return redirect("portal_home")


@portal_view
def user_list(request):
    member = _administrator(request)
    return render(request, "portal/users.html", {"members": services.company_users(member.organisation),
                                                 "membership": member})


@portal_view
def user_create(request):
    member = _administrator(request)
    form = PartnerUserForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            added = services.add_partner_user(member, full_name=form.cleaned_data["full_name"],
                                              email=form.cleaned_data["email"], permissions=form.permissions())
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("%(name)s was added and has been sent a link to set a password.")
                             % {"name": added.user.full_name})
            return redirect("portal_users")
    return render(request, "portal/user_form.html", {"form": form, "target": None})


@portal_view
def user_edit(request, pk):
    member = _administrator(request)
    target = services.get_partner_user_for(member, pk)
    initial = {"full_name": target.user.full_name, "email": target.user.email, "can_book": target.can_book,
               "manages_users": target.manages_users, "sees_finance": target.sees_finance,
               "is_active": target.user.is_active}
    form = PartnerUserEditForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            target = services.change_partner_user(member, target, full_name=form.cleaned_data["full_name"],
                                                  permissions=form.permissions(),
                                                  is_active=form.cleaned_data["is_active"])
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": target.user.full_name})
            return redirect("portal_users")
    return render(request, "portal/user_form.html", {"form": form, "target": target,
                                                     "is_self": target.pk == member.pk})


