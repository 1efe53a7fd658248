"""Billing documents (PDF): what a receipt, an invoice, the medical expense certificate and
the statement say, in the clinic's language and currency, with the fonts shipped in
static/fonts; who may open them."""

import logging
import re
import unicodedata
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from pypdf import PdfReader

from billing import documents, services
from billing.models import Entry, PayerKind
from billing.reports import clinic_today
from billing.services import (
    ManualDiscount,
    add_line,
    receive_deposit,
    refund_payment,
    settle_coverage,
    take_payment,
    update_billing_settings,
    void_line,
)
from clinic.errors import DomainError
from clinic.models import ClinicProfile
from tests.factories import LocationFactory, PatientFactory, PractitionerFactory, ServiceFactory, make_staff

pytestmark = pytest.mark.django_db

D = Decimal
ALPHA_ZONE = ZoneInfo("Europe/Bucharest")  # clinic alpha (tests/conftest.py)
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
SHIPPED_FONTS = {"Noto-Sans-Latin", "Noto-Sans-Latin-Ext", "Noto-Sans-Cyrillic", "Noto-Sans-Cyrillic-Ext",
                 "Vazirmatn", "Noto-Sans-SC"}


@contextmanager
def at(moment: datetime):
    """Record what happens inside at ``moment`` (auto_now_add reads timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ALPHA_ZONE)


def pdf_pages(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages(content))


def embedded_fonts(content: bytes) -> set[str]:
    """The font families a PDF embeds (without the subset prefix "ABCDEF+" and the weight)."""
    names = set()
    for page in PdfReader(BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            name = str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            names.add(name.removesuffix("-Bold"))
    return names


def folded(text: str) -> str:
    """Text compared without spacing, joiners or presentation forms (extraction of
    right-to-left text may drop the zero-width non-joiner or split words)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def contains_word(text: str, word: str) -> bool:
    text, word = folded(text), folded(word)
    return word in text or word[::-1] in text


@pytest.fixture
def shipped_fonts_only(caplog):
    """Fail the test if WeasyPrint drew a missing glyph or could not load a font."""
    caplog.set_level(logging.WARNING, logger="weasyprint")
    yield
    problems = [r.getMessage() for r in caplog.records
                if r.name.startswith("weasyprint") and ("notdef" in r.getMessage() or "cannot be loaded" in r.getMessage())]
    assert problems == []


@pytest.fixture
def letterhead(tenant):
    profile = ClinicProfile.load()
    profile.legal_name, profile.tax_number = "Alpha Dental SRL", "RO123456"
    profile.address, profile.phone = "Strada Lungă 1\nChișinău", "+373 22 000 000"
    profile.save()
    return profile


def lines_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


# --- receipts --------------------------------------------------------------------------------


def test_a_cash_receipt_in_english(desk, open_visit, letterhead, shipped_fonts_only):
    desk["patient"].first_name, desk["patient"].last_name = "Ștefan", "Țăranu"
    desk["patient"].save()
    # 22:30 UTC is half past midnight the next day in Bucharest: the receipt shows the clinic's time.
    with at(datetime(2025, 3, 4, 22, 30, tzinfo=ZoneInfo("UTC"))):
        visit = open_visit()
        add_line(visit, service=desk["filling"], actor=desk["cashier"])
        payment = take_payment(patient=desk["patient"], visit=visit, method="cash", amount="250", tendered="300",
                               actor=desk["cashier"])
    content = documents.receipt_pdf(payment)
    lines = lines_of(pdf_text(content))
    with translation.override("en"):
        when = date_format(local(date(2025, 3, 5), 0, 30), "DATETIME_FORMAT")
    assert when == "5 March 2025, 00:30"  # one set of formats: day first, 24-hour clock
    for expected in [
        "Alpha Dental SRL", "Alpha Clinic", "Strada Lungă 1", "Chișinău", "Phone: +373 22 000 000 · Tax number: RO123456",
        f"Receipt #{payment.number}", f"Date {when}", f"Patient Ștefan Țăranu · #{desk['patient'].number}",
        f"Visit #{visit.number}", "Payment method Cash", "Amount paid 250.00 EUR", "Cash tendered 300.00 EUR",
        "Change given 50.00 EUR", f"Received by {desk['cashier'].full_name}",
    ]:
        assert expected in lines
    assert embedded_fonts(content) <= SHIPPED_FONTS


