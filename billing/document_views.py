"""PDF documents shown in the browser: a payment's receipt, a visit's invoice, a
patient's medical expense certificate. (The statement is a background export.)"""

from __future__ import annotations

from io import BytesIO

from django.http import FileResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError
from clinic.patients.views import get_patient_for

from . import documents
from .models import Deposit, Payment, Visit


def _pdf(content: bytes, file_name: str) -> FileResponse:
    return FileResponse(BytesIO(content), filename=file_name, content_type="application/pdf")


@never_cache
@clinic_view("billing.view_payment")
def payment_receipt(request, pk):
    payment = get_object_or_404(Payment, pk=pk)
    return _pdf(documents.receipt_pdf(payment), f"receipt-{payment.number}.pdf")


@never_cache
@clinic_view("billing.view_visit", "billing.view_payment")
def visit_invoice(request, pk):
    visit = get_object_or_404(Visit, pk=pk)
    return _pdf(documents.invoice_pdf(visit), f"invoice-{visit.number}.pdf")


@never_cache
@clinic_view("billing.view_payment")
def tax_certificate(request, pk, year):
    patient = get_patient_for(request.user, pk)
    try:
        content = documents.tax_certificate_pdf(patient, year)
    except DomainError as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    return _pdf(content, f"tax-certificate-{patient.number}-{year}.pdf")


@never_cache
@clinic_view("billing.view_deposit")
def deposit_receipt(request, pk):
    deposit = get_object_or_404(Deposit, pk=pk)
    return _pdf(documents.deposit_receipt_pdf(deposit), f"deposit-{deposit.number}.pdf")


@never_cache
@clinic_view("billing.view_deposit")
def deposit_return_receipt(request, pk, entry):
    deposit = get_object_or_404(Deposit, pk=pk)
    returned = get_object_or_404(documents.deposit_returns(deposit), pk=entry)
    return _pdf(documents.deposit_receipt_pdf(deposit, returned), f"deposit-{deposit.number}-refund-{entry}.pdf")
