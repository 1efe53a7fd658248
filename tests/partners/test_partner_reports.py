"""Statistics sent by partners (filter, totals, commission on booked and on charged value,
cancelling, the Excel export) and the monthly partner account, in the clinic and in the portal."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.http import QueryDict
from django.urls import reverse
from django_tenants.utils import schema_context

from billing.reports import clinic_today
from clinic.errors import DomainError
from clinic.patients.services import PatientData
from partners import reports
from partners.services import book_for_partner, cancel_booking
from tests.factories import ServiceFactory, make_staff
from tests.partners.conftest import next_day_at

pytestmark = pytest.mark.django_db

PATIENT_LAST_NAME = "Pătrașcu-Zinovia"


def portal_url(name, args=()):
    return reverse(name, urlconf="config.urls_public", args=args)


def book(world, member, hour=10, services=("consultation",), days=2, **extra):
    data = {"location": world["here"], "practitioner": world["practitioner"], "starts_at": next_day_at(hour, days),
            "service_ids": [world[key].pk for key in services],
            "new_patient": PatientData(first_name="Ana", last_name=PATIENT_LAST_NAME, phone="+37369123456")} | extra
    return book_for_partner(member, **data)


def month_before(day):
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def booked_on(day):
    """Book as if it were noon of ``day`` (clinic time): the booking and its commission posting
    are dated then (the ledger is append-only, so a date cannot be moved afterwards)."""
    import time_machine

    from clinic.scheduling.availability import clinic_zone

    return time_machine.travel(datetime.combine(day, time(12), tzinfo=clinic_zone()), tick=False)


def bill(world, booking, *, extra=(), void_extra=False):
    """The patient arrives, the visit is opened (the booked services become its lines) and more
    services are added; optionally the last one is voided."""
    from billing.services import add_line, open_visit, void_line
    from tests.factories import arrive

    manager = world["manager"]
    appointment = arrive(booking.appointment, actor=manager)
    visit = open_visit(patient=appointment.patient, location=None, actor=manager, appointment=appointment)
    line = None
    for key in extra:
        line = add_line(visit, service=world[key], actor=manager)
    if void_extra:
        void_line(line, reason="Entered twice", actor=manager)
    return visit


# --- the partner account -------------------------------------------------------------------------


def test_a_partner_paid_at_the_partner_owes_the_clinic_what_was_charged_and_earns_commission_on_it(
        world, add_partner, tenant):
    partnership, member = add_partner(payment_place="partner", percent="2.5")
    world["checkup"] = ServiceFactory(name="Check-up", price=D("41.00"), duration_minutes=15)
    partnership.services.add(world["checkup"])
    first = book(world, member, hour=10, services=("consultation", "ecg"))  # 550.00
    second = book(world, member, hour=11, services=("checkup",))  # 41.00: 2.5 % is 1.025, rounded half up
    cancelled = book(world, member, hour=12)  # 400.00, booked and cancelled: nothing charged, nothing earned
    cancel_booking(cancelled, by_name="Irina", reason="The patient is ill")
    waiting = book(world, member, hour=13)  # booked, not billed yet: not in the account
    bill(world, first)
    bill(world, second)

    account = reports.partner_account(partnership, clinic_today().replace(day=1))
    lines = [(line.code, line.kind, line.value, line.owed_to_clinic, line.commission) for line in account.lines]
    # A line per posting: opening the visit charged each booked service to the partner; the
    # commission of a booking is rounded once (2.5 % of 550 is 13.75: 10.00, then 3.75).
    assert lines == [
        (first.code, "Charge", D("400.00"), D("400.00"), D("10.00")),
        (first.code, "Charge", D("150.00"), D("150.00"), D("3.75")),
        (second.code, "Charge", D("41.00"), D("41.00"), D("1.03")),
    ]
    assert waiting.code not in {line.code for line in account.lines}
    assert (account.owed_to_clinic, account.commission, account.net) == (D("591.00"), D("14.78"), D("576.22"))
    assert account.owed_to_clinic == sum(line.owed_to_clinic for line in account.lines)
    assert account.net_sentence() == "MedAsist SRL pays the clinic 576.22 EUR."
    assert all(line.patient == "" for line in account.lines)  # not even read without with_patients
    assert reports.partner_account(partnership, month_before(clinic_today())).lines == []


def test_a_partner_whose_patients_pay_at_the_clinic_owes_nothing_and_is_owed_its_commission(
        world, add_partner, tenant):
    partnership, member = add_partner(payment_place="clinic", percent="10")
    booking = book(world, member, services=("consultation", "ecg"))
    assert reports.partner_account(partnership, clinic_today().replace(day=1)).lines == []  # booked: nothing yet
    bill(world, booking)
    account = reports.partner_account(partnership, clinic_today().replace(day=1), with_patients=True)
    assert [(line.value, line.owed_to_clinic, line.commission) for line in account.lines] == [
        (D("400.00"), D("0.00"), D("40.00")), (D("150.00"), D("0.00"), D("15.00"))]
    assert account.lines[0].patient == f"Ana {PATIENT_LAST_NAME}"
    assert (account.owed_to_clinic, account.commission, account.net) == (D("0.00"), D("55.00"), D("-55.00"))
    assert account.net_sentence() == "The clinic pays MedAsist SRL 55.00 EUR."


def test_the_account_pdf_is_in_the_clinics_language_whoever_downloads_it(world, add_partner, tenant, client_for,
                                                                         portal):
    """The PDF is one of the clinic's documents (English here): its lines' labels were written out in
    the downloader's language (Russian below) and mixed the two."""
    import re

    from pypdf import PdfReader

    assert tenant.default_language == "en"
    partnership, member = add_partner(payment_place="partner")
    bill(world, book(world, member))
    month = clinic_today().strftime("%Y-%m")
    client = client_for(make_staff("marketing"))
    client.cookies["django_language"] = "ru"
    clinic_pdf = client.get(reverse("partner_account_pdf", args=[partnership.pk]), {"month": month})
    partner = portal(member.user)
    partner.cookies["django_language"] = "ru"
    portal_pdf = partner.get(portal_url("portal_account_pdf", args=["alpha", month]))
    for pdf in (clinic_pdf, portal_pdf):
        text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
        assert "Partner account" in text or "Commission" in text
        assert not re.search("[А-Яа-яЁё]", text), text