def test_a_refund_receipt_says_refund_and_names_the_receipt_it_refunds(desk, open_visit):
    visit = open_visit()
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], visit=visit, method="card", amount="250", actor=desk["cashier"])
    refund = refund_payment(payment, amount="20", reason="Charged twice", actor=desk["manager"])
    lines = lines_of(pdf_text(documents.receipt_pdf(refund)))
    for expected in [f"Refund #{refund.number}", f"Refund of receipt #{payment.number}", "Payment method Card",
                     "Reason Charged twice", "Amount refunded 20.00 EUR", f"Refunded by {desk['manager'].full_name}"]:
        assert expected in lines
    assert not any(line.startswith(("Receipt #", "Amount paid", "Change given")) for line in lines)


# --- invoices --------------------------------------------------------------------------------


def test_an_invoice_lists_the_lines_and_what_each_payer_owes(desk, open_visit, shipped_fonts_only, barter_payer):
    desk["patient"].first_name, desk["patient"].last_name = "Ольга", "Қасымова"
    desk["patient"].save()
    barter = barter_payer(desk["patient"], desk["cleaning"])
    physio = ServiceFactory(name="Physiotherapy", price=D("108.00"), vat_rate=D("8.00"))
    whitening = ServiceFactory(name="Whitening")
    visit = open_visit()
    add_line(visit, service=desk["filling"], quantity=2, actor=desk["manager"],
             discount=ManualDiscount(percent=D("10"), reason="Staff family"))
    add_line(visit, service=physio, actor=desk["cashier"])
    add_line(visit, service=desk["cleaning"], payer=barter, actor=desk["cashier"])
    void_line(add_line(visit, service=whitening, actor=desk["cashier"]), reason="Typed by mistake",
              actor=desk["manager"])
    take_payment(patient=desk["patient"], visit=visit, method="card", amount="200", actor=desk["cashier"])
    settle_coverage(payer=barter, visit=visit, amount="60", method="transfer", actor=desk["manager"])

    invoice = documents.invoice(visit)
    assert [line.description for line in invoice.lines] == [desk["filling"].name, "Physiotherapy",
                                                             desk["cleaning"].name]
    assert invoice.total == D("658.00") and invoice.vat == [(D("8.00"), D("8.00"))]
    assert [(row.payer.kind, row.total, row.paid, row.due) for row in invoice.payers] == [
        (PayerKind.PATIENT, D("558.00"), D("200.00"), D("358.00")),
        (PayerKind.BARTER_POLICY, D("100.00"), D("60.00"), D("40.00")),
    ]
    content = documents.invoice_pdf(visit)
    lines = lines_of(pdf_text(content))
    for expected in [
        f"Invoice #{visit.number}", f"Patient Ольга Қасымова · #{desk['patient'].number}",
        f"{desk['filling'].name} 2 250.00 EUR 50.00 EUR 0 450.00 EUR Patient",
        "Physiotherapy 1 108.00 EUR 8 108.00 EUR Patient",
        f"{desk['cleaning'].name} 1 100.00 EUR 0 100.00 EUR {barter}",
        "Total 658.00 EUR", "VAT included (8 %): 8.00 EUR",
        "Patient 558.00 EUR 200.00 EUR 358.00 EUR", f"{barter} 100.00 EUR 60.00 EUR 40.00 EUR",
    ]:
        assert expected in lines
    assert "Whitening" not in pdf_text(content)


# --- languages and fonts -------------------------------------------------------------------------


def test_documents_of_a_chinese_clinic_are_in_chinese(clinic_b, in_clinic, shipped_fonts_only):
    with in_clinic(clinic_b):
        cashier = make_staff("front_desk")
        patient = PatientFactory(first_name="玥", last_name="王")
        visit = services.open_visit(patient=patient, location=LocationFactory(),
                                    practitioner=PractitionerFactory(), actor=cashier)
        add_line(visit, service=ServiceFactory(name="洗牙", price=D("300.00")), actor=cashier)
        payment = take_payment(patient=patient, visit=visit, method="card", amount="300", actor=cashier)
        receipt, invoice = documents.receipt_pdf(payment), documents.invoice_pdf(visit)
    text = pdf_text(receipt) + pdf_text(invoice)
    # Labels the catalogue translates today, and the clinic's currency and data.
    for expected in ["患者", "银行卡", "日期", "服务项目", "折扣", "300.00 CNY", "王玥", "洗牙"]:  # a Chinese name reads family name first
        assert expected in text
    with translation.override("zh-hans"):
        for label in ["Receipt %(number)s", "Payment method", "Amount paid", "Received by", "Invoice %(number)s",
                      "Who pays", "Due"]:
            assert translation.gettext(label).split("%")[0].strip() in text
    assert "Noto-Sans-SC" in embedded_fonts(receipt)
    assert embedded_fonts(receipt) | embedded_fonts(invoice) <= SHIPPED_FONTS


