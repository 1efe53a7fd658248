"""Documents (PDF): receipts, invoices, tax certificates."""

from django.urls import path

from . import document_views

urlpatterns = [
    path("payments/<int:pk>/receipt.pdf", document_views.payment_receipt, name="payment_receipt"),
    path("deposits/<int:pk>/receipt.pdf", document_views.deposit_receipt, name="deposit_receipt"),
    path("deposits/<int:pk>/returns/<int:entry>/receipt.pdf", document_views.deposit_return_receipt,
         name="deposit_return_receipt"),
    path("visits/<int:pk>/invoice.pdf", document_views.visit_invoice, name="visit_invoice"),
    path("patients/<int:pk>/tax-certificate/<int:year>.pdf", document_views.tax_certificate,
         name="tax_certificate"),
]
