"""The public site: a landing page and the operator console."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinic.accounts import two_factor
from clinic.accounts.forms import OperatorAuthenticationForm
from clinic.errors import DomainError

from . import services
from .forms import NewClinicForm
from .models import Clinic


def operator_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "operator_login")
        if not request.user.is_operator:
            raise PermissionDenied
        # Operators always sign in with two factors (clinic.accounts.two_factor).
        step = two_factor.next_step(request)
        if step is not None:
            return redirect("operator_two_factor" if step == "verify" else "operator_two_factor_setup")
        return view(request, *args, **kwargs)

    return wrapper


def landing(request):
    return render(request, "public/landing.html")


class OperatorLoginView(auth_views.LoginView):
    template_name = "public/operator_login.html"
    authentication_form = OperatorAuthenticationForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        from django.urls import reverse

        return reverse("operator_clinics")


operator_logout = auth_views.LogoutView.as_view(next_page="operator_login")


@operator_view
def clinic_list(request):
    clinics = (
        Clinic.objects.exclude(schema_name="public")
        .exclude(is_template=True)
        .prefetch_related("domains")
        .annotate(domain_count=Count("domains"))
        .order_by("name")
    )
    return render(request, "public/clinic_list.html", {"clinics": clinics, "url_template": settings.SITE_URL_TEMPLATE})


@operator_view
def clinic_create(request):
    form = NewClinicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_clinic(
                slug=data["slug"],
                name=data["name"],
                currency=data["currency"],
                time_zone=data["time_zone"],
                language=data["language"],
                admin_email=data["admin_email"],
                admin_name=data["admin_name"],
                send_set_password_mail=True,
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(
                request,
                _("Clinic “%(name)s” was created; %(email)s has been sent a link to set a password.")
                % {"name": created.clinic.name, "email": created.manager_email},
            )
            return redirect("operator_clinics")
    return render(request, "public/clinic_form.html", {"form": form})
