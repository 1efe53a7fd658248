"""URLs of a clinic's own site (<slug>.localhost)."""

from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from clinic import views
from clinic.accounts import views as staff_views
from clinic.exports import views as export_views

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says: the same icon.
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "img/favicon.svg"), name="favicon"),
    path("", views.home, name="home"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("clinic.accounts.urls")),
    path("settings/", views.settings_edit, name="settings"),
    path("patients/", include("clinic.patients.urls")),
    path("", include("clinic.scheduling.urls")),
    path("", include("billing.urls")),
    path("", include("partners.urls")),
    path("", include("partners.report_urls")),
    path("platform-orders/", include("platforms.order_urls")),
    path("", include("platforms.redemption_urls")),
    path("", include("platforms.channel_urls")),
    path("reconciliation/", include("reconciliation.urls")),
    path("", include("platforms.import_urls")),
    path("settlement/", include("reconciliation.settlement_urls")),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff_views.staff_edit, name="staff_edit"),
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("practitioners/", views.practitioner_list, name="practitioner_list"),
    path("practitioners/new/", views.practitioner_create, name="practitioner_create"),
    path("practitioners/<int:pk>/", views.practitioner_detail, name="practitioner_detail"),
    path("practitioners/<int:pk>/edit/", views.practitioner_edit, name="practitioner_edit"),
    path("practitioners/<int:pk>/hours/", views.practitioner_hours, name="practitioner_hours"),
    path("practitioners/<int:pk>/breaks/", views.practitioner_breaks, name="practitioner_breaks"),
    path("practitioners/<int:pk>/absences/", views.absence_add, name="absence_add"),
    path("absences/<int:pk>/remove/", views.absence_remove, name="absence_remove"),
    path("services/", views.service_list, name="service_list"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service_edit, name="service_edit"),
    path("services/import/", views.service_import, name="service_import"),
    path("exports/<str:kind>/start/", export_views.export_start, name="export_start"),
    path("exports/<int:pk>/", export_views.export_status, name="export_status"),
    path("exports/<int:pk>/retry/", export_views.export_retry, name="export_retry"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("audit/<str:model>/<int:pk>/", views.audit_trail, name="audit_trail"),
]
