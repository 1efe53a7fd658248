"""URLs of the public domain: landing page, operator console, partner portal (``portal``)."""

from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from clinic.accounts import two_factor_views
from clinic.tenants import views

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says: the same icon.
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "img/favicon.svg"), name="favicon"),
    path("", views.landing, name="landing"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("operator/login/", views.OperatorLoginView.as_view(), name="operator_login"),
    path("operator/logout/", views.operator_logout, name="operator_logout"),
    path("operator/two-factor/", two_factor_views.operator_verify, name="operator_two_factor"),
    path("operator/two-factor/setup/", two_factor_views.operator_setup, name="operator_two_factor_setup"),
    path("operator/", views.clinic_list, name="operator_clinics"),
    path("operator/clinics/new/", views.clinic_create, name="operator_clinic_create"),
    path("", include("platforms.catalogue.operator_urls")),
    path("operator/settlements/", include("reconciliation.operator_urls")),
    path("", include("portal.urls")),
    path("", include("portal.booking_urls")),
    path("", include("platforms.intake_urls")),
]