def test_a_month_is_read_as_yyyy_mm():
    assert reports.parse_month("2026-02").isoformat() == "2026-02-01"
    for text in ("2026-13", "26-02", "february", "1999-12"):
        with pytest.raises(DomainError, match="is not a month"):
            reports.parse_month(text)


def test_the_clinic_reads_the_account_with_its_documents(world, add_partner, tenant, client_for):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    partnership, member = add_partner(payment_place="partner")
    booking = book(world, member)
    bill(world, booking)
    marketing = make_staff("marketing")
    client = client_for(marketing)
    month = clinic_today().strftime("%Y-%m")
    page = client.get(reverse("partner_account", args=[partnership.pk]), {"month": month})
    assert page.status_code == 200
    html = page.content.decode()
    assert booking.code in html and PATIENT_LAST_NAME in html  # the clinic's own page names the patient
    assert "400.00 EUR" in html and "40.00 EUR" in html and "360.00 EUR" in html

    pdf = client.get(reverse("partner_account_pdf", args=[partnership.pk]), {"month": month})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert booking.code in text and "360.00" in text and PATIENT_LAST_NAME not in text

    xlsx = client.get(reverse("partner_account_xlsx", args=[partnership.pk]), {"month": month})
    assert xlsx.status_code == 200
    rows = [list(r) for r in load_workbook(BytesIO(xlsx.content), read_only=True).worksheets[0].iter_rows(
        values_only=True)]
    line = next(r for r in rows if booking.code in r)
    assert [D(str(v)).quantize(D("0.01")) for v in (line[8], line[9], line[11])] == [
        D("400.00"), D("400.00"), D("40.00")]
    assert not any(PATIENT_LAST_NAME in str(value) for row in rows for value in row)

    assert client.get(reverse("partner_account_pdf", args=[partnership.pk]), {"month": "2026-99"}).status_code == 404
    assert client_for(make_staff("front_desk")).get(
        reverse("partner_account", args=[partnership.pk])).status_code == 403


# --- statistics ----------------------------------------------------------------------------------


