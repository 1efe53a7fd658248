"""Statistics sent by partners, partner bookings' cancellation and the partner accounts."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("partners/statistics/", report_views.statistics, name="partner_statistics"),
    path("partners/bookings/<int:pk>/cancel/", report_views.booking_cancel, name="partner_booking_cancel"),
    path("partners/<int:pk>/account/", report_views.account, name="partner_account"),
    path("partners/<int:pk>/account.pdf", report_views.account_pdf, name="partner_account_pdf"),
    path("partners/<int:pk>/account.xlsx", report_views.account_xlsx, name="partner_account_xlsx"),
]
