"""The money reports' pages: cash, revenue, unapplied deposits.

Each reads its period from the query string, falls back to the default
period with a message when it is bad, and renders one report function of
``billing.reports``. Their Excel files are exports (``billing/exporters.py``).
"""

from datetime import timedelta

from django.shortcuts import render

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError

from . import reports


def _period(parse, query):
    """(first, last, error): the period asked for, or the default one and why."""
    try:
        first, last = parse(query)
    except DomainError as error:
        first, last = parse({})
        return first, last, error.message
    return first, last, None


@clinic_view("billing.view_cash_report")
def cash_report(request):
    first, last, error = _period(reports.cash_period, request.GET)
    report = reports.cash_report(first, last)
    context = {
        "tab": "cash",
        "report": report,
        "methods": report.methods(),
        "non_cash": report.non_cash_rows(),
        "first": first,
        "last": last,
        "is_day": first == last,
        "previous": first - timedelta(days=1),
        "next": first + timedelta(days=1),
        "today": reports.clinic_today(),
        "error": error,
    }
    return render(request, "billing/reports/cash.html", context)


@clinic_view("billing.view_revenue_report")
def revenue_report(request):
    first, last, error = _period(reports.revenue_period, request.GET)
    report = reports.revenue_report(first, last)
    months = reports.revenue_by_month(last)
    context = {
        "tab": "revenue",
        "report": report,
        "months": months,
        "month_charts": [
            ("categories", _months_chart(months, "categories")),
            ("practitioners", _months_chart(months, "practitioners")),
        ],
        "first": first,
        "last": last,
        "error": error,
        **reports.month_shortcuts(),
    }
    return render(request, "billing/reports/revenue.html", context)


def _months_chart(months, attr: str) -> dict:
    """The names in the months (each with a colour, in order) and, per month, its segments."""
    names = sorted({name for month in months for name, _amount, _width in getattr(month, attr)}, key=str.casefold)
    colours = {name: index % 8 for index, name in enumerate(names)}
    return {"names": [(name, colours[name]) for name in names],
            "months": [(month, [(name, amount, width, colours[name]) for name, amount, width in getattr(month, attr)])
                       for month in months]}


@clinic_view("billing.view_deposit")
def unapplied_deposits(request):
    return render(
        request, "billing/reports/deposits.html", {"tab": "deposits", "report": reports.unapplied_deposits_report()}
    )