def test_commission_on_the_booked_and_on_the_charged_value(world, add_partner, tenant):
    partnership, member = add_partner(percent="10")
    billed = book(world, member, hour=10)  # booked 400.00
    # Charged: the booked consultation (400), and an ECG (150) that was not booked (no commission
    # on it); an MRI entered by mistake is voided.
    partnership.services.add(world["mri"])
    bill(world, billed, extra=("ecg", "mri"), void_extra=True)
    waiting = book(world, member, hour=11, services=("ecg",))  # booked 150.00, not billed yet

    filters = reports.clean_statistics(QueryDict(""))
    page = reports.statistics_page(filters)
    rows = {row.booking.code: row for row in page.rows}
    row = rows[billed.code]
    assert (row.booking.value, row.charged, row.commission_booked, row.commission_charged) == (
        D("400.00"), D("400.00"), D("40.00"), D("40.00"))
    row = rows[waiting.code]
    assert (row.booking.value, row.charged, row.commission_booked, row.commission_charged) == (
        D("150.00"), None, D("15.00"), None)
    totals = page.totals
    assert (totals.bookings, totals.cancelled, totals.billed) == (2, 0, 1)
    assert (totals.booked, totals.charged, totals.commission_booked, totals.commission_charged) == (
        D("550.00"), D("400.00"), D("55.00"), D("40.00"))


def test_the_statistics_filter_by_period_and_partner_and_total_the_live_bookings(world, add_partner, tenant):
    first_partnership, first_member = add_partner(percent="10", payment_place="partner")
    second_partnership, second_member = add_partner("Call Centre Nord", "RO999", percent="5",
                                                    locations=("there",))
    a = book(world, first_member, hour=10)
    b = book(world, first_member, hour=11, services=("ecg",))
    c = book(world, second_member, hour=10, location=world["there"], practitioner=world["other"],
             services=("consultation", "ecg"))
    cancelled = book(world, first_member, hour=12)
    cancel_booking(cancelled, by_name="Irina", reason="No longer needed")
    starts = next_day_at(13)
    with booked_on(month_before(clinic_today())):
        old = book(world, first_member, starts_at=starts)

    everything = reports.statistics_page(reports.clean_statistics(QueryDict("")))
    assert {row.booking.code for row in everything.rows} == {a.code, b.code, c.code, cancelled.code}
    totals = everything.totals
    assert (totals.bookings, totals.cancelled, totals.live) == (4, 1, 3)
    assert totals.booked == D("1100.00")  # 400 + 150 + 550; the cancelled booking is not counted
    assert totals.commission_booked == D("40.00") + D("15.00") + D("27.50")
    assert totals.booked_paid_at_partner == D("550.00")
    assert totals.charged == D("0.00") and totals.commission_charged == D("0.00")
    assert not next(row for row in everything.rows if row.booking.code == cancelled.code).can_cancel

    only_second = reports.statistics_page(reports.clean_statistics(QueryDict(f"partner={second_partnership.pk}")))
    assert [row.booking.code for row in only_second.rows] == [c.code]
    assert (only_second.totals.booked, only_second.totals.commission_booked) == (D("550.00"), D("27.50"))

    last_month = month_before(clinic_today())
    earlier = reports.statistics_page(reports.clean_statistics(QueryDict(
        f"first={last_month}&last={clinic_today().replace(day=1) - timedelta(days=1)}")))
    assert [row.booking.code for row in earlier.rows] == [old.code]

    with pytest.raises(DomainError, match="Choose a partner"):
        reports.clean_statistics(QueryDict("partner=999999"))
    with pytest.raises(DomainError, match="before the first"):
        reports.clean_statistics(QueryDict("first=2026-03-02&last=2026-03-01"))


def test_the_statistics_page_pages_on_the_server_in_a_constant_number_of_queries(
        world, add_partner, tenant, client_for, django_assert_max_num_queries):
    _partnership, member = add_partner(percent="10")
    marketing = make_staff("marketing")
    client = client_for(marketing)
    url = reverse("partner_statistics")
    book(world, member, hour=9)
    client.get(url)  # warms the host lookup and the permission cache
    # 16 for the page (its figures from the ledger), 2 for its charts (the weeks' figures in
    # one query, and the schema it runs in).
    with django_assert_max_num_queries(18):
        response = client.get(url)
    assert response.status_code == 200
    for hour in range(10, 16):
        book(world, member, hour=hour, services=("consultation", "ecg"))
    with django_assert_max_num_queries(18):
        response = client.get(url)
    html = response.content.decode()
    assert html.count('class="statistics-row') == 7
    assert "Commission on the booked value" in html and "Commission on the charged value" in html

    import partners.reports.statistics as statistics

    original = statistics.PAGE_SIZE
    statistics.PAGE_SIZE = 3  # where the statistics page reads it
    try:
        second = client.get(url, {"page": "2"}).content.decode()
        last = client.get(url, {"page": "99"}).content.decode()
    finally:
        statistics.PAGE_SIZE = original
    assert second.count('class="statistics-row') == 3 and "Page 2 of 3" in second
    assert last.count('class="statistics-row') == 1 and "Page 3 of 3" in last


