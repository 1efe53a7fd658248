"""Money reports: cash, revenue, unapplied deposits."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("reports/cash/", report_views.cash_report, name="cash_report"),
    path("reports/revenue/", report_views.revenue_report, name="revenue_report"),
    path("reports/deposits/", report_views.unapplied_deposits, name="unapplied_deposits_report"),
]
