"""Who may open a view: one decorator, checked in every clinic view."""

from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from . import two_factor


def clinic_view(*perms: str):
    """Require a logged-in clinic user holding every permission in ``perms``.

    Anonymous visitors go to the login page; a role without the permission
    gets 403. A user who still has a one-time password must change it first.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not getattr(request, "is_clinic_site", False):
                raise Http404
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            step = two_factor.next_step(request)
            if step is not None:
                target = "accounts:two_factor" if step == "verify" else "accounts:two_factor_setup"
                return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
            if user.must_change_password and request.path != reverse("accounts:password_change"):
                return redirect("accounts:password_change")
            if perms and not user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permissions = perms
        return wrapper

    return decorator
