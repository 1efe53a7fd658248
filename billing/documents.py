"""Billing documents as PDF: the receipt of a payment, the invoice of a visit, the
annual medical expense certificate (tax deduction) and the patient statement.

A document is the clinic's, not the reader's: it is written in the clinic's
default language, dates in its time zone, amounts in its currency. WeasyPrint
renders it from ``templates/billing/documents/`` with the fonts shipped in
``static/fonts/``, so every product language prints the same on any machine.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.models import ClinicProfile
from clinic.money import ZERO, round_money

from . import ledger, statement
from .models import (
    CASH_FLOW_METHODS,
    PAYER_RULES,
    Bucket,
    Deposit,
    Entry,
    LedgerEntry,
    Method,
    Payer,
    PayerKind,
    Payment,
    Visit,
    VisitLine,
)
from .reports import clinic_today, parse_day, period_bounds
from .services import patient_account

FONTS_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
FIRST_YEAR = 2000
STATEMENT_YEARS = 10
HUNDRED = Decimal(100)

# Only what the patient paid may be certified; the payer rules decide whose payments count (DESIGN.md).
CERTIFIED_PAYERS = [kind for kind, rules in PAYER_RULES.items() if rules.on_tax_certificate]
# Money the patient paid: at the till, by bank, or from a deposit they paid earlier.
# Club credit is a reward, not money paid; a platform settlement is the platform's.
CERTIFIED_METHODS = [*CASH_FLOW_METHODS, Method.DEPOSIT]


# --- rendering -----------------------------------------------------------------------------

_fonts = threading.local()


@atexit.register
def _forget_fonts() -> None:
    # Drop the main thread's configuration before the interpreter tears down the
    # modules its finaliser needs (it removes a temporary folder).
    _fonts.__dict__.clear()


def _fonts_for_this_thread():
    """WeasyPrint's font configuration with the shipped fonts, built once per thread.

    Decoding the fonts costs more than laying out a receipt, so it is kept and
    reused; a configuration wraps a Fontconfig object and is not shared
    between threads.
    """
    if not hasattr(_fonts, "config"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        config = FontConfiguration()
        _fonts.stylesheet = CSS(filename=str(FONTS_DIR / "fonts.css"), font_config=config,
                                url_fetcher=URLFetcher(allowed_protocols={"file"}))
        _fonts.config = config
    return _fonts.config, _fonts.stylesheet


@contextmanager
def in_clinic_language(clinic=None):
    """The clinic's language and time zone, as its documents are written. A document's data is
    built inside it too — labels, reasons, amounts written out in Python — not only its template:
    a Russian-speaking manager's download reads as the clinic's other documents, in one language."""
    clinic = clinic or connection.tenant
    with translation.override(clinic.default_language), timezone.override(ZoneInfo(clinic.time_zone)):
        yield


def _render(template: str, context: dict):
    """Lay out a document (a ``weasyprint.Document``) in the clinic's language and time zone.

    A document fetches nothing (its fonts are loaded already): no text a
    patient or a member of staff typed can make the server open a URL.
    """
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    clinic = connection.tenant
    config, fonts = _fonts_for_this_thread()
    with in_clinic_language(clinic):
        html = render_to_string(template, {"clinic": clinic, "profile": ClinicProfile.load(),
                                           "currency": clinic.currency, "today": clinic_today(), **context})
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).render(
        stylesheets=[fonts], font_config=config)


def pdf_from_html(html: str) -> bytes:
    """A PDF of HTML rendered elsewhere (another app's document, outside a clinic's schema
    too), with the shipped fonts and, like every document here, nothing fetched."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    config, fonts = _fonts_for_this_thread()
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).render(
        stylesheets=[fonts], font_config=config).write_pdf()


def render_pdf(template: str, context: dict) -> bytes:
    return _render(template, context).write_pdf()


def _zone() -> ZoneInfo:
    return ZoneInfo(connection.tenant.time_zone)


