"""The partner's account in the portal: per clinic and month, what the company collected and
owes the clinic, the commission the clinic owes it, and the net; with the statement as PDF and
workbook. Only users who see the company's finances; only clinics the company works with or
worked with until the clinic removed it (any other clinic is a 404, the same as one that does
not exist). The statement never
names a patient.
"""

from contextlib import contextmanager, nullcontext
from zoneinfo import ZoneInfo

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tenants.utils import tenant_context

from clinic.errors import DomainError
from partners import reports
from partners.report_views import pdf_response, xlsx_response
from partners.services import account_clinics

from .views import portal_view


@contextmanager
def _in_clinic(clinic):
    """In the clinic's schema, where a partner user is nobody: its public id never becomes the
    actor of an audit entry there (the clinic's users table does not hold it)."""
    with tenant_context(clinic), set_actor(None):
        yield


def _finance_member(request):
    member = request.partner_membership
    if not member.sees_finance:
        raise PermissionDenied
    return member


def _linked_clinic(clinics, slug: str):
    for clinic in clinics:
        if clinic.slug == slug:
            return clinic
    raise Http404


def _statement(member, clinic, month):
    """The company's account at ``clinic`` (read in the clinic's schema), or a 404."""
    from partners.models import Partnership

    with _in_clinic(clinic):
        partnership = (Partnership.objects.select_related("organisation")
                       .filter(organisation_id=member.organisation_id).first())
        if partnership is None:
            raise Http404
        return reports.partner_account(partnership, month, with_patients=False)


def _month_in(clinic, text: str | None):
    """The month asked for, else this month in the clinic's time zone; and why not, if refused."""
    with _in_clinic(clinic):
        try:
            return reports.account_month({"month": text or ""}), None
        except DomainError as refused:
            return reports.this_month(), refused.message


@portal_view
def account(request):
    member = _finance_member(request)
    clinics = account_clinics(member.organisation)
    context = {"clinics": clinics, "organisation": member.organisation}
    if not clinics:
        return render(request, "portal/account.html", context)
    slug = (request.GET.get("clinic") or "").strip()
    clinic = _linked_clinic(clinics, slug) if slug else clinics[0]
    month, error = _month_in(clinic, request.GET.get("month"))
    statement = _statement(member, clinic, month)
    context.update({
        "clinic_chosen": clinic, "account": statement, "month": month, "error": error,
        "previous_month": reports.previous_month(month), "next_month": reports.next_month(month),
    })
    # Times as the clinic lives them, as on its documents.
    with timezone.override(ZoneInfo(clinic.time_zone)):
        return render(request, "portal/account.html", context)


def _file_statement(request, clinic_slug: str, month_text: str, *, document: bool = False):
    """The clinic and the company's account there; for a ``document`` (the PDF), built in the
    clinic's language like its other documents (the lines' labels are written out in Python)."""
    from billing.documents import in_clinic_language

    member = _finance_member(request)
    clinic = _linked_clinic(account_clinics(member.organisation), clinic_slug)
    try:
        month = reports.parse_month(month_text)
    except DomainError:
        raise Http404 from None
    with in_clinic_language(clinic) if document else nullcontext():
        return clinic, _statement(member, clinic, month)


@never_cache
@portal_view
def account_pdf(request, clinic, month):
    clinic, statement = _file_statement(request, clinic, month, document=True)
    with _in_clinic(clinic):
        content = reports.account_pdf(statement)
    return pdf_response(content, f"{reports.account_file_stem(statement)}-{clinic.slug}.pdf")


@never_cache
@portal_view
def account_xlsx(request, clinic, month):
    clinic, statement = _file_statement(request, clinic, month)
    with _in_clinic(clinic), timezone.override(ZoneInfo(clinic.time_zone)):
        content = reports.account_workbook(statement)
    return xlsx_response(content, f"{reports.account_file_stem(statement)}-{clinic.slug}.xlsx")