def test_documents_of_a_persian_clinic_are_in_persian_and_right_to_left(desk, open_visit, letterhead, monkeypatch,
                                                                        shipped_fonts_only):
    monkeypatch.setattr(connection.tenant, "default_language", "fa")
    visit = open_visit()
    add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], visit=visit, method="card", amount="100", actor=desk["cashier"])
    content = documents.receipt_pdf(payment)
    text = pdf_text(content)
    for word in ["بیمار", "کارت", "تاریخ", "شماره اقتصادی"]:  # Patient, Card, Date, Tax number
        assert contains_word(text, word), word
    assert "100.00" in text and "EUR" in text and "Vazirmatn" in embedded_fonts(content)
    with translation.override("fa"):
        for label in ["Payment method", "Amount paid"]:
            assert contains_word(text, translation.gettext(label))
    # Right to left: the label "Patient" is set on the right half of the page.
    page = PdfReader(BytesIO(content)).pages[0]
    places = []
    page.extract_text(visitor_text=lambda fragment, cm, tm, font, size: places.append((fragment, tm[4])))
    width = float(page.mediabox.width)
    assert [x for fragment, x in places if contains_word(fragment, "بیمار")][0] > width / 2


# --- the medical expense certificate -----------------------------------------------------------


def test_the_tax_certificate_counts_what_the_patient_paid_in_the_year(desk, open_visit, letterhead,
                                                                      shipped_fonts_only, barter_payer):
    year = clinic_today().year - 1
    patient = desk["patient"]
    root_canal = ServiceFactory(name="Root canal", price=D("400.00"))
    barter = barter_payer(patient, root_canal)
    update_billing_settings(points_per_unit="1", point_value="1", actor=desk["manager"])

    def visit_paid(moment, *payments, service=None):
        with at(moment):
            visit = open_visit()
            add_line(visit, service=service or desk["cleaning"], actor=desk["cashier"])
            made = [take_payment(patient=patient, visit=visit, method=method, amount=amount, actor=desk["cashier"],
                                 **extra) for method, amount, extra in payments]
        return visit, made

    # The last evening of the year before, and the first night of the year after: not this year's.
    visit_paid(local(date(year - 1, 12, 31), 23, 30), ("cash", "100", {}))
    visit_paid(local(date(year + 1, 1, 1), 0, 30), ("card", "100", {}))
    # Half past midnight on 1 January (still 31 December in UTC): this year's. A barter line beside it.
    first, _paid = visit_paid(local(date(year, 1, 1), 0, 30), ("card", "60", {}), ("cash", "40", {}))
    with at(local(date(year, 1, 1), 0, 40)):
        add_line(first, service=root_canal, payer=barter, actor=desk["cashier"])
        settle_coverage(payer=barter, visit=first, amount="400", method="transfer", actor=desk["manager"])
    # Club credit is not money paid; a refund is taken off.
    second, (_credit, card) = visit_paid(local(date(year, 5, 10)), ("loyalty", "30", {}), ("card", "70", {}))
    with at(local(date(year, 6, 1))):
        refund_payment(card, amount="20", reason="Goodwill", actor=desk["manager"])
    # Money from a deposit was paid by the patient (when the deposit is used).
    with at(local(date(year, 6, 30))):
        deposit = receive_deposit(patient=patient, amount="50", method="card", actor=desk["cashier"])
    third, _paid = visit_paid(local(date(year, 7, 1)), ("deposit", "50", {"deposit": deposit}), ("cash", "50", {}))

    certificate = documents.tax_certificate(patient, year)
    assert [(row.visit, row.services, row.amount) for row in certificate.rows] == [
        (first, [desk["cleaning"].name], D("100.00")),
        (second, [desk["cleaning"].name], D("50.00")),
        (third, [desk["cleaning"].name], D("100.00")),
    ]
    assert certificate.total == D("250.00")

    content = documents.tax_certificate_pdf(patient, year)
    text = pdf_text(content)
    lines = lines_of(text)
    assert "Certificate of medical expenses" in lines and f"For the year {year}" in lines
    assert f"Total paid in {year} 250.00 EUR" in lines
    assert "issued for the tax deduction of medical expenses" in " ".join(lines)
    assert "Root canal" not in text and "400.00 EUR" not in text