def test_the_statistics_page_shows_a_booking_with_its_source_and_commission(world, add_partner, tenant, client_for):
    partnership, member = add_partner(percent="10")
    booking = book(world, member)
    html = client_for(make_staff("finance")).get(reverse("partner_statistics")).content.decode()
    assert booking.code in html and "MedAsist SRL" in html and PATIENT_LAST_NAME in html
    assert "400.00 EUR" in html and "40.00 EUR" in html
    assert reverse("partner_booking_cancel", args=[booking.pk]) not in html  # finance may not cancel
    bad = client_for(make_staff("finance")).get(reverse("partner_statistics"), {"first": "2026-02-30"})
    assert bad.status_code == 200 and "is not a valid date" in bad.content.decode()
    assert client_for(make_staff("front_desk")).get(reverse("partner_statistics")).status_code == 403
    tabs = client_for(make_staff("manager")).get(reverse("revenue_report")).content.decode()
    assert reverse("partner_statistics") in tabs


def test_a_manager_cancels_a_booking_from_the_statistics_and_marketing_may_not(
        world, add_partner, tenant, client_for, django_capture_on_commit_callbacks):
    from django.core import mail

    _partnership, member = add_partner()
    booking = book(world, member)
    url = reverse("partner_booking_cancel", args=[booking.pk])
    back = reverse("partner_statistics") + "?partner=" + str(booking.partnership_id)

    refused = client_for(make_staff("marketing")).post(url, {"reason": "Doctor ill", "next": back})
    assert refused.status_code == 403
    booking.refresh_from_db()
    assert booking.cancelled_at is None

    manager = world["manager"]
    client = client_for(manager)
    page = client.get(back).content.decode()
    assert url in page  # the Cancel button of the row
    no_reason = client.post(url, {"reason": " ", "next": back})
    assert no_reason.status_code == 302
    booking.refresh_from_db()
    assert booking.cancelled_at is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Doctor ill", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    booking.refresh_from_db()
    assert booking.cancelled_at is not None and booking.cancelled_by_name == manager.full_name
    assert booking.appointment.status == "cancelled" and booking.appointment.cancel_reason == "Doctor ill"
    assert "cancelled" in mail.outbox[-1].subject
    again = client.post(url, {"reason": "Doctor ill", "next": "https://evil.example/"})
    assert again["Location"] == reverse("partner_statistics")  # never sent to another site
    assert "was cancelled already" in client.get(again["Location"]).content.decode()
    assert client.get(url).status_code == 405


