"""Money reports: cash, revenue, unapplied deposits; finance's receivables from counterparties."""

from django.urls import path

from . import counterparty_views, report_views

urlpatterns = [
    path("reports/cash/", report_views.cash_report, name="cash_report"),
    path("reports/revenue/", report_views.revenue_report, name="revenue_report"),
    path("reports/deposits/", report_views.unapplied_deposits, name="unapplied_deposits_report"),
    path("finance/counterparties/", counterparty_views.receivables, name="receivables"),
    path("finance/counterparties/<int:pk>/", counterparty_views.counterparty_detail, name="counterparty_detail"),
    path("finance/counterparties/<int:pk>/statement.<str:kind>", counterparty_views.counterparty_statement_file,
         name="counterparty_statement_file"),
    path("finance/counterparties/<int:pk>/receipts/", counterparty_views.receipt_new, name="counterparty_receipt"),
    path("finance/receipts/<int:pk>/allocate/", counterparty_views.receipt_allocate, name="receipt_allocate"),
    path("finance/allocations/<int:pk>/undo/", counterparty_views.allocation_undo, name="allocation_undo"),
]