@pytest.mark.parametrize("shift", [-1, 1])
def test_a_certificate_is_for_a_year_from_2000_to_this_year(desk, shift):
    year = 2000 - 1 if shift < 0 else clinic_today().year + 1
    with pytest.raises(DomainError, match="from 2000 to"):
        documents.tax_certificate(desk["patient"], year)


def test_a_year_without_payments_gives_an_empty_certificate(desk, letterhead):
    text = pdf_text(documents.tax_certificate_pdf(desk["patient"], 2000))
    assert "No payments in this year." in text and "Total paid in 2000 0.00 EUR" in lines_of(text)


# --- the statement (background exports) ------------------------------------------------------------


@pytest.fixture
def export(django_capture_on_commit_callbacks):
    """``export(kind, actor, data)``: start the export, build it (Celery runs eagerly), return it."""
    from clinic.exports.models import Export
    from clinic.exports.services import start_export

    made = []

    def build(kind, actor, data):
        with django_capture_on_commit_callbacks(execute=True):
            started = start_export(kind, actor=actor, data=QueryDict(data))
        done = Export.objects.get(pk=started.pk)
        made.append(done)
        assert done.status == Export.Status.DONE, done.error
        return done

    yield build
    for done in made:
        done.file.delete(save=False)


@pytest.fixture
def history(desk, open_visit):
    """A charge on 28 February (before the period), then a visit, a payment and a refund in March 2025."""
    with at(local(date(2025, 2, 28))):
        before = open_visit()
        add_line(before, service=desk["cleaning"], actor=desk["cashier"])
    with at(local(date(2025, 3, 3), 9)):
        visit = open_visit()
        add_line(visit, service=desk["filling"], quantity=2, actor=desk["cashier"])
    with at(local(date(2025, 3, 3), 10)):
        payment = take_payment(patient=desk["patient"], visit=visit, method="card", amount="300",
                               actor=desk["cashier"])
    with at(local(date(2025, 3, 20), 11)):
        refund = refund_payment(payment, amount="50", reason="Goodwill", actor=desk["manager"])
    return desk["patient"], payment.number, refund.number


def test_the_statement_pdf_export(desk, history, export, shipped_fonts_only):
    patient, paid, refunded = history
    done = export("statement_pdf", desk["cashier"], f"patient={patient.pk}&first=2025-03-01&last=2025-03-31")
    assert done.params == {"patient": patient.pk, "first": "2025-03-01", "last": "2025-03-31"}
    assert done.file_name.startswith("statement-alpha-") and done.file_name.endswith(".pdf")
    with done.file.open("rb") as handle:
        content = handle.read()
    lines = lines_of(pdf_text(content))
    for expected in [
        "Account statement", f"Patient {patient.full_name} · #{patient.number}", "Period 01.03.2025 – 31.03.2025",
        "Opening balance 100.00 EUR", "Date Transaction Description Charge Paid Balance",
        f"03.03.2025 Charge {desk['filling'].name} × 2 500.00 EUR 600.00 EUR",
        f"20.03.2025 Refund #{refunded} · Card · Goodwill 50.00 EUR 350.00 EUR",
        "Closing balance: 350.00 EUR",
    ]:
        assert expected in lines
    assert f"03.03.2025 Payment #{paid} · Card 300.00 EUR 300.00 EUR" in lines


def test_the_statement_xlsx_export(desk, history, export):
    from openpyxl import load_workbook

    patient, paid, refunded = history
    done = export("statement_xlsx", desk["manager"], f"patient={patient.pk}&first=2025-03-01&last=2025-03-31")
    assert done.file_name.endswith(".xlsx")
    with done.file.open("rb") as handle:
        workbook = load_workbook(handle, read_only=True)
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
    assert rows[0] == ["Date", "Transaction", "Description", "Charge", "Paid", "Balance"]
    table = [[row[0], row[1], row[2], *(D(str(value)).quantize(D("0.01")) for value in row[3:])]
             for row in rows[1:]]
    assert table == [
        [datetime(2025, 3, 3, 9), "Charge", f"{desk['filling'].name} × 2", D("500.00"), D("0.00"), D("600.00")],
        [datetime(2025, 3, 3, 10), "Payment", f"#{paid} · Card", D("0.00"), D("300.00"), D("300.00")],
        [datetime(2025, 3, 20, 11), "Refund", f"#{refunded} · Card · Goodwill", D("50.00"), D("0.00"), D("350.00")],
    ]