def test_the_statistics_export(world, add_partner, tenant, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    from clinic.exports.models import Export
    from clinic.exports.services import start_export

    partnership, member = add_partner(percent="10")
    billed = book(world, member, hour=10)
    bill(world, billed, extra=("ecg",))
    book(world, member, hour=11, services=("ecg",))
    finance = make_staff("finance")
    with django_capture_on_commit_callbacks(execute=True):
        export = start_export("partner_statistics", actor=finance, data=QueryDict(f"partner={partnership.pk}"))
    export = Export.objects.get(pk=export.pk)
    assert export.status == Export.Status.DONE, export.error
    assert export.params["partner"] == partnership.pk and export.file_name.startswith("partner-statistics-alpha-")
    with export.file.open("rb") as handle:
        rows = [list(r) for r in load_workbook(handle, read_only=True).worksheets[0].iter_rows(values_only=True)]
    export.file.delete(save=False)
    assert rows[0][:3] == ["Reference", "Booked at", "Appointment"]
    assert rows[0][-2:] == ["Commission on the booked value", "Commission on the charged value"]
    row = next(r for r in rows if r[0] == billed.code)
    assert row[6] == f"Ana {PATIENT_LAST_NAME}" and row[7] == "MedAsist SRL" and row[11] == "EUR"
    assert [None if v is None else D(str(v)).quantize(D("0.01")) for v in (row[12], row[13], row[15], row[16])] == [
        D("400.00"), D("400.00"), D("40.00"), D("40.00")]
    totals = next(r for r in rows if r and r[0] == "Totals of the bookings not cancelled")
    assert [D(str(v)).quantize(D("0.01")) for v in (totals[12], totals[13], totals[15], totals[16])] == [
        D("550.00"), D("400.00"), D("55.00"), D("40.00")]
    with pytest.raises(DomainError, match="not allowed"):
        start_export("partner_statistics", actor=make_staff("front_desk"), data=QueryDict(""))


# --- the portal ----------------------------------------------------------------------------------


def test_a_finance_user_reads_the_account_in_the_portal_without_patient_names(
        world, add_partner, tenant, portal):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    _partnership, member = add_partner(payment_place="partner")
    booking = book(world, member)
    bill(world, booking)
    client = portal(member.user)
    month = clinic_today().strftime("%Y-%m")
    page = client.get(portal_url("portal_account"), {"clinic": "alpha", "month": month})
    assert page.status_code == 200
    html = page.content.decode()
    assert booking.code in html and "360.00 EUR" in html and "Alpha Clinic" in html
    assert PATIENT_LAST_NAME not in html

    pdf = client.get(portal_url("portal_account_pdf", args=["alpha", month]))
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert booking.code in text and PATIENT_LAST_NAME not in text
    xlsx = client.get(portal_url("portal_account_xlsx", args=["alpha", month]))
    assert xlsx.status_code == 200
    rows = [list(r) for r in load_workbook(BytesIO(xlsx.content), read_only=True).worksheets[0].iter_rows(
        values_only=True)]
    assert any(booking.code in r for r in rows)
    assert not any(PATIENT_LAST_NAME in str(value) for row in rows for value in row)

    default = client.get(portal_url("portal_account"))  # the first linked clinic, this month
    assert default.status_code == 200 and booking.code in default.content.decode()


def test_the_portal_account_is_for_finance_users_of_linked_clinics_only(
        world, add_partner, tenant, portal, clinic_b):
    from partners.organisations.models import PartnerUser
    from tests.factories import make_staff as make_user

    _partnership, member = add_partner()
    with schema_context("public"):
        clerk = make_user(None, email="clerk@medasist.example")
        PartnerUser.objects.create(user=clerk, organisation=member.organisation, can_book=True)
    month = clinic_today().strftime("%Y-%m")
    clerk_client = portal(clerk)
    assert clerk_client.get(portal_url("portal_account")).status_code == 403
    assert clerk_client.get(portal_url("portal_account_pdf", args=["alpha", month])).status_code == 403
    assert clerk_client.get(portal_url("portal_account_xlsx", args=["alpha", month])).status_code == 403

    client = portal(member.user)
    for url in (portal_url("portal_account") + "?clinic=beta", portal_url("portal_account_pdf", args=["beta", month]),
                portal_url("portal_account_xlsx", args=["beta", month]),
                portal_url("portal_account") + "?clinic=nowhere"):
        assert client.get(url).status_code == 404, url
    assert client.get(portal_url("portal_account_pdf", args=["alpha", "2026-13"])).status_code == 404


def test_a_removed_partner_still_reads_its_account_but_books_no_more(world, add_partner, tenant, portal):
    from django.db import connection

    from partners.services import remove_partner

    partnership, member = add_partner(payment_place="partner")
    booking = book(world, member)
    bill(world, booking)
    remove_partner(partnership, actor=world["manager"])
    client = portal(member.user)
    month = clinic_today().strftime("%Y-%m")
    page = client.get(portal_url("portal_account"), {"clinic": "alpha", "month": month})
    assert page.status_code == 200 and booking.code in page.content.decode()
    assert client.get(portal_url("portal_account_pdf", args=["alpha", month])).status_code == 200
    assert "cannot book at any clinic" in client.get(portal_url("portal_book")).content.decode()
    connection.set_tenant(tenant)


def test_the_streamed_workbook_keeps_text_as_text_and_numbers_and_dates_as_such():
    from datetime import date as day

    from openpyxl import load_workbook

    from clinic.exports.writer import write_xlsx

    handle = BytesIO()
    write_xlsx([["=HYPERLINK(\"x\")", "a<b & c>", "bell\x07", " padded ", None, "", True],
                [D("1234.50"), 7, 2.5, datetime(2026, 3, 1, 9, 30), day(2026, 3, 2)]],
               handle, title="Statistics sent by partners")
    handle.seek(0)
    workbook = load_workbook(handle)
    cells = list(workbook.worksheets[0].iter_rows())
    first, second = [[cell.value for cell in row] for row in cells]
    assert first == ['=HYPERLINK("x")', "a<b & c>", "bell", " padded ", None, None, True]
    assert cells[0][0].data_type == "s"  # text, never a formula
    assert second[:3] == [1234.5, 7, 2.5]
    assert second[3] == datetime(2026, 3, 1, 9, 30) and second[4].date() == day(2026, 3, 2)
    assert workbook.worksheets[0].title == "Statistics sent by partners"