# --- receipt ---------------------------------------------------------------------------------


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt of a payment, or of a refund (with the receipt it refunds). A payment
    taken in several methods has one receipt (its first part's) listing every part."""
    payment = Payment.objects.select_related("patient", "payer", "visit", "cashier", "refund_of").get(
        pk=payment.receipt_id)
    parts = [payment, *payment.other_parts.order_by("id")]
    return render_pdf("billing/documents/receipt.html", {
        "payment": payment,
        "parts": parts if len(parts) > 1 else [],
        "number": f"#{payment.number}",
        "patient": payment.patient,
        "amount": -payment.amount if payment.is_refund else sum((p.amount for p in parts), ZERO),
        "by_coverage": payment.payer.kind != PayerKind.PATIENT,
    })


def deposit_returns_all():
    """Returns of deposits to their patients, oldest first (one ledger row each)."""
    return LedgerEntry.objects.filter(bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_REFUNDED).order_by("created", "id")


def deposit_returns(deposit: Deposit):
    """The deposit's returns to the patient, oldest first."""
    return deposit_returns_all().filter(deposit=deposit)


def deposit_receipt_pdf(deposit: Deposit, returned: LedgerEntry | None = None) -> bytes:
    """The receipt of a deposit received, or (``returned``) of money given back from it."""
    deposit = Deposit.objects.select_related("patient", "received_by").get(pk=deposit.pk)
    return render_pdf("billing/documents/deposit_receipt.html", {
        "deposit": deposit,
        "returned": returned,
        "number": f"#{deposit.number}",
        "patient": deposit.patient,
        "amount": -returned.amount if returned else deposit.amount,
    })


# --- invoice ---------------------------------------------------------------------------------


@dataclass
class PayerTotal:
    """What one payer owes for the visit's lines, has paid and still owes."""

    payer: Payer
    total: Decimal = ZERO
    paid: Decimal = ZERO
    due: Decimal = ZERO


@dataclass
class Invoice:
    visit: Visit
    lines: list[VisitLine]
    payers: list[PayerTotal]
    vat: list[tuple[Decimal, Decimal]]  # (rate, VAT included in the lines at that rate)

    @property
    def total(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)


def invoice(visit: Visit) -> Invoice:
    """The visit's lines (not the voided ones) and, per payer, its total, payments and what is due.

    The patient comes first, then each coverage; what is due is read from the
    ledger, as everywhere else. Prices include VAT: the rate's share is shown.
    """
    lines = list(visit.lines.filter(voided_at__isnull=True).select_related("payer").order_by("created", "id"))
    account = patient_account(visit.patient)
    totals: dict[int, PayerTotal] = {account.pk: PayerTotal(account)}
    for line in lines:
        totals.setdefault(line.payer_id, PayerTotal(line.payer)).total += line.net
    paid = Payment.objects.filter(visit=visit).values("payer").annotate(total=Sum("amount")).order_by()
    paid = {row["payer"]: row["total"] for row in paid}
    for payer in Payer.objects.filter(pk__in=paid.keys() - totals.keys()):  # paid, but its lines were voided
        totals[payer.pk] = PayerTotal(payer)
    for row in totals.values():
        row.paid = paid.get(row.payer.pk, ZERO)
        row.due = ledger.visit_due(visit, row.payer)
    vat: dict[Decimal, Decimal] = {}
    for line in lines:
        if line.vat_rate:
            share = round_money(line.net * line.vat_rate / (HUNDRED + line.vat_rate), visit.currency)
            vat[line.vat_rate] = vat.get(line.vat_rate, ZERO) + share
    payers = sorted(totals.values(), key=lambda row: (row.payer.pk != account.pk, row.payer.pk))
    return Invoice(visit=visit, lines=lines, payers=payers, vat=sorted(vat.items()))


def invoice_pdf(visit: Visit) -> bytes:
    visit = Visit.objects.select_related("patient", "location", "practitioner").get(pk=visit.pk)
    return render_pdf("billing/documents/invoice.html", {"invoice": invoice(visit), "visit": visit,
                                                   "number": f"#{visit.number}", "patient": visit.patient})


# --- the medical expense certificate -------------------------------------------------------------


@dataclass
class CertifiedVisit:
    """What the patient paid in the year for one visit (``visit`` None: towards their balance)."""

    visit: Visit | None
    services: list[str]
    amount: Decimal


@dataclass
class TaxCertificate:
    patient: object
    year: int
    rows: list[CertifiedVisit] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)


def certificate_year(year: int) -> int:
    """A year a certificate may be issued for: from 2000 to this year (in the clinic's time zone)."""
    this_year = clinic_today().year
    if not FIRST_YEAR <= year <= this_year:
        raise DomainError(
            _("A certificate can be issued for a year from %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": this_year},
            field="year",
        )
    return year