def test_the_statement_is_started_polled_and_downloaded_through_the_export_pages(
    desk, history, client_for, django_capture_on_commit_callbacks
):
    from clinic.exports.models import Export

    patient, _paid, _refunded = history
    client = client_for(desk["cashier"])
    data = {"patient": patient.pk, "first": "2025-03-01", "last": "2025-03-31"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_start", args=["statement_pdf"]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    export = Export.objects.get()
    try:
        assert export.status == Export.Status.DONE and export.progress == 100
        poll = client.get(reverse("export_status", args=[export.pk]), HTTP_HX_REQUEST="true")
        assert reverse("export_download", args=[export.pk]) in poll.content.decode()
        download = client.get(reverse("export_download", args=[export.pk]))
        assert download["Content-Disposition"].startswith('attachment; filename="statement-alpha-')
        assert "Closing balance: 350.00 EUR" in pdf_text(b"".join(download.streaming_content))
        refused = client.post(reverse("export_start", args=["statement_pdf"]), {**data, "patient": ""},
                              HTTP_HX_REQUEST="true")
        assert refused.status_code == 422 and "Choose a patient of this clinic." in refused.content.decode()
    finally:
        export.file.delete(save=False)


@pytest.mark.parametrize("data, message", [
    ("first=2025-03-01&last=2025-03-31", "Choose a patient"),
    ("patient=999999&first=2025-03-01&last=2025-03-31", "Choose a patient"),
    ("patient={pk}&last=2025-03-31", "Enter the first day"),
    ("patient={pk}&first=2025-03-01", "Enter the last day"),
    ("patient={pk}&first=2025-02-30&last=2025-03-31", "is not a valid date"),
    ("patient={pk}&first=2025-03-02&last=2025-03-01", "before the first"),
    ("patient={pk}&first=2015-03-01&last=2025-03-01", "at most ten years"),
])
def test_a_statement_export_refuses_bad_parameters(desk, data, message):
    from clinic.exports.models import Export
    from clinic.exports.services import start_export

    with pytest.raises(DomainError, match=message):
        start_export("statement_pdf", actor=desk["manager"], data=QueryDict(data.format(pk=desk["patient"].pk)))
    assert Export.objects.count() == 0
    assert documents.clean_statement_params(
        QueryDict(f"patient={desk['patient'].pk}&first=2015-03-01&last=2025-02-28")
    )["last"] == "2025-02-28"


def test_a_role_without_the_permission_may_not_export_a_statement(desk):
    from clinic.exports.services import start_export

    with pytest.raises(DomainError, match="not allowed"):
        start_export("statement_xlsx", actor=make_staff("marketing"),
                     data=QueryDict(f"patient={desk['patient'].pk}&first=2025-03-01&last=2025-03-31"))


def test_a_long_statement_repeats_its_head_on_every_page(desk, open_visit):
    visit = open_visit()
    line = add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    account = line.payer
    from billing import ledger

    for n in range(150):  # through the ledger's one writer: each a balanced posting
        ledger.post(account=account, bucket="debt", kind=Entry.CHARGE if n % 2 else Entry.DISCOUNT,
                    amount=D("10.00") if n % 2 else D("-5.00"), currency="EUR", visit=visit, line=line)
    today = clinic_today()
    handle = BytesIO()
    documents.statement_pdf(desk["patient"], today, today, handle)
    pages = pdf_pages(handle.getvalue())
    assert len(pages) >= 3
    assert all("Date Transaction Description Charge Paid Balance" in lines_of(page) for page in pages)
    assert "Closing balance: 475.00 EUR" in lines_of(pages[-1])  # 100 + 75 × 10 − 75 × 5


def test_the_statement_pdf_is_in_the_clinics_language_whatever_the_task_runs_in(desk, open_visit):
    """The rows' descriptions (a payment's method, a void's reason) are written out in Python: built
    in the clinic's language (English here) like the rest of the document, not the requester's."""
    import re

    from django.utils import translation

    from billing.services import void_line

    visit = open_visit()
    line = add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    void_line(line, reason="Entered twice", actor=desk["cashier"])
    add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    take_payment(patient=desk["patient"], visit=visit, method="card", amount="100", actor=desk["cashier"])
    today = clinic_today()
    handle = BytesIO()
    with translation.override("ru"):
        documents.statement_pdf(desk["patient"], today, today, handle)
    text = " ".join(pdf_pages(handle.getvalue()))
    assert "Card" in text and not re.search("[А-Яа-яЁё]", text), text


# --- the pages -----------------------------------------------------------------------------------


@pytest.fixture
def paid_visit(desk, open_visit):
    visit = open_visit()
    add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    payment = take_payment(patient=desk["patient"], visit=visit, method="cash", amount="100", actor=desk["cashier"])
    return visit, payment


def _urls(desk, paid_visit):
    visit, payment = paid_visit
    year = clinic_today().year
    return {
        "payment_receipt": (reverse("payment_receipt", args=[payment.pk]), f"receipt-{payment.number}.pdf"),
        "visit_invoice": (reverse("visit_invoice", args=[visit.pk]), f"invoice-{visit.number}.pdf"),
        "tax_certificate": (reverse("tax_certificate", args=[desk["patient"].pk, year]),
                            f"tax-certificate-{desk['patient'].number}-{year}.pdf"),
    }


def test_documents_open_inline_as_pdf(desk, paid_visit, client_for):
    client = client_for(desk["cashier"])
    for path, file_name in _urls(desk, paid_visit).values():
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'inline; filename="{file_name}"'
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_roles_without_the_permission_are_refused(desk, paid_visit, client_for):
    urls = _urls(desk, paid_visit)
    marketing, doctor = client_for(make_staff("marketing")), client_for(make_staff("doctor"))
    for name, (path, _file_name) in urls.items():
        assert marketing.get(path).status_code == 403, name
    assert doctor.get(urls["payment_receipt"][0]).status_code == 403
    assert doctor.get(urls["tax_certificate"][0]).status_code == 403
    assert doctor.get(urls["visit_invoice"][0]).status_code == 403  # doctors see visits, not money


def test_a_missing_id_is_a_404_and_a_year_out_of_range_a_400(desk, paid_visit, client_for):
    client = client_for(desk["manager"])
    for path in [reverse("payment_receipt", args=[999999]), reverse("visit_invoice", args=[999999]),
                 reverse("tax_certificate", args=[999999, 2024])]:
        assert client.get(path).status_code == 404
    for year in [1999, clinic_today().year + 1]:
        response = client.get(reverse("tax_certificate", args=[desk["patient"].pk, year]))
        assert response.status_code == 400
        assert f"from 2000 to {clinic_today().year}" in response.content.decode()


def test_an_id_from_another_clinic_is_a_404(desk, paid_visit, client_for, clinic_b, in_clinic):
    visit, payment = paid_visit
    with in_clinic(clinic_b):
        other = make_staff("manager")
        client = client_for(other, clinic_b)
        assert client.get(reverse("payment_receipt", args=[payment.pk])).status_code == 404
        assert client.get(reverse("visit_invoice", args=[visit.pk])).status_code == 404


# --- the fonts --------------------------------------------------------------------------------------


def test_the_shipped_fonts_cover_every_translation_and_carry_their_licence():
    import polib
    from fontTools.ttLib import TTFont

    covered = set()
    for path in FONTS.glob("*/*.woff2"):
        covered |= set(TTFont(path).getBestCmap())
        assert (path.parent / "OFL.txt").read_text().count("SIL Open Font License") >= 1
    css = (FONTS / "fonts.css").read_text()
    assert {match.group(1) for match in re.finditer(r"url\(([^)]+)\)", css)} == {
        str(path.relative_to(FONTS)) for path in FONTS.glob("*/*.woff2")
    }
    root = FONTS.parents[1] / "locale"
    for catalogue in root.glob("*/LC_MESSAGES/django.po"):
        text = "".join(entry.msgstr + "".join(entry.msgstr_plural.values()) for entry in polib.pofile(str(catalogue)))
        missing = {ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf"
                   and ord(ch) not in covered}
        assert missing == set(), catalogue.parent.parent.name
