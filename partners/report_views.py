"""Statistics sent by partners (with cancelling a partner's booking) and the partner accounts.

The statistics read their filter from the query string and fall back to this month with a
message when it is bad; their Excel file is a background export (``partner_statistics``). A
partner account is read per month (``?month=YYYY-MM``); its PDF and workbook are built on
request (a month of one partner is small) and never name a patient.
"""


from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.calendars import format_date
from clinic.errors import DomainError
from clinic.periods import month_shortcuts, month_so_far
from clinic.templatetags.ui import money

from . import reports, services
from .models import PartnerBooking
from .views import get_partnership_for


def _month_links(month):
    return {"previous_month": reports.previous_month(month), "next_month": reports.next_month(month),
            "this_month": reports.this_month()}


@clinic_view("partners.view_partner_statistics")
def statistics(request):
    error = None
    try:
        filters = reports.clean_statistics(request.GET)
    except DomainError as refused:
        filters, error = reports.StatisticsFilter(*month_so_far()), refused.message
    figures = reports.statistics_figures(filters)  # the totals' and the charts'
    page = reports.statistics_page(filters, request.GET.get("page"), figures)
    partners = reports.partner_choices()
    chart = reports.statistics_by_week(filters, dict(partners), figures)
    query = request.GET.copy()
    query.pop("page", None)
    data = chart_data(chart)
    context = {
        "tab": "partners",
        "page": page,
        "totals": page.totals,
        "first": filters.first,
        "last": filters.last,
        "partner": filters.partnership_id,
        "partners": partners,
        "error": error,
        "query": query.urlencode(),
        **month_shortcuts(),
        "account_month": filters.first.replace(day=1),
        "chart": chart,
        "chart_kinds": ("bookings", "commission"),
        "chart_data": data,
        "chart_table": chart_table(chart, data),
    }
    return render(request, "partners/statistics.html", context)


def chart_data(chart: reports.StatisticsChart) -> dict:
    """The charts' figures for static/js/charts.js (read from a JSON script element, no inline
    code): week labels and money written here, in the page's language and the clinic's calendar,
    so the chart's labels and tooltips read as the table beside it."""
    return {
        "labels": [format_date(week, "SHORT_MONTH_DAY_FORMAT") for week in chart.weeks],
        "series": [{
            "name": partner.name, "colour": partner.colour, "bookings": partner.bookings,
            "commission": [str(amount) for amount in partner.commission],
            "commission_text": [money(amount, chart.currency) for amount in partner.commission],
        } for partner in chart.partners],
    }


def chart_table(chart: reports.StatisticsChart, data: dict) -> list[tuple[str, str, list[tuple]]]:
    """The charts' figures as the tables beside them read them: a week a row (its label as the
    chart's), a partner a column (its id, the week's bookings, the commission and the commission
    as the chart's tooltip writes it) — each written once here, not once a cell in the template."""
    texts = [series["commission_text"] for series in data["series"]]
    return [(data["labels"][position], week.isoformat(),
             [(partner.partnership_id, bookings, commission, texts[column][position])
              for column, (partner, bookings, commission) in enumerate(cells)])
            for position, (week, cells) in enumerate(chart.rows)]


class CancelBookingForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for cancelling"), max_length=200)
    next = forms.CharField(required=False)


def _back_to_statistics(request, target: str) -> str:
    """Where the person came from (the statistics with their filter), never another site."""
    home = reverse("partner_statistics")
    if target.startswith(home) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return home


@require_POST
@clinic_view("partners.cancel_partner_booking")
def booking_cancel(request, pk):
    booking = get_object_or_404(PartnerBooking.objects.select_related("appointment", "partnership"), pk=pk)
    form = CancelBookingForm(request.POST)
    back = _back_to_statistics(request, request.POST.get("next", ""))
    if not form.is_valid():
        messages.error(request, _("Give a reason for cancelling."))
        return redirect(back)
    if booking.cancelled_at is not None:
        messages.error(request, _("Booking %(reference)s was cancelled already.") % {"reference": booking.code})
        return redirect(back)
    try:
        services.cancel_booking(booking, by_name=request.user.full_name or request.user.email,
                                reason=form.cleaned_data["reason"], actor=request.user)
    except DomainError as refused:
        messages.error(request, f"{booking.code}: {refused.message}")
    else:
        messages.success(request, _("Booking %(reference)s was cancelled; the partner is told by email.")
                         % {"reference": booking.code})
    return redirect(back)


@clinic_view("partners.view_partner_statistics")
def account(request, pk):
    partnership = get_partnership_for(request.user, pk)
    error = None
    try:
        month = reports.account_month(request.GET)
    except DomainError as refused:
        month, error = reports.this_month(), refused.message
    statement = reports.partner_account(partnership, month, with_patients=True)
    return render(request, "partners/account.html", {
        "account": statement, "partnership": partnership, "month": month, "error": error,
        **_month_links(month),
    })


def _statement_for_file(request, pk):
    partnership = get_partnership_for(request.user, pk)
    try:
        month = reports.account_month(request.GET)
    except DomainError:
        raise Http404 from None
    return reports.partner_account(partnership, month)


@never_cache
@clinic_view("partners.view_partner_statistics")
def account_pdf(request, pk):
    from billing.documents import in_clinic_language

    with in_clinic_language():  # the lines' labels are written out in Python
        statement = _statement_for_file(request, pk)
    return pdf_response(reports.account_pdf(statement), f"{reports.account_file_stem(statement)}.pdf")


@never_cache
@clinic_view("partners.view_partner_statistics")
def account_xlsx(request, pk):
    statement = _statement_for_file(request, pk)
    return xlsx_response(reports.account_workbook(statement), f"{reports.account_file_stem(statement)}.xlsx")


def pdf_response(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{file_name}"'
    return response


def xlsx_response(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