def tax_certificate(patient, year: int) -> TaxCertificate:
    """What the patient paid the clinic for treatment in ``year``, less refunds, per visit.

    Counted: the patient's own payments in cash, by card, by transfer or from
    a deposit, in the year (the clinic's time zone), less the refunds made in
    the year. Not counted: what platforms, barter companies or partners paid
    (their payments are on their own accounts) and club credit.
    """
    year = certificate_year(year)
    starts, ends = period_bounds(date(year, 1, 1), date(year, 12, 31))
    paid = (
        Payment.objects.filter(patient=patient, payer__kind__in=CERTIFIED_PAYERS, method__in=CERTIFIED_METHODS,
                               created__gte=starts, created__lt=ends)
        .values("visit")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_visit = {row["visit"]: row["total"] for row in paid if row["total"]}
    visits = list(Visit.objects.filter(pk__in=[pk for pk in by_visit if pk is not None]).order_by("opened_at", "id"))
    services: dict[int, list[str]] = {}
    lines = VisitLine.objects.filter(visit__in=visits, voided_at__isnull=True, payer__kind__in=CERTIFIED_PAYERS)
    for visit_id, description, quantity in lines.order_by("created", "id").values_list(
        "visit_id", "description", "quantity"
    ):
        services.setdefault(visit_id, []).append(description if quantity == 1 else f"{description} × {quantity}")
    certificate = TaxCertificate(patient=patient, year=year)
    certificate.rows = [CertifiedVisit(visit, services.get(visit.pk, []), by_visit[visit.pk]) for visit in visits]
    if by_visit.get(None):
        certificate.rows.append(CertifiedVisit(None, [], by_visit[None]))
    return certificate


def tax_certificate_pdf(patient, year: int) -> bytes:
    certificate = tax_certificate(patient, year)
    return render_pdf("billing/documents/tax_certificate.html", {"certificate": certificate, "patient": patient})


# --- the patient statement (a background export) ---------------------------------------------------


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _day(data, field_name: str, missing: str) -> date:
    text = str(data.get(field_name) or "").strip()
    if not text:
        raise DomainError(missing, field=field_name)
    return parse_day(text, field_name)


def clean_statement_params(data) -> dict:
    """The export's parameters from a request's data: a patient of this clinic and a period
    (``first`` and ``last``, ISO dates) of at most ten years."""
    from clinic.patients.models import Patient

    try:
        patient_id = int(data.get("patient") or "")
    except (TypeError, ValueError):
        patient_id = None
    if patient_id is None or not Patient.objects.filter(pk=patient_id).exists():
        raise DomainError(_("Choose a patient of this clinic."), field="patient")
    first = _day(data, "first", _("Enter the first day."))
    last = _day(data, "last", _("Enter the last day."))
    if last < first:
        raise DomainError(_("The last day is before the first."), field="last")
    if last >= _years_later(first, STATEMENT_YEARS):
        raise DomainError(_("A statement covers at most ten years."), field="last")
    return {"patient": patient_id, "first": first.isoformat(), "last": last.isoformat()}


def _statement_params(params: dict):
    from clinic.patients.models import Patient

    return (Patient.objects.get(pk=params["patient"]), date.fromisoformat(params["first"]),
            date.fromisoformat(params["last"]))


def statement_pdf(patient, first: date, last: date, handle, progress: Callable[[int], None] = lambda percent: None):
    """Write the statement of ``patient``'s account from ``first`` to ``last`` to ``handle``.

    One table, whose head WeasyPrint repeats on every page; plain cells (no
    include per row), a fixed table layout and stripes instead of rules keep
    a 50-page statement faster than WeasyPrint renders a bare table of the
    same rows.
    """
    opening = statement.opening_balance(patient, first)
    with in_clinic_language():  # the rows' descriptions are written out in Python
        rows = list(statement.transactions(patient, first, last))
    progress(20)
    document = _render("billing/documents/statement.html", {
        "patient": patient, "first": first, "last": last, "rows": rows, "opening": opening,
        "closing": rows[-1].balance if rows else opening,
    })
    progress(85)
    document.write_pdf(handle)


def build_statement_pdf(params: dict, handle, progress: Callable[[int], None]) -> None:
    patient, first, last = _statement_params(params)
    progress(5)
    statement_pdf(patient, first, last, handle, progress)


def statement_rows(params: dict) -> Iterator[list]:
    """The statement as a sheet: a header row, then one row per transaction (dates in the clinic's time zone)."""
    patient, first, last = _statement_params(params)
    yield [_("Date"), _("Transaction"), _("Description"), _("Charge"), _("Paid"), _("Balance")]
    zone = _zone()
    for row in statement.transactions(patient, first, last):
        at: datetime = row.at.astimezone(zone).replace(tzinfo=None)  # Excel knows no time zones
        yield [at, str(row.label), row.description, row.charge, row.paid, row.balance]


def statement_row_count(params: dict) -> int:
    """Rows of the sheet, for the progress bar (the same entries ``statement.transactions`` reads)."""
    patient, first, last = _statement_params(params)
    return statement.transaction_count(patient, first, last) + 1


# --- a counterparty's statement ----------------------------------------------------------------


def counterparty_statement_pdf(statement) -> bytes:
    """A counterparty's statement for a period: opening balance, entries, closing balance."""
    return render_pdf("billing/documents/counterparty_statement.html", {"statement": statement,
                                                                        "today": timezone.localdate()})
