"""The partner portal on the public host: who may enter, and its first page."""

from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy

from clinic.accounts.views import PasswordChangeView

from .forms import PartnerAuthenticationForm
from .services import membership_of


def portal_view(view):
    """Require a logged-in user of a partner company; operators and others get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "portal_login")
        membership = membership_of(request.user)
        if membership is None or not request.user.is_active:
            raise PermissionDenied
        if request.user.must_change_password and request.path != reverse("portal_password_change"):
            return redirect("portal_password_change")
        request.partner_membership = membership
        return view(request, *args, **kwargs)

    return wrapper


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PartnerAuthenticationForm

    def get_default_redirect_url(self):
        return reverse("portal_home")


portal_logout = auth_views.LogoutView.as_view(next_page="portal_login")


@portal_view
def portal_home(request):
    membership = request.partner_membership
    return render(
        request,
        "portal/home.html",
        {"membership": membership, "organisation": membership.organisation},
    )


portal_password_change = portal_view(PasswordChangeView.as_view(success_url=reverse_lazy("portal_home")))


def _being_written(request, *args, **kwargs):
    from django.http import Http404

    raise Http404


portal_register = portal_terms = invitation_answer = user_list = user_create = user_edit = _being_written
